// The waste part of the KPI report (issue 7): time-to-full error of calle's estimator (the WASM
// core's waste kernel, run through its TypeScript twin) against the naive baselines of
// REFERENCE §4, "no change" and a linear trend over the last 48 h, on
//   - Wyndham's real daily fullness data (hil-tests/data/waste), scored as
//     wasm/bench/waste-predictor-eval.ts scores it (that script runs on import, so its loading
//     and scoring rules are restated here rather than imported);
//   - simulated hourly series from the fill-sensor model of hil-tests/equipment (no-echo
//     readings, spikes, 1 cm steps, bursty deposits, temperature), since no licensed hourly
//     series exists.
// A prediction is scored at every reading below the threshold whose next crossing of it comes
// before any emptying; predictions are capped at 30 days, as in the eval script.
// "No change" never reaches the threshold, so it predicts the cap.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FillSensorModel } from '../equipment/fill-sensor-model.js';
import { DEFAULT_WASTE_PARAMS, WASTE, WASTE_FIELDS, wasteStep, type WasteParams } from '../../wasm/waste.js';
import type { WasteDataset, WasteKpi } from './report-writer.js';
import { WASTE_DATA } from '../data/data-dirs.js';

const DAY_MS = 86_400_000;
const CAP_DAYS = 30;
const EMPTY_DROP = 0.3;
const TREND_WINDOW_DAYS = 2;

interface Reading {
  /** Days. */
  readonly t: number;
  /** Measured fill 0–1 (NaN: no reading usable by the baselines, e.g. no echo). */
  readonly fill: number;
  readonly threshold: number;
  /** What the kernel is fed. */
  readonly distanceCm: number;
  readonly temperatureC: number;
  /** The true fill where known (simulation), else the measured one. */
  readonly truth: number;
}

/** Least-squares slope (per day) of the readings within the last 48 h up to i; NaN with fewer than two. */
export function trendSlope(bin: readonly Reading[], i: number): number {
  const t0 = bin[i]!.t - TREND_WINDOW_DAYS;
  let n = 0;
  let st = 0;
  let sf = 0;
  let stt = 0;
  let stf = 0;
  for (let k = i; k >= 0 && bin[k]!.t >= t0 - 1e-9; k--) {
    const r = bin[k]!;
    if (!Number.isFinite(r.fill)) continue;
    n++;
    st += r.t;
    sf += r.fill;
    stt += r.t * r.t;
    stf += r.t * r.fill;
  }
  const d = n * stt - st * st;
  return n >= 2 && d > 0 ? (n * stf - st * sf) / d : Number.NaN;
}

function kernelTtfDays(bin: readonly Reading[], depthCm: number, params: WasteParams): number[] {
  const s = new Float64Array(WASTE_FIELDS).fill(Number.NaN);
  s[WASTE.depthCm] = depthCm;
  s[WASTE.cycles] = 0;
  s[WASTE.cycleHours] = 0;
  s[WASTE.priorVar] = 0;
  return bin.map((r, k) => {
    s[WASTE.fullAt] = r.threshold;
    s[WASTE.distanceCm] = r.distanceCm;
    s[WASTE.temperatureC] = r.temperatureC;
    wasteStep(s, 1, k === 0 ? 0 : (r.t - bin[k - 1]!.t) * 24, params);
    return s[WASTE.ttfHours]! / 24;
  });
}

const capped = (x: number): number => (Number.isFinite(x) && x >= 0 ? Math.min(x, CAP_DAYS) : CAP_DAYS);

/** Scores every bin; `truth` decides when the bin was really full and really emptied. */
export function scoreTtf(
  bins: readonly (readonly Reading[])[],
  depthCm: number,
  params: WasteParams,
): { n: number; calle: number; noChange: number; trend: number } {
  let n = 0;
  let calle = 0;
  let noChange = 0;
  let trend = 0;
  for (const bin of bins) {
    const ttf = kernelTtfDays(bin, depthCm, params);
    for (let i = 1; i < bin.length; i++) {
      const r = bin[i]!;
      if (r.truth >= r.threshold || !Number.isFinite(r.fill)) continue;
      let full = -1;
      for (let k = i + 1; k < bin.length; k++) {
        if (bin[k - 1]!.truth - bin[k]!.truth >= EMPTY_DROP) break;
        if (bin[k]!.truth >= bin[k]!.threshold) {
          full = k;
          break;
        }
      }
      if (full < 0) continue;
      const actual = bin[full]!.t - r.t;
      const slope = trendSlope(bin, i);
      n++;
      calle += Math.abs(capped(ttf[i]!) - actual);
      noChange += Math.abs(CAP_DAYS - actual);
      trend += Math.abs(capped(slope > 0 ? (r.threshold - r.fill) / slope : Infinity) - actual);
    }
  }
  return { n, calle: calle / n, noChange: noChange / n, trend: trend / n };
}

/** Wyndham's daily fullness (0–10 in steps of 2) as readings on a 100 cm container. */
export function wyndhamBins(dataDir: string): Reading[][] {
  const rows = readFileSync(join(dataDir, 'wyndham_daily_fullness.csv'), 'utf8').trim().split('\n').slice(1);
  const bins = new Map<string, Map<number, Reading>>();
  for (const line of rows) {
    const [id, fullness, threshold, date] = line.split(',');
    const [d, m, y] = date!.split('-').map(Number);
    const t = Date.UTC(y!, m! - 1, d) / DAY_MS;
    const fill = Number(fullness) / 10;
    const byDay = bins.get(id!) ?? new Map<number, Reading>();
    // A few days appear twice: the last row of a day wins (as in the eval script).
    byDay.set(t, {
      t,
      fill,
      threshold: Number(threshold) / 10,
      distanceCm: 100 * (1 - fill),
      temperatureC: Number.NaN,
      truth: fill,
    });
    bins.set(id!, byDay);
  }
  return [...bins.values()].map((b) => [...b.values()].sort((a, b2) => a.t - b2.t));
}

/**
 * Hourly series from the fill-sensor model: containers that fill in about a week (packaging and
 * organic fill far faster than the model's glass default), emptied about every 12 days and
 * sooner once full.
 */
export function simulatedBins(count: number, days: number, depthCm: number, fullAt: number): Reading[][] {
  const out: Reading[][] = [];
  for (let c = 0; c < count; c++) {
    const model = new FillSensorModel({
      depthCm,
      seed: 1000 + c,
      fillCmPerDay: 10 + (c % 5) * 3,
      emptyEveryDays: 12,
      startMs: Date.UTC(2025, 0, 6),
    });
    const bin: Reading[] = [];
    for (let h = 0; h < days * 24; h++) {
      const r = model.step(1);
      const valid = r.distanceCm < DEFAULT_WASTE_PARAMS.noEchoCm;
      bin.push({
        t: r.timeMs / DAY_MS,
        fill: valid ? Math.min(1, Math.max(0, 1 - r.distanceCm / depthCm)) : Number.NaN,
        threshold: fullAt,
        distanceCm: r.distanceCm,
        temperatureC: r.temperatureC,
        truth: r.trueWasteCm / depthCm,
      });
    }
    out.push(bin);
  }
  return out;
}

export interface WasteKpiOptions {
  readonly dataDir?: string;
  readonly simulatedContainers?: number;
  readonly simulatedDays?: number;
}

export function runWasteKpi(o: WasteKpiOptions = {}): WasteKpi {
  const dataDir = o.dataDir ?? WASTE_DATA;
  const datasets: WasteDataset[] = [];
  const notes: string[] = [];
  const dataset = (name: string, s: ReturnType<typeof scoreTtf>): WasteDataset => ({
    name,
    n: s.n,
    unit: 'days',
    calleMae: s.calle,
    baselines: { 'no change': s.noChange, 'linear trend 48 h': s.trend },
  });
  try {
    // Daily readings from a processed feed: no spike holding (as in the eval script).
    const params = { ...DEFAULT_WASTE_PARAMS, spikeCm: Infinity, emptyDrop: EMPTY_DROP };
    const bins = wyndhamBins(dataDir);
    datasets.push(dataset(`Wyndham real, ${bins.length} bins, daily`, scoreTtf(bins, 100, params)));
  } catch (err) {
    notes.push(`Wyndham data not scored: ${err instanceof Error ? err.message : String(err)}`);
  }
  const count = o.simulatedContainers ?? 20;
  const days = o.simulatedDays ?? 60;
  const sim = simulatedBins(count, days, 150, 0.8);
  datasets.push(
    dataset(`simulated, ${count} containers × ${days} d, hourly`, scoreTtf(sim, 150, DEFAULT_WASTE_PARAMS)),
  );
  notes.push(
    `Errors in days, predictions capped at ${CAP_DAYS} d (actual times are not); "no change" never reaches the threshold, so it predicts the cap.`,
    'Linear trend 48 h: least-squares slope of the readings of the last 48 h inclusive (daily data: three readings); no-echo readings left out, spikes kept (it is a naive baseline).',
    'calle: the waste kernel (wasm/waste.ts, TypeScript twin) with its defaults (prior 48 h); on the daily Wyndham feed spike holding is off, as in wasm/bench/waste-predictor-eval.ts.',
    "Edinburgh's collections data has the fill only at collections, so it has no time-to-full to score; wasm/bench/waste-predictor-eval.ts scores its fill at the next collection.",
    'Simulated: hil-tests/equipment/fill-sensor-model.ts (REFERENCE §4 behaviour), 150 cm containers full at 80 %, fill rates 10–22 cm/day, scored against the true fill.',
  );
  return { datasets, notes };
}
