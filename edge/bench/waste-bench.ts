// npm run bench:waste [-- --seeds N] [--set held-out|tuning] [--level 0.8] [--data DIR] [--json FILE]
//
// The waste goals of issue 17, measured: calle's full-time forecasts (edge/control/waste-forecast.ts
// through the WasteController, as `calle waste predict` runs them) against the 48 h linear-trend
// baseline, the coverage of the stated interval, and emptying detection — on series the defaults
// were not chosen on (the held-out seeds and bins of ./waste-datasets.ts; `--set tuning` shows the
// ones they were chosen on). Scoring rules: ./waste-score.ts and ./waste-score-collections.ts.
//
// Simulated sites: one site per seed (24 containers × 120 days on the district model, 20 × 120 on
// the HIL sensor model), forecasts scored after a 14-day warm-up (a new site's first cycles teach
// it; both methods are scored on the same readings); the figure is the median over seeds. Real
// data: Wyndham's held-out bins as one site from its first day, Edinburgh's held-out bins' fill at
// each next collection.
//
// Goals: time-to-full MAE ≤ 0.6 × the baseline, emptying recall and precision ≥ 0.95, coverage
// within ±5 points of the level. A benchmark, not a test: it prints and exits 0.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { scoreCollections } from './waste-score-collections.js';
import { replayController, score, type ScoredContainer, type Scores } from './waste-score.js';
import {
  edinburghSites,
  HELD_OUT_SEEDS,
  sensorSite,
  streetSite,
  TUNING_SEEDS,
  wyndhamSite,
} from './waste-datasets.js';
import { WASTE_DATA } from '../../hil-tests/data/data-dirs.js';

const DAY_MS = 86_400_000;
const WARM_UP_DAYS = 14;
export const WASTE_GOALS = { ratio: 0.6, recall: 0.95, precision: 0.95, coveragePoints: 0.05 } as const;

const { values: args } = parseArgs({
  options: {
    seeds: { type: 'string' },
    set: { type: 'string', default: 'held-out' },
    level: { type: 'string', default: '0.8' },
    data: { type: 'string' },
    json: { type: 'string' },
  },
});
const set = args.set === 'tuning' ? 'tuning' : 'held-out';
const level = Number(args.level);
if (!(level > 0 && level < 1)) throw new Error(`--level: must be in (0, 1), got ${args.level}`);
const allSeeds = set === 'tuning' ? [...TUNING_SEEDS] : HELD_OUT_SEEDS;
const seeds = allSeeds.slice(0, args.seeds ? Number(args.seeds) : allSeeds.length);
const dataDir = resolve(args.data ?? WASTE_DATA);
const forecast = { level };

const median = (xs: number[]): number => {
  const s = xs.filter((x) => x === x).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function run(site: readonly ScoredContainer[], warmUp: boolean, params = {}): Scores {
  const start = Math.min(...site.map((c) => c.readings[0]?.timeMs ?? Infinity));
  const said = replayController(site, { params, forecast });
  return score(site, said, { fromMs: warmUp ? start + WARM_UP_DAYS * DAY_MS : start });
}

const results: Record<string, Record<string, number>> = {};
function record(name: string, runs: Scores[]): void {
  const m = (f: (s: Scores) => number) => median(runs.map(f));
  results[name] = {
    runs: runs.length,
    forecasts: m((s) => s.n),
    calleMaeHours: m((s) => s.calleMaeHours),
    trendMaeHours: m((s) => s.trendMaeHours),
    ratio: m((s) => s.calleMaeHours / s.trendMaeHours),
    ratioWhereTrendForecasts: m((s) => s.calleMaeTrendFinite / s.trendMaeTrendFinite),
    calleMae24h: m((s) => s.calleMae24),
    trendMae24h: m((s) => s.trendMae24),
    calleMae1to5d: m((s) => s.calleMae1to5d),
    trendMae1to5d: m((s) => s.trendMae1to5d),
    coverage: m((s) => s.coverage),
    recall: m((s) => s.recall),
    precision: m((s) => s.precision),
  };
}

const t0 = Date.now();
record(
  `district model, ${seeds.length} seeds`,
  seeds.map((seed) => run(streetSite(seed), true)),
);
record(
  `HIL sensor model, ${seeds.length} seeds`,
  seeds.map((seed) => run(sensorSite(seed), true)),
);
// Daily values in 20 % steps from a processed feed: nothing to hold, and one step down is noise.
record(`Wyndham real (${set} bins)`, [
  run(wyndhamSite(dataDir, set), false, { spikeCm: Number.POSITIVE_INFINITY, emptyDrop: 0.3 }),
]);
const edinburgh = scoreCollections(edinburghSites(dataDir, set));

const f = (x: number | undefined, d = 2) => (x === undefined || x !== x ? '–' : x.toFixed(d));
const names = Object.keys(results);
const row = (label: string, key: string, d = 2) =>
  `| ${label} | ${names.map((n) => f(results[n]![key], d)).join(' | ')} |`;
const verdict = (ok: boolean) => (ok ? 'met' : 'missed');
const lines = [
  `Waste forecasts, ${set} set, interval level ${level}; medians over seeds (${((Date.now() - t0) / 1000).toFixed(0)} s)`,
  '',
  `| | ${names.join(' | ')} |`,
  `|---|${names.map(() => '---:').join('|')}|`,
  row('forecasts scored', 'forecasts', 0),
  row('time-to-full MAE, calle (h)', 'calleMaeHours', 1),
  row('time-to-full MAE, 48 h linear trend (h)', 'trendMaeHours', 1),
  row(`**calle / trend** (goal ≤ ${WASTE_GOALS.ratio})`, 'ratio'),
  row('calle / trend where the trend forecasts (rising 48 h)', 'ratioWhereTrendForecasts'),
  row('MAE when truly full within 24 h, calle (h)', 'calleMae24h', 1),
  row('… trend', 'trendMae24h', 1),
  row('MAE when truly full in 1–5 days, calle (h)', 'calleMae1to5d', 1),
  row('… trend', 'trendMae1to5d', 1),
  row(`**interval coverage** (goal ${level} ± ${WASTE_GOALS.coveragePoints})`, 'coverage'),
  row(`**emptying recall** (goal ≥ ${WASTE_GOALS.recall})`, 'recall'),
  row(`**emptying precision** (goal ≥ ${WASTE_GOALS.precision})`, 'precision'),
  '',
  `Edinburgh real (${set} bins), fill found at the next collection, MAE % of the range over ${edinburgh.n} collections: ` +
    `calle ${f(100 * edinburgh.calle, 1)}, linear trend ${f(100 * edinburgh.trend, 1)}, no change ${f(100 * edinburgh.noChange, 1)} ` +
    `(calle / trend ${f(edinburgh.calle / edinburgh.trend)}).`,
  '',
  'Goals (issue 17):',
  ...names.map((n) => {
    const r = results[n]!;
    const parts = [
      `ratio ${f(r.ratio)} ${verdict(r.ratio! <= WASTE_GOALS.ratio)}`,
      `coverage ${f(r.coverage)} ${verdict(Math.abs(r.coverage! - level) <= WASTE_GOALS.coveragePoints)}`,
    ];
    if (r.recall === r.recall)
      parts.push(
        `recall ${f(r.recall)} ${verdict(r.recall! >= WASTE_GOALS.recall)}`,
        `precision ${f(r.precision)} ${verdict(r.precision! >= WASTE_GOALS.precision)}`,
      );
    return `- ${n}: ${parts.join(', ')}`;
  }),
];
console.log(lines.join('\n'));
if (args.json) writeFileSync(args.json, JSON.stringify({ set, level, results, edinburgh }, null, 2));
