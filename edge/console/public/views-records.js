// The views of what the node recorded, fetched from the API when opened: policies (active
// version, the staged one, history, last refusal) and the audit log (filters, hash-chain
// verification).
import { el, time } from './dom.js';
import { reasonText, t } from './i18n.js';

function parsed(json) {
  if (json === null || json === undefined) return '—';
  try {
    const v = JSON.parse(json);
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  } catch {
    return json;
  }
}

function table(columns, rows) {
  const tableNode = el('table', 'records');
  const head = el('tr');
  for (const c of columns) {
    const th = el('th', '', t(`col.${c}`));
    th.scope = 'col';
    head.append(th);
  }
  const thead = el('thead');
  thead.append(head);
  const tbody = el('tbody');
  for (const r of rows) {
    const tr = el('tr', r.className ?? '');
    for (const c of columns) {
      const td = el('td', c === 'before' || c === 'after' ? 'json' : '', r[c] ?? '—');
      td.dataset.label = t(`col.${c}`);
      tr.append(td);
    }
    tbody.append(tr);
  }
  tableNode.append(thead, tbody);
  return tableNode;
}

function auditRows(rows) {
  return rows.map((r) => ({
    time: time(r.timeMs),
    actor: r.actor,
    action: r.action,
    target: r.target,
    before: parsed(r.beforeJson),
    after: parsed(r.afterJson),
    className: /refused|failed|locked/.test(r.action) ? 'refused' : '',
  }));
}

export function renderPolicies(root, data) {
  const active = el('section', 'card');
  active.append(el('h2', '', t('activePolicy')));
  active.append(el('p', 'big', data.active > 0 ? `v${data.active}` : t('builtIn')));
  // Its signature's expiry; once past, the node keeps running it and raises POLICY_STALE.
  if (data.active > 0 && data.expiresMs !== undefined)
    active.append(
      el(
        'p',
        data.stale ? 'warn policy-expiry' : 'muted policy-expiry',
        t(data.stale ? 'policyExpired' : 'policyExpires', { at: time(data.expiresMs) }),
      ),
    );
  root.append(active);
  // Staged: applied and stored, but its signal timing waits for each intersection's cycle end.
  const staged = el('section', 'card staged');
  staged.append(el('h2', '', t('stagedPolicy')));
  staged.append(
    data.staged
      ? el(
          'p',
          'warn',
          t('stagedText', { version: data.staged.version, where: data.staged.waitingFor.join(', ') }),
        )
      : el('p', 'muted', t('noStaged')),
  );
  root.append(staged);
  if (data.lastRefusal) {
    const refusal = el('section', 'card refusal');
    refusal.append(el('h2', '', t('lastRefusal')));
    refusal.append(el('p', 'bad', `${data.lastRefusal.target} · ${time(data.lastRefusal.timeMs)}`));
    const english = data.lastRefusalReason ?? '—';
    const reason = el('p', 'reason', reasonText(data.lastRefusalCode, english));
    reason.title = english;
    refusal.append(reason);
    root.append(refusal);
  }
  const history = el('section', 'card');
  history.append(el('h2', '', t('history')));
  if (data.history.length === 0) history.append(el('p', 'empty', t('noRows')));
  else history.append(table(['time', 'actor', 'action', 'target', 'after'], auditRows(data.history)));
  root.append(history);
}

/** `onFilter(filters)` is called when the user applies new filters. */
export function renderAudit(root, data, filters, onFilter) {
  const chain = el('p', data.verdict.ok ? 'ok chain' : 'bad chain strong');
  chain.textContent = data.verdict.ok
    ? `✔ ${t('chainOk', { rows: data.verdict.rows })}`
    : `✕ ${t('chainBroken', { seq: data.verdict.seq, reason: data.verdict.reason })}`;
  root.append(chain);

  const form = el('form', 'filters');
  const field = (name, label, input) => {
    const l = el('label', '', label);
    input.name = name;
    l.append(input);
    form.append(l);
  };
  const actor = el('input');
  actor.value = filters.actor ?? '';
  actor.autocomplete = 'off';
  field('actor', t('filterActor'), actor);
  const action = el('select');
  for (const a of ['', 'login.', 'access.', 'user.', 'policy.', 'signal.', 'override.']) {
    const o = el('option', '', a || '—');
    o.value = a;
    o.selected = (filters.action ?? '') === a;
    action.append(o);
  }
  field('action', t('filterAction'), action);
  const submit = el('button', '', t('filter'));
  submit.type = 'submit';
  form.append(submit);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    onFilter({ actor: actor.value.trim() || undefined, action: action.value || undefined });
  });
  root.append(form);

  if (data.rows.length === 0) root.append(el('p', 'empty', t('noRows')));
  else root.append(table(['time', 'actor', 'action', 'target', 'before', 'after'], auditRows(data.rows)));
}
