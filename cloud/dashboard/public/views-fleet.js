// Views of the fleet as it stands: the schematic map of edges by district, fleet-wide alarms, KPIs
// per district and the dashboard's audit log. Each takes the polled state and draws from scratch.
import { age, bars, el, empty, number, table, time } from './dom.js';
import { t } from './i18n.js';

const STATUS_MARK = { online: '●', stale: '◐', never: '○' };

function byDistrict(items, districtOf) {
  const groups = new Map();
  for (const item of items) {
    const d = districtOf(item) || '—';
    if (!groups.has(d)) groups.set(d, []);
    groups.get(d).push(item);
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b));
}

function loading(main, data) {
  if (data) return false;
  main.append(empty(t('loading')));
  return true;
}

/** Districts as blocks, each edge a tile: status by colour, symbol and word. */
export function renderMap(main, state) {
  const o = state.overview;
  if (loading(main, o)) return;
  if (o.edges.length === 0) return main.append(empty(t('map.none')));
  const legend = el('p', 'legend muted');
  for (const s of ['online', 'stale', 'never'])
    legend.append(el('span', `status-${s}`, `${STATUS_MARK[s]} ${t(`status.${s}`)}`));
  legend.append(el('span', undefined, t('map.staleAfter', { s: Math.round(o.staleAfterMs / 1000) })));
  main.append(legend);
  const grid = el('div', 'districts');
  for (const [district, edges] of byDistrict(o.edges, (e) => e.district)) {
    const section = el('section', 'district card');
    section.dataset.district = district;
    const online = edges.filter((e) => e.status === 'online').length;
    const head = el('header', 'district-head');
    head.append(
      el('h2', undefined, district),
      el('span', 'muted', t('map.districtCount', { online, n: edges.length })),
    );
    section.append(head);
    const tiles = el('div', 'tiles');
    for (const e of edges) {
      const tile = el('article', `edge status-${e.status}`);
      tile.dataset.edge = e.id;
      tile.dataset.status = e.status;
      tile.append(el('h3', 'mono', e.id));
      tile.append(el('p', 'state', `${STATUS_MARK[e.status]} ${t(`status.${e.status}`)}`));
      const facts = el('dl');
      const fact = (label, value, className) => {
        const div = el('div');
        div.append(el('dt', undefined, label), el('dd', className, value));
        facts.append(div);
      };
      fact(t('edge.policy'), e.policyVersion ? `v${e.policyVersion}` : '—');
      const alarms = e.alarms.critical + e.alarms.warning;
      fact(
        t('edge.alarms'),
        alarms ? number(alarms) : '0',
        e.alarms.critical ? 'bad' : alarms ? 'warn' : 'ok',
      );
      fact(t('edge.outbox'), number(e.outboxPending), e.outboxPending > 0 ? 'warn' : undefined);
      fact(
        t('edge.seen'),
        e.lastSeenMs === null ? '—' : t('ago', { age: age((o.nowMs - e.lastSeenMs) / 1000) }),
      );
      tile.append(facts);
      tiles.append(tile);
    }
    section.append(tiles);
    grid.append(section);
  }
  main.append(grid);
}

export function renderAlarms(main, state) {
  const o = state.overview;
  if (loading(main, o)) return;
  main.append(el('h2', undefined, t('alarms.title')));
  if (o.alarms.length === 0) return main.append(empty(t('alarms.none')));
  main.append(
    table(
      'records alarms',
      [
        t('col.severity'),
        t('col.district'),
        t('col.edge'),
        t('col.device'),
        t('col.code'),
        t('col.message'),
        t('col.since'),
      ],
      o.alarms.map((a) => ({
        attrs: { 'data-alarm': `${a.edgeId}/${a.deviceId}/${a.code}` },
        cells: [
          el(
            'span',
            a.severity >= 3 ? 'sev bad' : 'sev warn',
            a.severity >= 3 ? `▲ ${t('critical')}` : `△ ${t('warning')}`,
          ),
          a.district || '—',
          a.edgeId,
          a.deviceId || '—',
          a.code,
          a.message,
          time(a.timeMs),
        ],
      })),
    ),
  );
}

export function renderKpis(main, state) {
  const k = state.kpis;
  if (loading(main, k)) return;
  main.append(
    el(
      'p',
      'muted',
      t('kpi.window', { from: time(k.fromMs), to: time(k.toMs), bucket: Math.round(k.bucketMs / 60000) }),
    ),
  );
  if (k.districts.length === 0) return main.append(empty(t('kpi.none')));
  const grid = el('div', 'districts');
  for (const d of k.districts) {
    const section = el('section', 'district card kpis');
    section.dataset.district = d.district;
    section.append(el('h2', undefined, d.district));
    const block = (title, value, chart, note) => {
      const div = el('div', 'kpi');
      div.append(el('h3', undefined, title), el('p', 'figure', value));
      if (chart) div.append(chart);
      if (note) div.append(el('small', undefined, note));
      section.append(div);
    };
    block(
      t('kpi.energy'),
      `${number(d.energy.kwh, 2)} kWh`,
      bars(d.energy.buckets, t('kpi.energyChart')),
      t('kpi.energyNote'),
    );
    const tr = d.traffic;
    block(
      t('kpi.delay'),
      tr.delayS === null ? '—' : `${number(tr.delayS)} s`,
      bars(tr.delayBuckets, t('kpi.delayChart'), 'bars line'),
      tr.detectors
        ? t('kpi.delayNote', {
            flow: number(tr.flowVehH ?? 0, 0),
            occ: tr.occupancyPct === null ? '—' : number(tr.occupancyPct),
            cycle: tr.cycleS,
            n: tr.detectors,
          })
        : t('kpi.noDetectors'),
    );
    const w = d.waste;
    const due = el('div', 'kpi');
    due.dataset.kpi = 'due';
    due.append(
      el('h3', undefined, t('kpi.due', { pct: number(w.dueAtPct) })),
      el('p', `figure ${w.due ? 'warn' : ''}`, `${number(w.due)} / ${number(w.containers)}`),
    );
    due.append(bars(w.histogram, t('kpi.fillChart'), 'bars hist'));
    if (w.dueIds.length) due.append(el('small', 'mono', w.dueIds.join(', ')));
    section.append(due);
    grid.append(section);
  }
  main.append(grid);
}

export function renderAudit(main, state) {
  const a = state.audit;
  if (loading(main, a)) return;
  const v = a.verdict;
  main.append(
    el(
      'p',
      `chain ${v.ok ? 'ok' : 'bad'}`,
      v.ok ? t('audit.ok', { n: v.rows }) : t('audit.broken', { seq: v.brokenAt, reason: v.reason }),
    ),
  );
  if (a.rows.length === 0) return main.append(empty(t('audit.none')));
  main.append(
    table(
      'records audit',
      [t('col.time'), t('col.actor'), t('col.action'), t('col.target'), t('col.before'), t('col.after')],
      a.rows.map((r) => ({
        attrs: { 'data-seq': String(r.seq) },
        cells: [
          time(r.timeMs),
          r.actor,
          r.action,
          r.target,
          el('code', 'json', r.beforeJson ?? '—'),
          el('code', 'json', r.afterJson ?? '—'),
        ],
      })),
    ),
  );
}
