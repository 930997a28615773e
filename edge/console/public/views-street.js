// The views of what is on the street, drawn from the live device views and node status:
// overview, lighting, intersections, containers, devices. Each render function empties its
// section and draws it again (a few hundred nodes at most; updates come at most every 250 ms).
import { age, aspectNode, aspectOf, el, meter, number, sparkline, time, value } from './dom.js';
import { reasonText, t } from './i18n.js';

/** Fill at or above which a container shows as an alarm (the site's default collection threshold). */
const FULL_PCT = 80;

function card(title, className = '') {
  const section = el('section', `card ${className}`);
  if (title) section.append(el('h2', '', title));
  return section;
}

function sorted(views) {
  const collator = new Intl.Collator(undefined, { numeric: true });
  return [...views].sort(
    (a, b) => collator.compare(a.group ?? '', b.group ?? '') || collator.compare(a.id, b.id),
  );
}

function byGroup(views) {
  const groups = new Map();
  for (const v of sorted(views)) {
    const key = v.group ?? '—';
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(v);
  }
  return groups;
}

function availability(view) {
  const box = el('div');
  box.append(
    el(
      'span',
      `badge ${view.available ? 'ok' : 'bad'}`,
      `${view.available ? '●' : '✕'} ${t(view.available ? 'available' : 'unavailable')}`,
    ),
  );
  if (!view.available && view.lastError)
    box.append(el('small', 'error', reasonText(view.lastErrorCode, view.lastError)));
  return box;
}

/** Alarms as the console can see them: unavailable devices, latched intersections, full bins, links. */
export function alarmsOf(state) {
  const alarms = [];
  for (const x of intersectionsOf(state.devices.values())) {
    if (x.operation === 'latched')
      alarms.push({
        severity: 'critical',
        text: t('alarm.flash', { id: x.id, reason: reasonText(x.reasonCode, x.reason) }),
      });
    else if (x.operation !== 'plan')
      alarms.push({ severity: 'warning', text: t('alarm.manualFlash', { id: x.id, actor: x.actor ?? '—' }) });
  }
  for (const v of sorted(state.devices.values())) {
    if (!v.available)
      alarms.push({
        severity: 'warning',
        text: t('alarm.unavailable', { id: v.id, error: reasonText(v.lastErrorCode, v.lastError ?? '—') }),
      });
    else if (v.kind === 'fill-sensor' && typeof v.state.fill === 'number' && v.state.fill >= FULL_PCT)
      alarms.push({
        severity: 'info',
        text: t('alarm.full', { id: v.group ?? v.id, fill: number(v.state.fill) }),
      });
  }
  // The running policy's signature expired (edge/trust/policy-freshness.ts): still applied.
  if (state.status?.policyStale)
    alarms.push({
      severity: 'warning',
      text: t('alarm.policyStale', {
        version: state.status.policyVersion,
        at: time(state.status.policyExpiresMs),
      }),
    });
  if (state.status)
    for (const link of ['nats', 'coordinator'])
      if (state.status.uplink[link] !== 'connected')
        alarms.push({
          severity: 'info',
          text: t('alarm.uplink', { link: link === 'nats' ? 'NATS' : t('coordinator') }),
        });
  return alarms;
}

export function renderOverview(root, state) {
  const alarms = card(t('alarms'), 'alarms');
  const list = alarmsOf(state);
  if (list.length === 0) alarms.append(el('p', 'ok', `● ${t('noAlarms')}`));
  const ul = el('ul', 'alarm-list');
  for (const a of list) ul.append(el('li', `alarm alarm-${a.severity}`, a.text));
  if (list.length) alarms.append(ul);

  const health = card(t('health'), 'health');
  const h = state.status?.health;
  const dl = el('dl', 'facts');
  const fact = (label, content) => {
    const div = el('div');
    div.append(el('dt', '', label));
    const dd = el('dd');
    if (typeof content === 'string') dd.textContent = content;
    else dd.append(...content);
    div.append(dd);
    dl.append(div);
  };
  if (h) {
    fact(t('cpu'), [
      meter(h.cpuLoad * 100, { low: 70, high: 90 }),
      el('span', '', ` ${number(h.cpuLoad * 100)} %`),
    ]);
    fact(t('memory'), [
      meter(h.memUsedPct, { low: 80, high: 90 }),
      el('span', '', ` ${number(h.memUsedPct)} %`),
    ]);
    if (h.diskUsedPct !== undefined)
      fact(t('disk'), [
        meter(h.diskUsedPct, { low: 80, high: 90 }),
        el('span', '', ` ${number(h.diskUsedPct)} % · ${number(h.diskFreeMb)} MB`),
      ]);
    fact(t('uptime'), age(h.processUptimeS));
  }
  health.append(dl);
  root.append(alarms, health);
}

const OVERRIDE_DURATIONS_MIN = [15, 30, 60, 120, 240];

/** What the user last chose per group, so that a redraw does not reset the form. */
const drafts = new Map();

function overrideForm(group, actions) {
  const draft = drafts.get(group.id) ?? { level: '100', duration: String(30 * 60) };
  const form = el('form', 'override');
  form.dataset.group = group.id;
  const level = el('input');
  level.type = 'number';
  level.name = 'level';
  level.min = '0';
  level.max = '100';
  level.step = '5';
  level.required = true;
  level.value = draft.level;
  const levelLabel = el('label', '', t('override.level'));
  levelLabel.append(level);
  const duration = el('select');
  duration.name = 'duration';
  for (const min of OVERRIDE_DURATIONS_MIN) {
    const o = el('option', '', min < 60 ? `${min} min` : `${min / 60} h`);
    o.value = String(min * 60);
    o.selected = String(min * 60) === draft.duration;
    duration.append(o);
  }
  const durationLabel = el('label', '', t('override.for'));
  durationLabel.append(duration);
  const submit = el('button', 'primary', t('override.button'));
  submit.type = 'submit';
  form.append(levelLabel, durationLabel, submit);
  form.addEventListener('input', () =>
    drafts.set(group.id, { level: level.value, duration: duration.value }),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void actions.override(group.id, Number(level.value), Number(duration.value));
  });
  if (group.reason.startsWith('override')) {
    const end = el('button', '', t('override.end'));
    end.type = 'button';
    end.addEventListener('click', () => void actions.endOverride(group.id));
    form.append(end);
  }
  return form;
}

export function renderLighting(root, state, actions) {
  const lums = [...state.devices.values()].filter((v) => v.kind === 'luminaire');
  if (lums.length === 0) root.append(el('p', 'empty', t('noLighting')));
  const groupsById = new Map(state.lighting.map((g) => [g.id, g]));
  for (const [groupId, views] of byGroup(lums)) {
    const c = card(t('group', { id: groupId }), 'lighting-group');
    c.dataset.group = groupId;
    const group = groupsById.get(groupId);
    // Every luminaire of a group follows one decision; show it once, and per luminaire only when
    // it differs (a DALI minimum, a device that dropped).
    const reasons = new Set(views.map((v) => v.reason).filter(Boolean));
    const common = group?.reason ?? (reasons.size === 1 ? [...reasons][0] : undefined);
    const commonCode = group?.reasonCode ?? views.find((v) => v.reason === common)?.reasonCode;
    if (common) {
      const p = el(
        'p',
        `reason${common.startsWith('override') ? ' strong warn' : ''}`,
        t('decidedBy', { reason: reasonText(commonCode, common) }),
      );
      p.title = common; // the node's own words, for a report
      c.append(p);
    }
    if (group) {
      const facts = el('p', 'muted');
      const energy = `${t('class')} ${group.lightingClass} · ${value(group.powerW, 'W')} · ${group.energyWh < 1000 ? value(group.energyWh, 'Wh') : value(group.energyWh / 1000, 'kWh')}`;
      // Against the same luminaires at full power all night (modelled), and the CLO level now.
      const saved =
        group.baselineWh > 0
          ? ` · ${t('belowBaseline', { pct: Math.round((100 * (group.baselineWh - group.energyWh)) / group.baselineWh) })}`
          : '';
      const clo =
        group.cloPct !== undefined && group.cloPct < 100 ? ` · ${t('cloLevel', { pct: group.cloPct })}` : '';
      facts.textContent = energy + saved + clo;
      c.append(facts);
      const history = state.powerHistory.get(groupId) ?? [];
      const max = Math.max(1, ...history.map(([, w]) => w));
      const chart = el('div', 'trend');
      chart.append(
        el('small', '', `${t('power')} (${history.length})`),
        sparkline(history, `${t('power')} ${groupId}`, max * 1.1),
      );
      c.append(chart);
    }
    const ul = el('ul', 'rows');
    for (const v of views) {
      const li = el('li', v.available ? '' : 'unavailable');
      li.dataset.device = v.id;
      li.append(
        el('span', 'mono', v.id),
        meter(Number(v.state.level ?? 0), { low: 101, high: 101, optimum: 100 }),
      );
      li.append(el('span', 'num', `${value(v.state.level, '%')} · ${value(v.state.power, 'W')}`));
      if (!v.available) li.append(availability(v));
      if (v.reason && v.reason !== common)
        li.append(el('small', 'reason', reasonText(v.reasonCode, v.reason)));
      ul.append(li);
    }
    c.append(ul);
    if (group && actions.can('lighting.override')) c.append(overrideForm(group, actions));
    root.append(c);
  }
}

/** How an intersection runs, read from its heads' coded reasons (common/reasons/). */
function operationOf(head) {
  const codes = (head.reasonCode ?? []).map((p) => p.code);
  if (codes[0] === 'signal.latched') return 'latched';
  if (codes[0] === 'signal.manualFlash') return 'manual-flash';
  if (codes.includes('signal.enteringFlash')) return 'entering-flash';
  return 'plan';
}

const OPERATION_RANK = { plan: 0, 'entering-flash': 1, 'manual-flash': 2, latched: 3 };

/**
 * Same grouping as the server's intersectionsOf (console-signals.ts): heads and detectors by
 * group; the operation is the most severe any head shows, live from the event stream.
 */
export function intersectionsOf(views) {
  const byId = new Map();
  for (const d of views) {
    if ((d.kind !== 'signal-head' && d.kind !== 'detector') || d.group === undefined) continue;
    if (!byId.has(d.group))
      byId.set(d.group, { id: d.group, latched: false, operation: 'plan', heads: [], detectors: [] });
    const x = byId.get(d.group);
    if (d.kind === 'detector') x.detectors.push(d);
    else {
      x.heads.push(d);
      if (d.reason !== undefined && x.reason === undefined) {
        x.reason = d.reason;
        x.reasonCode = d.reasonCode;
      }
      const op = operationOf(d);
      if (OPERATION_RANK[op] > OPERATION_RANK[x.operation]) {
        x.operation = op;
        x.reason = d.reason;
        x.reasonCode = d.reasonCode;
      }
    }
  }
  for (const x of byId.values()) {
    x.latched = x.operation === 'latched';
    const by = (x.reasonCode ?? []).find((p) => p.params?.actor !== undefined);
    if (by) x.actor = by.params.actor;
  }
  return [...byId.values()].filter((x) => x.heads.length > 0);
}

/** A signal head drawn as a lamp column: red, amber, green; the lit one by aspect. */
function headDiagram(view) {
  const aspect = aspectOf(view.state.aspect) ?? 'off';
  const box = el('figure', `head head-${aspect}${view.available ? '' : ' head-down'}`);
  box.dataset.device = view.id;
  box.dataset.aspect = aspect;
  for (const lamp of ['red', 'amber', 'green']) {
    const lit = aspect === lamp || (aspect === 'flash' && lamp === 'amber');
    box.append(
      el('span', `lamp lamp-${lamp}${lit ? ' lit' : ''}${lit && aspect === 'flash' ? ' blink' : ''}`),
    );
  }
  const caption = el('figcaption');
  caption.append(el('span', 'mono', view.id), aspectNode(view.state.aspect));
  box.append(caption);
  return box;
}

/** The engineer's button for a change; disabled, with the reason, for anyone else. */
function actionButton(c, kind, id, actions, className) {
  const button = el('button', className, t(`${kind}.button`));
  button.type = 'button';
  button.dataset[kind] = id;
  if (!actions.can('signal.clear')) {
    button.disabled = true;
    c.append(button, el('small', 'muted', t('clear.needsRole')));
  } else {
    button.addEventListener('click', () => actions.confirm(kind, id));
    c.append(button);
  }
}

const OPERATION_CLASS = {
  plan: 'ok',
  'entering-flash': 'warn strong',
  'manual-flash': 'warn strong',
  latched: 'bad strong',
};

export function renderIntersections(root, state, actions) {
  const list = intersectionsOf(state.devices.values());
  if (list.length === 0) root.append(el('p', 'empty', t('noIntersections')));
  for (const x of list) {
    const c = card(x.id, `intersection op-${x.operation}${x.latched ? ' latched' : ''}`);
    c.dataset.intersection = x.id;
    c.dataset.operation = x.operation;
    const op = el('p', `operation ${OPERATION_CLASS[x.operation]}`);
    op.textContent = `${x.operation === 'plan' ? '●' : '✕'} ${t(`op.${x.operation}`)}`;
    if (x.actor && x.operation !== 'plan' && x.operation !== 'latched')
      op.append(el('small', 'muted', ` · ${t('op.by', { actor: x.actor })}`));
    c.append(op);
    if (x.reason) {
      const reason = el('p', 'reason', reasonText(x.reasonCode, x.reason));
      reason.title = x.reason;
      c.append(reason);
    }
    // Mode and the policy timing waiting for the cycle end come from /api/intersections.
    const known = state.signals?.get(x.id);
    if (known?.mode) {
      const facts = el('p', 'muted');
      facts.textContent = `${t('mode.label')}: ${t(`modeName.${known.mode}`)}`;
      c.append(facts);
    }
    if (known?.timingPending && state.staged)
      c.append(el('p', 'warn', t('timingPending', { version: state.staged.version })));
    const diagram = el('div', 'heads');
    for (const h of sorted(x.heads)) diagram.append(headDiagram(h));
    c.append(diagram);
    if (x.detectors.length) {
      c.append(el('h3', '', t('detectors')));
      const ul = el('ul', 'rows');
      for (const d of sorted(x.detectors)) {
        const li = el('li', d.available ? '' : 'unavailable');
        const values = Object.entries(d.state)
          .map(([k, v]) => `${k}: ${value(v)}`)
          .join(' · ');
        li.append(el('span', 'mono', d.id), el('span', 'num', values || '—'));
        ul.append(li);
      }
      c.append(ul);
    }
    if (x.operation === 'latched') actionButton(c, 'clear', x.id, actions, 'danger');
    else if (x.operation === 'plan') actionButton(c, 'flash', x.id, actions, 'danger');
    else if (x.operation === 'manual-flash') actionButton(c, 'restore', x.id, actions, 'primary');
    root.append(c);
  }
}

/** "Full around 14:30, between 13:10 and 16:45", or that there is no prediction. */
function prediction(at, low, high) {
  if (typeof at !== 'number') return t('noPrediction');
  const when = t('fullAt', { time: time(at) });
  return typeof low === 'number' && typeof high === 'number'
    ? `${when}, ${t('fullBetween', { low: time(low), high: time(high) })}`
    : when;
}

/** The collection list, soonest full first, in the site's order (EdgeSite.collectionList). */
function collectionCard(entries) {
  const c = card(t('collection'), 'collection');
  c.append(el('p', 'muted', t('collectionHint')));
  if (!entries) return c;
  if (entries.length === 0) {
    c.append(el('p', 'empty', t('noCollection')));
    return c;
  }
  const ol = el('ol', 'collection-list');
  for (const e of entries) {
    const li = el('li', e.reason === 'full' ? 'bad' : '');
    li.dataset.container = e.containerId;
    li.append(
      el('span', 'mono', e.containerId),
      el('strong', 'num', ` ${value(e.fillPct, '%')} `),
      el('span', `badge ${e.reason === 'full' ? 'bad' : 'warn'}`, t(`collect.${e.reason}`)),
      el('small', 'muted', prediction(e.fullAtMs, e.fullLowMs, e.fullHighMs)),
    );
    ol.append(li);
  }
  c.append(ol);
  return c;
}

export function renderContainers(root, state) {
  const sensors = [...state.devices.values()].filter((v) => v.kind === 'fill-sensor');
  if (sensors.length === 0) root.append(el('p', 'empty', t('noContainers')));
  else root.append(collectionCard(state.collection));
  const grid = el('div', 'grid');
  for (const v of sorted(sensors)) {
    const c = card(v.group ?? v.id, `container${v.available ? '' : ' unavailable'}`);
    const fill = typeof v.state.fill === 'number' ? v.state.fill : undefined;
    const line = el('p', 'fill');
    line.append(
      el('span', '', `${t('fill')} `),
      meter(fill, { low: 60, high: FULL_PCT }),
      el('strong', '', ` ${value(fill, '%')}`),
    );
    c.append(line);
    c.append(el('p', 'prediction', prediction(v.state.fullAtMs, v.state.fullLowMs, v.state.fullHighMs)));
    const history = state.fillHistory.get(v.id) ?? [];
    const trend = el('div', 'trend');
    trend.append(
      el('small', '', `${t('trend')} (${history.length})`),
      sparkline(history, `${t('trend')} ${v.id}`),
    );
    c.append(trend);
    c.append(el('small', 'mono', `${v.id} · ${v.driver} · ${t('updated', { time: time(v.updatedMs) })}`));
    if (!v.available) c.append(availability(v));
    grid.append(c);
  }
  root.append(grid);
}

const KINDS = [
  {
    kind: 'luminaire',
    points: [
      { name: 'level', unit: '%' },
      { name: 'power', unit: 'W' },
    ],
  },
  { kind: 'signal-head', points: [{ name: 'aspect' }] },
  { kind: 'detector', points: [] },
  {
    kind: 'fill-sensor',
    points: [{ name: 'fill', unit: '%' }],
    hidden: ['fullAtMs', 'fullLowMs', 'fullHighMs'],
  },
];

function cell(row, label, content, className) {
  const td = el('td', className);
  td.dataset.label = label;
  if (typeof content === 'string') td.textContent = content;
  else td.append(content);
  row.append(td);
}

export function renderDevices(root, state) {
  if (state.devices.size === 0) root.append(el('p', 'empty', t('noDevices')));
  for (const { kind, points, hidden = [] } of KINDS) {
    const views = sorted([...state.devices.values()].filter((v) => v.kind === kind));
    if (views.length === 0) continue;
    const section = el('section', 'kind');
    const h2 = el('h2', '', t(`kind.${kind}`));
    const down = views.filter((v) => !v.available).length;
    h2.append(el('span', 'count', t('count', { n: views.length })));
    if (down > 0) h2.append(el('span', 'count bad', `✕ ${t('unavailableCount', { n: down })}`));
    section.append(h2);
    const table = el('table', 'devices');
    const head = el('tr');
    for (const column of [
      'id',
      'group',
      'availability',
      'driver',
      ...points.map((p) => p.name),
      'other',
      'reason',
    ]) {
      const th = el('th', '', t(`col.${column}`));
      th.scope = 'col';
      head.append(th);
    }
    const thead = el('thead');
    thead.append(head);
    const tbody = el('tbody');
    for (const view of views) {
      const tr = el('tr', view.available ? '' : 'unavailable');
      tr.dataset.device = view.id;
      const id = el('div');
      id.append(
        el('span', 'mono', view.id),
        el('small', 'muted', t('updated', { time: time(view.updatedMs) })),
      );
      cell(tr, t('col.id'), id, 'id');
      cell(tr, t('col.group'), view.group ?? '—');
      cell(tr, t('col.availability'), availability(view));
      cell(tr, t('col.driver'), `${view.driver} · ${view.type}`);
      // Predicted times are epoch ms: shown in the containers view, not as raw numbers here.
      const shown = new Set(hidden);
      for (const point of points) {
        shown.add(point.name);
        const v = view.state[point.name];
        cell(
          tr,
          t(`col.${point.name}`),
          point.name === 'aspect' ? aspectNode(v) : value(v, point.unit),
          'num',
        );
      }
      const other = Object.entries(view.state)
        .filter(([name]) => !shown.has(name))
        .map(([name, v]) => `${name}: ${value(v)}`)
        .join(' · ');
      cell(tr, t('col.other'), other || '—', 'other');
      cell(tr, t('col.reason'), view.reason ? reasonText(view.reasonCode, view.reason) : '—', 'reason');
      tbody.append(tr);
    }
    table.append(thead, tbody);
    section.append(table);
    root.append(section);
  }
}
