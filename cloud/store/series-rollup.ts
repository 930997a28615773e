// Readings rolled up as they are stored, so that a year of telemetry answers from aggregates
// (issue 16): per series (edge, device, metric) and 15-minute or hourly bucket, the count, sum,
// minimum, maximum, the first and last reading with their times, and the increase of the series
// read as a counter that restarts from zero (energy.wh: a fall is an edge restart, not negative
// energy; Prometheus's increase()). First, last and increase give a counter's rise across buckets
// exactly as from the raw readings (cloud/dashboard/fleet-kpis.ts): within a bucket `increase`,
// between two buckets the step from one's last to the next one's first. A counter that wraps
// (count.veh at 2^32) is read from first and last instead.
// Also each series' two latest readings (the NGSI-LD entities' current values, cloud/ngsi).
// Pure: each backend merges these rows into its tables (an upsert that adds counts and sums, keeps
// the minimum, maximum, earliest first and latest last).
import type { ReadingRow } from './store-types.js';

export const QUARTER_MS = 15 * 60_000;
export const HOUR_MS = 60 * 60_000;

export type Resolution = '15m' | '1h';
export const RESOLUTION_MS: Readonly<Record<Resolution, number>> = { '15m': QUARTER_MS, '1h': HOUR_MS };

export interface RollupRow {
  readonly edgeId: string;
  readonly deviceId: string;
  readonly metric: string;
  /** Start of the bucket (ms since the epoch, UTC). */
  readonly bucketMs: number;
  n: number;
  sum: number;
  min: number;
  max: number;
  firstMs: number;
  first: number;
  lastMs: number;
  last: number;
  /** Σ over consecutive readings of (v − previous), or v where it fell (a restart). */
  increase: number;
}

/** The rise of a counter that restarts from zero, from `a` to `b`. */
export const counterStep = (a: number, b: number): number => (b >= a ? b - a : b);

/** A series' newest reading and the one before it (null when only one is known). */
export interface LatestRow {
  readonly edgeId: string;
  readonly deviceId: string;
  readonly metric: string;
  lastMs: number;
  last: number;
  prevMs: number | null;
  prev: number | null;
}

export interface EdgeReadings {
  readonly edgeId: string;
  readonly readings: readonly ReadingRow[];
}

const seriesKey = (edgeId: string, r: ReadingRow): string => `${edgeId}\u0000${r.deviceId}\u0000${r.metric}`;

/** The batch's readings rolled up at `bucketMs`, one row per series and bucket. */
export function rollUp(batch: readonly EdgeReadings[], bucketMs: number): RollupRow[] {
  const groups = new Map<string, { edgeId: string; bucket: number; readings: ReadingRow[] }>();
  for (const { edgeId, readings } of batch)
    for (const r of readings) {
      const bucket = Math.floor(r.timeMs / bucketMs) * bucketMs;
      const key = `${seriesKey(edgeId, r)}\u0000${bucket}`;
      const group = groups.get(key);
      if (group) group.readings.push(r);
      else groups.set(key, { edgeId, bucket, readings: [r] });
    }
  return [...groups.values()].map(({ edgeId, bucket, readings }) => {
    // In time order (a batch may carry an edge's backlog out of order); ties keep arrival order.
    const sorted = readings.length > 1 ? [...readings].sort((a, b) => a.timeMs - b.timeMs) : readings;
    const first = sorted[0]!;
    const last = sorted.at(-1)!;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    let increase = 0;
    for (const [i, r] of sorted.entries()) {
      sum += r.value;
      if (r.value < min) min = r.value;
      if (r.value > max) max = r.value;
      if (i > 0) increase += counterStep(sorted[i - 1]!.value, r.value);
    }
    return {
      edgeId,
      deviceId: first.deviceId,
      metric: first.metric,
      bucketMs: bucket,
      n: sorted.length,
      sum,
      min,
      max,
      firstMs: first.timeMs,
      first: first.value,
      lastMs: last.timeMs,
      last: last.value,
      increase,
    };
  });
}

/** Each series' two newest readings in the batch. */
export function latestOf(batch: readonly EdgeReadings[]): LatestRow[] {
  const rows = new Map<string, LatestRow>();
  for (const { edgeId, readings } of batch)
    for (const r of readings) {
      const key = seriesKey(edgeId, r);
      const row = rows.get(key);
      if (!row) {
        rows.set(key, {
          edgeId,
          deviceId: r.deviceId,
          metric: r.metric,
          lastMs: r.timeMs,
          last: r.value,
          prevMs: null,
          prev: null,
        });
      } else if (r.timeMs >= row.lastMs) {
        [row.prevMs, row.prev, row.lastMs, row.last] = [row.lastMs, row.last, r.timeMs, r.value];
      } else if (row.prevMs === null || r.timeMs >= row.prevMs) {
        [row.prevMs, row.prev] = [r.timeMs, r.value];
      }
    }
  return [...rows.values()];
}

/**
 * SQL of the merge into a stored latest row (SQLite and PostgreSQL alike; `t` is the table name,
 * `excluded` the batch's row): keep the two newest of the four readings.
 */
export function latestMergeSql(t: string): string {
  const newer = `excluded.last_ms >= ${t}.last_ms`;
  const prevFromBatch = `excluded.prev_ms IS NOT NULL AND excluded.prev_ms >= ${t}.last_ms`;
  const lastAsPrev = `excluded.last_ms > COALESCE(${t}.prev_ms, -1)`;
  return `
    prev_ms = CASE WHEN ${newer} THEN (CASE WHEN ${prevFromBatch} THEN excluded.prev_ms ELSE ${t}.last_ms END)
                   ELSE (CASE WHEN ${lastAsPrev} THEN excluded.last_ms ELSE ${t}.prev_ms END) END,
    prev = CASE WHEN ${newer} THEN (CASE WHEN ${prevFromBatch} THEN excluded.prev ELSE ${t}.last END)
                ELSE (CASE WHEN ${lastAsPrev} THEN excluded.last ELSE ${t}.prev END) END,
    last = CASE WHEN ${newer} THEN excluded.last ELSE ${t}.last END,
    last_ms = CASE WHEN ${newer} THEN excluded.last_ms ELSE ${t}.last_ms END`;
}

/**
 * SQL of the merge into a stored rollup row (both backends). The increases add up, with the step
 * between the two parts when one follows the other (a later batch of the same bucket, as edges
 * publish in order); parts that overlap in time add no step (rare: a backlog re-sent out of order).
 */
export function rollupMergeSql(t: string): string {
  const step = (a: string, b: string): string => `(CASE WHEN ${b} >= ${a} THEN ${b} - ${a} ELSE ${b} END)`;
  return `
    increase = ${t}.increase + excluded.increase + CASE
      WHEN excluded.first_ms >= ${t}.last_ms THEN ${step(`${t}.last`, 'excluded.first')}
      WHEN excluded.last_ms <= ${t}.first_ms THEN ${step('excluded.last', `${t}.first`)}
      ELSE 0 END,
    n = ${t}.n + excluded.n,
    sum = ${t}.sum + excluded.sum,
    min = CASE WHEN excluded.min < ${t}.min THEN excluded.min ELSE ${t}.min END,
    max = CASE WHEN excluded.max > ${t}.max THEN excluded.max ELSE ${t}.max END,
    first = CASE WHEN excluded.first_ms < ${t}.first_ms THEN excluded.first ELSE ${t}.first END,
    first_ms = CASE WHEN excluded.first_ms < ${t}.first_ms THEN excluded.first_ms ELSE ${t}.first_ms END,
    last = CASE WHEN excluded.last_ms >= ${t}.last_ms THEN excluded.last ELSE ${t}.last END,
    last_ms = CASE WHEN excluded.last_ms >= ${t}.last_ms THEN excluded.last_ms ELSE ${t}.last_ms END`;
}
