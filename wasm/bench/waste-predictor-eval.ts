// Which fill-rate estimator for the waste kernel: a measurement on the shared real data
// (hil-tests/data/waste, see its README for sources and licences), against the baselines of
// REFERENCE §4 ("no change" and linear trend). Prints the tables; changes nothing.
//
//   npx tsx wasm/bench/waste-predictor-eval.ts [DATA_DIR]
//
// Wyndham (33 bins, 2018–2021, one fullness reading a day in steps of 20 %): fill error h days
// ahead, in % of the range, at every reading whose horizon holds no emptying (an emptying is a
// decision, not something the sensor can foresee), and time-to-full error in days with the
// coverage of the kernel's interval. Edinburgh (334 bins, 2016, the fill level at each collection):
// the fill at the next collection predicted from the collections before it.
//
// Candidates: no change; linear trend through the last two readings; Holt's linear smoothing
// (α 0.5, β 0.2, restarted at each emptying); the kernel's estimator (wasm/waste.ts) with
// priorHours 0 (the current cycle's mean rate alone) and 24/48/96 (shrunk toward the bin's own
// mean rate over past cycles).

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_WASTE_PARAMS, WASTE, WASTE_FIELDS, wasteStep, type WasteParams } from '../waste.js';
import { WASTE_DATA } from '../../hil-tests/data/data-dirs.js';

const dataDir = resolve(process.argv[2] ?? WASTE_DATA);
const DAY_MS = 86_400_000;
const EMPTY_DROP = 0.3;

interface Reading {
  t: number; // days
  fill: number; // 0–1
  threshold: number; // 0–1
}

function csv(file: string): string[][] {
  return readFileSync(join(dataDir, file), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(','));
}

function wyndham(): Reading[][] {
  const bins = new Map<string, Reading[]>();
  for (const [id, fullness, threshold, date] of csv('wyndham_daily_fullness.csv')) {
    const [d, m, y] = date!.split('-').map(Number);
    const t = Date.UTC(y!, m! - 1, d) / DAY_MS;
    const list = bins.get(id!) ?? [];
    list.push({ t, fill: Number(fullness) / 10, threshold: Number(threshold) / 10 });
    bins.set(id!, list);
  }
  // A few days appear twice: keep the last row of a day.
  return [...bins.values()].map((r) =>
    [...new Map(r.map((x) => [x.t, x])).values()].sort((a, b) => a.t - b.t),
  );
}

/** Predicts the fill `h` days after reading i from readings 0..i. */
type Predictor = (bin: Reading[], i: number, h: number) => number;

const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);

const noChange: Predictor = (bin, i) => bin[i]!.fill;

const linearTrend: Predictor = (bin, i, h) => {
  if (i === 0) return bin[i]!.fill;
  const a = bin[i - 1]!;
  const b = bin[i]!;
  return clamp01(b.fill + ((b.fill - a.fill) / (b.t - a.t)) * h);
};

function holt(alpha: number, beta: number): Predictor {
  const cache = new WeakMap<Reading[], { level: number; trend: number }[]>();
  return (bin, i, h) => {
    let states = cache.get(bin);
    if (!states) {
      states = [];
      let level = bin[0]!.fill;
      let trend = 0;
      for (let k = 0; k < bin.length; k++) {
        const r = bin[k]!;
        if (k > 0) {
          const dt = r.t - bin[k - 1]!.t;
          if (bin[k - 1]!.fill - r.fill >= EMPTY_DROP) {
            level = r.fill;
            trend = 0;
          } else {
            const prev = level;
            level = alpha * r.fill + (1 - alpha) * (level + trend * dt);
            trend = beta * ((level - prev) / dt) + (1 - beta) * trend;
          }
        }
        states.push({ level, trend });
      }
      cache.set(bin, states);
    }
    const s = states[i]!;
    return clamp01(s.level + s.trend * h);
  };
}

/** Runs the kernel's twin over a bin, one reading per call; returns rate (per day) and ttf after each. */
function runKernel(
  bin: Reading[],
  params: WasteParams,
): { rate: number; ttf: number; low: number; high: number }[] {
  const depth = 100;
  const s = new Float64Array(WASTE_FIELDS).fill(Number.NaN);
  s[WASTE.depthCm] = depth;
  s[WASTE.cycles] = 0;
  s[WASTE.cycleHours] = 0;
  s[WASTE.priorVar] = 0;
  const out = [];
  for (let k = 0; k < bin.length; k++) {
    const r = bin[k]!;
    s[WASTE.fullAt] = r.threshold;
    s[WASTE.distanceCm] = depth * (1 - r.fill);
    wasteStep(s, 1, k === 0 ? 0 : (r.t - bin[k - 1]!.t) * 24, params);
    out.push({
      rate: s[WASTE.rate]! * 24,
      ttf: s[WASTE.ttfHours]! / 24,
      low: s[WASTE.ttfLowHours]! / 24,
      high: s[WASTE.ttfHighHours]! / 24,
    });
  }
  return out;
}

function kernel(priorHours: number): { predict: Predictor; params: WasteParams } {
  // Daily readings from a processed feed: no spike holding (it would delay each emptying a day).
  const params = { ...DEFAULT_WASTE_PARAMS, spikeCm: Infinity, emptyDrop: EMPTY_DROP, priorHours };
  const cache = new WeakMap<Reading[], ReturnType<typeof runKernel>>();
  const predict: Predictor = (bin, i, h) => {
    let runs = cache.get(bin);
    if (!runs) cache.set(bin, (runs = runKernel(bin, params)));
    const rate = runs[i]!.rate;
    return clamp01(bin[i]!.fill + (rate === rate ? rate * h : 0));
  };
  return { predict, params };
}

const candidates: [string, Predictor][] = [
  ['no change', noChange],
  ['linear trend (last two)', linearTrend],
  ['Holt α0.5 β0.2', holt(0.5, 0.2)],
  ['cycle mean rate (prior 0 h)', kernel(0).predict],
  ['cycle + prior 24 h', kernel(24).predict],
  ['cycle + prior 48 h (chosen)', kernel(48).predict],
  ['cycle + prior 96 h', kernel(96).predict],
  ["past cycles' mean rate only", kernel(1e9).predict],
];

function fillErrors(bins: Reading[][], h: number): Map<string, { mae: number; n: number }> {
  const sums = new Map(candidates.map(([name]) => [name, 0]));
  let n = 0;
  for (const bin of bins) {
    for (let i = 0; i < bin.length; i++) {
      const target = bin.findIndex((r, k) => k > i && r.t === bin[i]!.t + h);
      if (target < 0) continue;
      let emptied = false;
      for (let k = i + 1; k <= target; k++) if (bin[k - 1]!.fill - bin[k]!.fill >= EMPTY_DROP) emptied = true;
      if (emptied) continue;
      n++;
      for (const [name, predict] of candidates) {
        sums.set(name, sums.get(name)! + Math.abs(predict(bin, i, h) - bin[target]!.fill));
      }
    }
  }
  return new Map([...sums].map(([name, sum]) => [name, { mae: (100 * sum) / n, n }]));
}

function ttfErrors(bins: Reading[][]): string[] {
  const rows: string[] = [];
  for (const prior of [0, 48]) {
    const { params } = kernel(prior);
    let n = 0;
    let errKernel = 0;
    let errTrend = 0;
    let covered = 0;
    for (const bin of bins) {
      const runs = runKernel(bin, params);
      for (let i = 1; i < bin.length; i++) {
        const r = bin[i]!;
        if (r.fill >= r.threshold) continue;
        // The first later reading at or above the threshold, with no emptying before it.
        let full = -1;
        for (let k = i + 1; k < bin.length; k++) {
          if (bin[k - 1]!.fill - bin[k]!.fill >= EMPTY_DROP) break;
          if (bin[k]!.fill >= bin[k]!.threshold) {
            full = k;
            break;
          }
        }
        if (full < 0) continue;
        const actual = bin[full]!.t - r.t;
        const run = runs[i]!;
        const predicted = Number.isFinite(run.ttf) ? run.ttf : 30;
        const slope = (r.fill - bin[i - 1]!.fill) / (r.t - bin[i - 1]!.t);
        const trend = slope > 0 ? (r.threshold - r.fill) / slope : 30;
        n++;
        errKernel += Math.abs(Math.min(predicted, 30) - actual);
        errTrend += Math.abs(Math.min(trend, 30) - actual);
        if (actual >= run.low && actual <= run.high) covered++;
      }
    }
    rows.push(
      `prior ${String(prior).padStart(2)} h: kernel ${(errKernel / n).toFixed(2)} d, linear trend ${(errTrend / n).toFixed(2)} d, ` +
        `interval coverage ${((100 * covered) / n).toFixed(1)} % (z ${params.z}), n ${n}`,
    );
  }
  return rows;
}

function edinburgh(): string[] {
  const sites = new Map<string, { t: number; before: number; after: number }[]>();
  for (const row of csv('edinburgh_collections.csv')) {
    // The site name may hold commas: fields are counted from the end.
    const at = row.length;
    const site = row[1]!;
    const t = Date.parse(`${row[at - 6]}Z`) / DAY_MS;
    const list = sites.get(site) ?? [];
    list.push({ t, before: Number(row[at - 5]) / 100, after: Number(row[at - 4]) / 100 });
    sites.set(site, list);
  }
  const err = { noChange: 0, lastRate: 0, meanRate: 0, n: 0 };
  for (const list of sites.values()) {
    list.sort((a, b) => a.t - b.t);
    let mean = Number.NaN;
    let last = Number.NaN;
    for (let k = 1; k < list.length; k++) {
      const dt = list[k]!.t - list[k - 1]!.t;
      if (!(dt > 0.05)) continue;
      const rate = (list[k]!.before - list[k - 1]!.after) / dt;
      if (mean === mean) {
        const actual = list[k]!.before;
        err.noChange += Math.abs(list[k - 1]!.before - actual);
        err.lastRate += Math.abs(clamp01(list[k - 1]!.after + last * dt) - actual);
        err.meanRate += Math.abs(clamp01(list[k - 1]!.after + mean * dt) - actual);
        err.n++;
      }
      mean = mean === mean ? mean + 0.3 * (rate - mean) : rate;
      last = rate;
    }
  }
  const pct = (x: number) => `${((100 * x) / err.n).toFixed(1)} %`;
  return [
    `Edinburgh, fill at the next collection (${err.n} collections): no change ${pct(err.noChange)}, ` +
      `last cycle's rate ${pct(err.lastRate)}, site mean rate (weight 0.3) ${pct(err.meanRate)}`,
  ];
}

const bins = wyndham();
console.log(`Wyndham: ${bins.length} bins, ${bins.reduce((a, b) => a + b.length, 0)} daily readings`);
const horizons = [1, 2, 3];
const tables = horizons.map((h) => fillErrors(bins, h));
console.log(
  `\n${'fill error, % of range (MAE)'.padEnd(32)}${horizons.map((h) => `${h * 24} h`.padStart(9)).join('')}`,
);
for (const [name] of candidates) {
  console.log(`${name.padEnd(32)}${tables.map((t) => t.get(name)!.mae.toFixed(2).padStart(9)).join('')}`);
}
console.log(
  `${'readings scored'.padEnd(32)}${tables.map((t) => String(t.get('no change')!.n).padStart(9)).join('')}`,
);
console.log('\nWyndham, time to full (MAE, days, capped at 30):');
for (const row of ttfErrors(bins)) console.log(`  ${row}`);
console.log('');
for (const row of edinburgh()) console.log(row);
