// The policy editor: paste or edit YAML or JSON, validate it against the published schema (every
// field problem at once, by name), see what changes against the version it replaces, then publish
// it or start a staged rollout. Publishing is enabled only for the exact text that validated.
import { el, empty, number, time } from './dom.js';
import { t } from './i18n.js';

const TEMPLATE = `target: { districts: [centro] }
lighting:
  steps:
    - { at: sunset, offsetMin: 0, levelPct: 100 }
    - { at: "00:30", levelPct: 50 }
    - { at: sunrise, offsetMin: -15, levelPct: 30 }
traffic: { cycleS: 90, minGreenS: 7, yellowS: 4, allRedS: 2 }
`;

function diffView(result) {
  const wrap = el('section', 'diff-wrap');
  wrap.append(
    el(
      'h3',
      undefined,
      result.current ? t('editor.diffAgainst', { version: result.current.version }) : t('editor.diffNone'),
    ),
  );
  const pre = el('pre', 'diff mono');
  let changes = 0;
  for (const line of result.diff) {
    const cls = line.op === '+' ? 'add' : line.op === '-' ? 'del' : 'same';
    if (line.op !== ' ') changes++;
    pre.append(el('span', cls, `${line.op} ${line.text}\n`));
  }
  if (changes === 0) wrap.append(el('p', 'muted', t('editor.noChange')));
  wrap.append(pre);
  return wrap;
}

export function renderPolicy(main, state, actions) {
  const p = state.policies;
  const ed = state.editor;
  if (ed.text === null && p) ed.text = p.latest?.yaml ?? TEMPLATE;
  const form = el('form', 'editor card');
  form.append(el('h2', undefined, t('editor.title')));
  form.append(el('p', 'muted', t('editor.hint')));
  const area = el('textarea', 'mono');
  area.name = 'policy';
  area.rows = 14;
  area.spellcheck = false;
  area.value = ed.text ?? TEMPLATE;
  area.setAttribute('aria-label', t('editor.title'));
  area.addEventListener('input', () => {
    ed.text = area.value;
  });
  form.append(area);
  const validate = el('button', 'primary', t('editor.validate'));
  validate.type = 'submit';
  validate.dataset.action = 'validate';
  const row = el('div', 'actions');
  row.append(validate);
  form.append(row);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void actions.validate(area.value);
  });
  main.append(form);

  const result = ed.result;
  if (result) {
    const out = el('section', 'card validation');
    out.dataset.ok = String(result.ok);
    if (!result.ok) {
      out.append(el('h3', 'bad', t('editor.problems', { n: result.problems.length })));
      const list = el('ul', 'problems');
      for (const pr of result.problems) {
        const li = el('li');
        li.dataset.field = pr.field;
        li.append(
          el('code', undefined, pr.field || t('editor.document')),
          document.createTextNode(`: ${pr.reason}`),
        );
        list.append(li);
      }
      out.append(list);
    } else {
      out.append(el('h3', 'ok', t('editor.valid')));
      out.append(diffView(result));
      const canPublish = actions.can('policy.publish');
      // Only the text that validated may be published: an edit since then needs a new check.
      const fresh = () => area.value === ed.text && ed.result === result;
      const publish = el('button', 'primary', t('publish'));
      publish.type = 'button';
      publish.dataset.action = 'publish';
      publish.disabled = !canPublish;
      publish.addEventListener('click', () => {
        if (fresh()) void actions.publish(area.value);
      });
      const staged = el('fieldset', 'staged');
      staged.append(el('legend', undefined, t('rolloutStart.legend')));
      const stages = el('input', 'mono');
      stages.name = 'stages';
      stages.value = ed.stages;
      stages.pattern = '[0-9%., ]+';
      const windowS = el('input');
      windowS.name = 'window';
      windowS.type = 'number';
      windowS.min = '0';
      windowS.max = '86400';
      windowS.value = String(ed.windowS);
      const label = (text, input) => {
        const l = el('label');
        l.append(el('span', undefined, text), input);
        return l;
      };
      staged.append(label(t('rolloutStart.stages'), stages), label(t('rolloutStart.window'), windowS));
      const start = el('button', 'primary', t('rolloutStart'));
      start.type = 'button';
      start.dataset.action = 'rollout';
      start.disabled = !canPublish;
      start.addEventListener('click', () => {
        if (fresh()) void actions.startRollout(area.value, stages.value.trim(), Number(windowS.value) || 0);
      });
      staged.append(start);
      const buttons = el('div', 'actions');
      buttons.append(publish);
      out.append(buttons, staged);
      if (!canPublish) out.append(el('small', undefined, t('editor.needsEngineer')));
    }
    main.append(out);
  }

  const history = el('section', 'card');
  history.append(el('h3', undefined, t('editor.versions')));
  if (!p) history.append(empty(t('loading')));
  else if (p.versions.length === 0) history.append(empty(t('editor.noVersions')));
  else {
    const list = el('ul', 'versions');
    for (const v of p.versions)
      list.append(
        el(
          'li',
          undefined,
          `v${v.version} · ${time(Date.parse(v.issuedAt))} · ${t('editor.acks', { applied: number(v.applied), refused: number(v.refused) })}`,
        ),
      );
    history.append(list);
  }
  main.append(history);
}
