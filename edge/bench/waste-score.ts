// Scoring of full-time forecasts and emptying detection on series whose truth is known, shared by
// the waste benchmark (./waste-bench.ts) and the KPI report (hil-tests/report/waste-kpi.ts).
//
// A forecast is scored at every reading made in a cycle whose container really reaches its
// threshold before it is emptied (a full time that never came cannot be checked); the error is
// |predicted − actual| hours with both capped at CAP_HOURS (a forecast of "never" counts as the
// cap). The baseline is the one named in REFERENCE §4 and issue 17: a least-squares linear trend
// through the last 48 h of readings — given every advantage: the readings calle accepted (no "no
// echo", no spikes) and only those since the last emptying calle detected, so that what calle
// gains is its forecasting, not its cleaning. Coverage: the share of scored forecasts whose
// interval holds the actual time (a forecast with no interval does not hold it).
//
// Emptying detection: a detection within DETECT_WITHIN_HOURS after a true emptying matches it
// (the kernel confirms a jump with the next reading, and "no echo" runs delay it); an emptying
// that removed less than VISIBLE_DROP of the depth is not counted either way (it is within the
// spike threshold of the sensor; nothing can see it).
import { WasteController, type WasteContainerSpec } from '../control/waste-controller.js';
import type { WasteForecastParams } from '../control/waste-forecast.js';
import type { WasteParams } from '../../wasm/core.js';

const HOUR_MS = 3_600_000;
export const CAP_HOURS = 30 * 24;
const TREND_WINDOW_MS = 48 * HOUR_MS;
const DETECT_WITHIN_HOURS = 24;
const VISIBLE_DROP = 0.1;

export interface ScoredReading {
  readonly timeMs: number;
  readonly distanceCm: number;
  /** NaN: no temperature. */
  readonly temperatureC: number;
  /** The true fill (simulation) or the measured one (real data), 0–1. */
  readonly truth: number;
}

export interface ScoredContainer extends WasteContainerSpec {
  readonly readings: readonly ScoredReading[];
  /** True emptyings when known; otherwise a drop of `truthDrop` in `truth` is one. */
  readonly emptyings?: readonly {
    readonly timeMs: number;
    readonly before: number;
    readonly after: number;
  }[];
}

/** What a method said after each reading. Hours ahead; undefined: nothing said. */
export interface Said {
  readonly fill: number;
  readonly accepted: boolean;
  readonly emptied: boolean;
  readonly ttf?: number;
  readonly low?: number;
  readonly high?: number;
}

export interface Scores {
  readonly n: number;
  readonly calleMaeHours: number;
  readonly trendMaeHours: number;
  /** MAE where the container truly filled within 24 h, and within 1–5 days. */
  readonly calleMae24: number;
  readonly trendMae24: number;
  readonly calleMae1to5d: number;
  readonly trendMae1to5d: number;
  /** The same, only where the trend had a forecast within the cap (a rising 48 h). */
  readonly nTrendFinite: number;
  readonly calleMaeTrendFinite: number;
  readonly trendMaeTrendFinite: number;
  readonly coverage: number;
  readonly recall: number;
  readonly precision: number;
}

/** Replays every container through one site's WasteController, in time order. */
export function replayController(
  containers: readonly ScoredContainer[],
  opts: { params?: Partial<WasteParams>; forecast?: Partial<WasteForecastParams> } = {},
): Said[][] {
  const w = new WasteController(containers, { engine: 'wasm', ...opts });
  const events: [number, number, number][] = [];
  containers.forEach((c, ci) => c.readings.forEach((r, ri) => events.push([r.timeMs, ci, ri])));
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const said: Said[][] = containers.map((c) => new Array<Said>(c.readings.length));
  let k = 0;
  while (k < events.length) {
    const t = events[k]![0];
    const batch: [number, number][] = [];
    for (; k < events.length && events[k]![0] === t; k++) {
      const [, ci, ri] = events[k]!;
      const c = containers[ci]!;
      const r = c.readings[ri]!;
      if (w.isPending(c.id)) flush(w, t, batch, containers, said);
      w.observe(c.id, r.distanceCm, r.temperatureC);
      batch.push([ci, ri]);
    }
    flush(w, t, batch, containers, said);
  }
  return said;
}

function flush(
  w: WasteController,
  t: number,
  batch: [number, number][],
  containers: readonly ScoredContainer[],
  said: Said[][],
): void {
  const byId = new Map(batch.map(([ci, ri]) => [containers[ci]!.id, [ci, ri] as const]));
  for (const r of w.step(t)) {
    const [ci, ri] = byId.get(r.containerId)!;
    const hours = (ms: number | undefined) => (ms === undefined ? undefined : (ms - t) / HOUR_MS);
    said[ci]![ri] = {
      fill: r.fill ?? Number.NaN,
      accepted: r.outcome === 'accepted' || r.outcome === 'emptied',
      emptied: r.emptied,
      ttf: hours(r.fullAtMs),
      low: hours(r.fullLowMs),
      high: hours(r.fullHighMs),
    };
  }
  batch.length = 0;
}

/** Hours from each reading to the container's next true full time within the cycle; NaN: none. */
function actualHours(c: ScoredContainer, truthDrop: number): Float64Array {
  const rs = c.readings;
  const out = new Float64Array(rs.length).fill(Number.NaN);
  const emptyings = c.emptyings?.map((e) => e.timeMs) ?? [];
  let e = emptyings.length - 1;
  let nextFull = Number.NaN;
  for (let k = rs.length - 1; k >= 0; k--) {
    const r = rs[k]!;
    if (r.truth < c.fullThreshold) out[k] = (nextFull - r.timeMs) / HOUR_MS;
    else nextFull = r.timeMs;
    const prev = rs[k - 1];
    if (!prev) break;
    if (c.emptyings) {
      let between = false;
      while (e >= 0 && emptyings[e]! > prev.timeMs) {
        if (emptyings[e]! <= r.timeMs) between = true;
        e--;
      }
      if (between) nextFull = Number.NaN;
    } else if (prev.truth - r.truth >= truthDrop) nextFull = Number.NaN;
  }
  return out;
}

/** The baseline: least-squares slope of the accepted fills of the last 48 h since the last detected emptying. */
function trendHours(c: ScoredContainer, said: readonly Said[]): Float64Array {
  const out = new Float64Array(said.length).fill(Number.NaN);
  const window: { t: number; f: number }[] = [];
  for (let k = 0; k < said.length; k++) {
    const s = said[k]!;
    const t = c.readings[k]!.timeMs / HOUR_MS;
    if (s.emptied) window.length = 0;
    if (s.accepted) window.push({ t, f: s.fill });
    while (window.length > 0 && window[0]!.t < t - TREND_WINDOW_MS / HOUR_MS) window.shift();
    let n = 0;
    let st = 0;
    let sf = 0;
    let stt = 0;
    let stf = 0;
    for (const p of window) {
      const dt = p.t - t;
      n++;
      st += dt;
      sf += p.f;
      stt += dt * dt;
      stf += dt * p.f;
    }
    const d = n * stt - st * st;
    const slope = n >= 2 && d > 0 ? (n * stf - st * sf) / d : Number.NaN;
    const remaining = c.fullThreshold - s.fill;
    out[k] = remaining <= 0 ? 0 : slope > 0 ? remaining / slope : Number.POSITIVE_INFINITY;
  }
  return out;
}

const capped = (h: number | undefined): number =>
  h !== undefined && Number.isFinite(h) && h >= 0 ? Math.min(h, CAP_HOURS) : CAP_HOURS;

/** Scores one site's replay: forecasts made at or after `fromMs`. */
export function score(
  containers: readonly ScoredContainer[],
  said: readonly (readonly Said[])[],
  opts: { fromMs?: number; truthDrop?: number } = {},
): Scores {
  const fromMs = opts.fromMs ?? Number.NEGATIVE_INFINITY;
  const acc = { n: 0, calle: 0, trend: 0, covered: 0 };
  const short = { n: 0, calle: 0, trend: 0 };
  const mid = { n: 0, calle: 0, trend: 0 };
  const finite = { n: 0, calle: 0, trend: 0 };
  let visible = 0;
  let found = 0;
  let detections = 0;
  let right = 0;
  containers.forEach((c, ci) => {
    const s = said[ci]!;
    const actual = actualHours(c, opts.truthDrop ?? 0.3);
    const trend = trendHours(c, s);
    for (let k = 0; k < s.length; k++) {
      const a = actual[k]!;
      if (!(a >= 0) || c.readings[k]!.timeMs < fromMs) continue;
      const p = s[k]!;
      const ec = Math.abs(capped(p.ttf) - Math.min(a, CAP_HOURS));
      const et = Math.abs(capped(trend[k]) - Math.min(a, CAP_HOURS));
      acc.n++;
      acc.calle += ec;
      acc.trend += et;
      if (p.ttf !== undefined && a >= (p.low ?? 0) && a <= (p.high ?? Number.POSITIVE_INFINITY))
        acc.covered++;
      for (const band of [
        a < 24 ? short : a < 120 ? mid : undefined,
        trend[k]! < CAP_HOURS ? finite : undefined,
      ]) {
        if (!band) continue;
        band.n++;
        band.calle += ec;
        band.trend += et;
      }
    }
    // Emptying detection, when the truth knows the emptyings.
    if (!c.emptyings) return;
    const truth = c.emptyings;
    const matched = new Set<number>();
    for (let k = 0; k < s.length; k++) {
      if (!s[k]!.emptied || c.readings[k]!.timeMs < fromMs) continue;
      const t = c.readings[k]!.timeMs;
      const m = truth.findIndex(
        (e, i) => !matched.has(i) && e.timeMs <= t && t - e.timeMs <= DETECT_WITHIN_HOURS * HOUR_MS,
      );
      if (m >= 0 && truth[m]!.before - truth[m]!.after < VISIBLE_DROP) {
        matched.add(m);
        continue;
      }
      detections++;
      if (m >= 0) {
        matched.add(m);
        right++;
      }
    }
    for (const e of truth) {
      if (e.timeMs < fromMs || e.before - e.after < VISIBLE_DROP) continue;
      // The last reading must come after the detection window's start for it to be findable.
      visible++;
    }
    found += [...matched].filter((i) => truth[i]!.before - truth[i]!.after >= VISIBLE_DROP).length;
  });
  return {
    n: acc.n,
    calleMaeHours: acc.calle / acc.n,
    trendMaeHours: acc.trend / acc.n,
    calleMae24: short.calle / short.n,
    trendMae24: short.trend / short.n,
    calleMae1to5d: mid.calle / mid.n,
    trendMae1to5d: mid.trend / mid.n,
    nTrendFinite: finite.n,
    calleMaeTrendFinite: finite.calle / finite.n,
    trendMaeTrendFinite: finite.trend / finite.n,
    coverage: acc.covered / acc.n,
    recall: visible ? found / visible : Number.NaN,
    precision: detections ? right / detections : Number.NaN,
  };
}
