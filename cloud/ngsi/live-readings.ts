// What the NGSI-LD entities are built from, read from the coordinator's store: each series' latest
// two readings (kept by ingest, cloud/store/series-rollup.ts), container fill history from the
// 15-minute rollups (two points per bucket, its first and last: enough for the trend and the
// emptying detection, at ~200 rows per container for 30 days), and the active alarms.
import type { CoordinatorStore } from '../store/coordinator-store.js';

export interface MetricValue {
  readonly value: number;
  readonly timeMs: number;
}

/** One device of one edge: the latest value of each metric, and the one before it. */
export interface DeviceReadings {
  readonly edgeId: string;
  readonly deviceId: string;
  readonly latest: ReadonlyMap<string, MetricValue>;
  readonly previous: ReadonlyMap<string, MetricValue>;
}

export interface FillPoint {
  readonly timeMs: number;
  readonly pct: number;
}

const key = (edgeId: string, deviceId: string): string => `${edgeId}\u0000${deviceId}`;

export async function deviceReadings(store: CoordinatorStore): Promise<DeviceReadings[]> {
  const byDevice = new Map<
    string,
    { edgeId: string; deviceId: string; latest: Map<string, MetricValue>; previous: Map<string, MetricValue> }
  >();
  for (const r of await store.series.latest()) {
    const k = key(r.edgeId, r.deviceId);
    let d = byDevice.get(k);
    if (!d)
      byDevice.set(
        k,
        (d = { edgeId: r.edgeId, deviceId: r.deviceId, latest: new Map(), previous: new Map() }),
      );
    d.latest.set(r.metric, { value: r.last, timeMs: r.lastMs });
    if (r.prevMs !== null && r.prev !== null) d.previous.set(r.metric, { value: r.prev, timeMs: r.prevMs });
  }
  return [...byDevice.values()];
}

/** Fill points since `sinceMs`, oldest first, by "edge\0device". */
export async function fillHistory(
  store: CoordinatorStore,
  sinceMs: number,
  nowMs: number,
): Promise<Map<string, FillPoint[]>> {
  const out = new Map<string, FillPoint[]>();
  const rows = await store.series.rollups({
    resolution: '15m',
    fromMs: sinceMs,
    toMs: nowMs + 1,
    metrics: ['fill.pct'],
  });
  for (const r of rows) {
    const k = key(r.edgeId, r.deviceId);
    let list = out.get(k);
    if (!list) out.set(k, (list = []));
    list.push({ timeMs: r.firstMs, pct: r.first });
    if (r.n > 1) list.push({ timeMs: r.lastMs, pct: r.last });
  }
  return out;
}

/** Alarm codes (warning or critical) whose latest event is still active, by "edge\0device". */
export async function activeAlarms(store: CoordinatorStore): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const a of await store.telemetry.activeAlarms()) {
    if (a.deviceId === '') continue;
    const k = key(a.edgeId, a.deviceId);
    out.set(k, [...(out.get(k) ?? []), a.code]);
  }
  return out;
}
