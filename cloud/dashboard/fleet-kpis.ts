// KPIs per district from the readings the coordinator holds, with the series the page charts. They
// are read from the 15-minute rollups (cloud/store/series-rollup.ts), never from raw readings:
// each bucket gives two samples, its first and its last reading, the last carrying the bucket's
// counter increase (restarts included), so energy and flows are those of the raw readings, and a
// six-hour window costs ~48 rows per series at any fleet size (samplesOf()).
// Only what the edges actually publish (edge/site/edge-site.ts, edge/devices/pieces.ts):
//   energy.wh     per lighting group, a counter of Wh since the edge started (drops to a small value
//                 when it restarts, so a fall counts as a restart, not as negative energy);
//   count.veh     per loop detector, a cumulative vehicle count that wraps at 2^32;
//   occupancy.pct per loop detector, the occupancy of the last sampling interval;
//   fill.pct      per container fill sensor.
// No edge publishes a measured delay, so the signal delay is an ESTIMATE from counted flow: the
// uniform-delay term of Webster's formula (F. V. Webster, "Traffic signal settings", Road Research
// Technical Paper 39, 1958; the d1 term of HCM 2010 eq. 18-19):
//   d = 0.5 · C · (1 − λ)² / (1 − min(1, x) · λ),  x = q / (λ · s)
// with C the district's policy cycle (or 90 s), an assumed green ratio λ = 0.45 and saturation flow
// s = 1800 veh/h per lane (one detector = one lane). It ignores overflow delay, so it reads low
// near saturation; it is a trend to watch, not a measurement.
import { counterStep, type RollupRow } from '../store/series-rollup.js';
import type { FleetEdge } from '../store/store-types.js';

/** The metrics the KPIs are built from (names as the edge publishes them, edge/devices/pieces.ts). */
export const KPI_METRICS = ['energy.wh', 'count.veh', 'occupancy.pct', 'fill.pct'] as const;

/** One reading (or a rollup's first or last), as the KPIs consume them. */
export interface MetricRow {
  readonly edgeId: string;
  readonly deviceId: string;
  readonly metric: string;
  readonly value: number;
  readonly timeMs: number;
  /** From a rollup: the counter's increase since the previous sample, restarts included. */
  readonly rise?: number;
}

/**
 * Rollup rows (ordered by edge, device, metric and bucket) as samples in the same order: the first
 * and the last reading of each bucket (one, when the bucket holds one reading).
 */
export function samplesOf(rows: readonly RollupRow[]): MetricRow[] {
  const out: MetricRow[] = [];
  for (const r of rows) {
    const base = { edgeId: r.edgeId, deviceId: r.deviceId, metric: r.metric };
    out.push({ ...base, value: r.first, timeMs: r.firstMs });
    if (r.n > 1) out.push({ ...base, value: r.last, timeMs: r.lastMs, rise: r.increase });
  }
  return out;
}

export const GREEN_RATIO = 0.45;
export const SATURATION_VEH_H = 1800;
export const DEFAULT_CYCLE_S = 90;
export const DEFAULT_DUE_AT_PCT = 80;
const HOUR_MS = 3_600_000;

export interface DistrictKpis {
  readonly district: string;
  readonly edges: number;
  readonly energy: { readonly kwh: number; readonly buckets: readonly number[] };
  readonly traffic: {
    readonly detectors: number;
    readonly flowVehH: number | null;
    readonly occupancyPct: number | null;
    readonly delayS: number | null;
    readonly cycleS: number;
    readonly delayBuckets: readonly (number | null)[];
  };
  readonly waste: {
    readonly containers: number;
    readonly due: number;
    readonly dueAtPct: number;
    readonly dueIds: readonly string[];
    /** Containers by latest fill, in ten bins of 10 %. */
    readonly histogram: readonly number[];
  };
}

export interface FleetKpis {
  readonly fromMs: number;
  readonly toMs: number;
  readonly bucketMs: number;
  readonly districts: readonly DistrictKpis[];
}

export interface KpiInputs {
  readonly edges: readonly FleetEdge[];
  readonly readings: readonly MetricRow[];
  readonly fromMs: number;
  readonly toMs: number;
  readonly buckets: number;
  /** The district's signal cycle (s) and due-for-collection threshold (%) from its policy. */
  readonly policyOf: (district: string) => { cycleS?: number; dueAtPct?: number };
}

/** Webster's uniform delay (s per vehicle) for a flow on one lane; see the header. */
export function websterDelayS(flowVehH: number, cycleS: number): number {
  const x = Math.min(1, flowVehH / (GREEN_RATIO * SATURATION_VEH_H));
  return (0.5 * cycleS * (1 - GREEN_RATIO) ** 2) / (1 - x * GREEN_RATIO);
}

const round = (v: number, digits = 1): number => Math.round(v * 10 ** digits) / 10 ** digits;
const mean = (xs: readonly number[]): number | null =>
  xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;

interface DistrictAcc {
  edges: number;
  energyBuckets: number[];
  /** Per detector: vehicles and hours observed, overall and per bucket. */
  detectors: Map<string, { veh: number; h: number; bVeh: number[]; bH: number[] }>;
  occupancy: Map<string, number>;
  fill: Map<string, number>;
}

export function buildKpis(input: KpiInputs): FleetKpis {
  const { fromMs, toMs, buckets } = input;
  const bucketMs = Math.max(1, Math.ceil((toMs - fromMs) / buckets));
  const bucketOf = (t: number): number =>
    Math.min(buckets - 1, Math.max(0, Math.floor((t - fromMs) / bucketMs)));
  const districtOf = new Map(input.edges.map((e) => [e.id, e.district || '—']));
  const acc = new Map<string, DistrictAcc>();
  const district = (name: string): DistrictAcc => {
    let d = acc.get(name);
    if (!d)
      acc.set(
        name,
        (d = {
          edges: 0,
          energyBuckets: new Array<number>(buckets).fill(0),
          detectors: new Map(),
          occupancy: new Map(),
          fill: new Map(),
        }),
      );
    return d;
  };
  for (const e of input.edges) district(e.district || '—').edges++;

  // Rows arrive ordered by edge, device, metric, time: each series is a run of rows.
  let prev: MetricRow | undefined;
  for (const r of input.readings) {
    const same = prev && prev.edgeId === r.edgeId && prev.deviceId === r.deviceId && prev.metric === r.metric;
    const d = district(districtOf.get(r.edgeId) ?? '—');
    const key = `${r.edgeId}/${r.deviceId}`;
    if (r.metric === 'energy.wh' && same) {
      const wh = r.rise ?? counterStep(prev!.value, r.value);
      d.energyBuckets[bucketOf(r.timeMs)]! += wh / 1000;
    } else if (r.metric === 'count.veh') {
      let det = d.detectors.get(key);
      if (!det)
        d.detectors.set(
          key,
          (det = {
            veh: 0,
            h: 0,
            bVeh: new Array<number>(buckets).fill(0),
            bH: new Array<number>(buckets).fill(0),
          }),
        );
      if (same && r.timeMs > prev!.timeMs) {
        const veh = (r.value - prev!.value + 2 ** 32) % 2 ** 32;
        const h = (r.timeMs - prev!.timeMs) / HOUR_MS;
        const b = bucketOf(r.timeMs);
        det.veh += veh;
        det.h += h;
        det.bVeh[b]! += veh;
        det.bH[b]! += h;
      }
    } else if (r.metric === 'occupancy.pct') {
      d.occupancy.set(key, r.value);
    } else if (r.metric === 'fill.pct') {
      d.fill.set(key, r.value);
    }
    prev = r;
  }

  const districts = [...acc.entries()]
    // Edges that never registered (district "—") last.
    .sort(([a], [b]) => Number(a === '—') - Number(b === '—') || a.localeCompare(b))
    .map(([name, d]): DistrictKpis => {
      const policy = input.policyOf(name);
      const cycleS = policy.cycleS ?? DEFAULT_CYCLE_S;
      const dueAtPct = policy.dueAtPct ?? DEFAULT_DUE_AT_PCT;
      const observed = [...d.detectors.values()].filter((x) => x.h > 0);
      const flow = mean(observed.map((x) => x.veh / x.h));
      const delayBuckets = Array.from({ length: buckets }, (_, b) => {
        const flows = observed.filter((x) => x.bH[b]! > 0).map((x) => x.bVeh[b]! / x.bH[b]!);
        const q = mean(flows);
        return q === null ? null : round(websterDelayS(q, cycleS));
      });
      const fills = [...d.fill.entries()];
      const due = fills
        .filter(([, pct]) => pct >= dueAtPct)
        .map(([id]) => id)
        .sort();
      const histogram = new Array<number>(10).fill(0);
      for (const [, pct] of fills) histogram[Math.min(9, Math.max(0, Math.floor(pct / 10)))]!++;
      const occupancy = mean([...d.occupancy.values()]);
      return {
        district: name,
        edges: d.edges,
        energy: {
          kwh: round(
            d.energyBuckets.reduce((a, b) => a + b, 0),
            3,
          ),
          buckets: d.energyBuckets.map((v) => round(v, 3)),
        },
        traffic: {
          detectors: d.detectors.size,
          flowVehH: flow === null ? null : round(flow, 0),
          occupancyPct: occupancy === null ? null : round(occupancy),
          delayS: flow === null ? null : round(websterDelayS(flow, cycleS)),
          cycleS,
          delayBuckets,
        },
        waste: { containers: fills.length, due: due.length, dueAtPct, dueIds: due, histogram },
      };
    });
  return { fromMs, toMs, bucketMs, districts };
}
