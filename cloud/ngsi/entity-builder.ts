// calle's live data as FIWARE Smart Data Models entities, in the NGSI-LD key-values (simplified)
// representation — the form the SDM JSON Schemas validate (their examples `example.json` pass,
// the normalized `example-normalized.jsonld` do not). ngsi-api.ts derives the normalized form.
// Which model a device becomes is read from its metrics, since the coordinator does not receive
// device types: fill.pct → WasteContainer, count.veh/occupancy.pct → TrafficFlowObserved,
// level.pct → Streetlight; groups and positions come from the site inventory (site-inventory.ts).
import type { DeviceReadings, FillPoint, MetricValue } from './live-readings.js';
import type { InventoryEdge, Position, SiteInventory } from './site-inventory.js';

export type Entity = Readonly<Record<string, unknown>> & { readonly id: string; readonly type: string };

export const ENTITY_TYPES = [
  'Streetlight',
  'StreetlightGroup',
  'StreetlightControlCabinet',
  'WasteContainer',
  'TrafficFlowObserved',
] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

/** A fill drop of at least this many points between readings is an emptying (REFERENCE §4). */
export const EMPTYING_DROP_PCT = 30;
/** A prediction needs this much history since the last emptying, and this many readings. */
const MIN_TREND_MS = 3_600_000;
const MIN_TREND_POINTS = 3;
/** Predictions further out than this say more about noise than about the container. */
const MAX_HORIZON_MS = 60 * 86_400_000;

export interface EdgeInfo {
  readonly id: string;
  readonly district: string | null;
  readonly lastSeenMs: number | null;
}

export interface LiveData {
  readonly edges: readonly EdgeInfo[];
  readonly devices: readonly DeviceReadings[];
  /** fill.pct history by "edge\0device", oldest first. */
  readonly fill: ReadonlyMap<string, readonly FillPoint[]>;
  /** Active warning/critical alarm codes by "edge\0device". */
  readonly alarms: ReadonlyMap<string, readonly string[]>;
  readonly inventory: SiteInventory;
}

/** `urn:ngsi-ld:<Type>:<edge>[:<local id>]`, each part percent-encoded (RFC 8141 allows it). */
export function entityId(type: EntityType, edgeId: string, localId?: string): string {
  const parts = [type, edgeId, ...(localId === undefined ? [] : [localId])].map(encodeURIComponent);
  return `urn:ngsi-ld:${parts.join(':')}`;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const clamp01 = (x: number): number => Math.min(1, Math.max(0, x));
const round = (x: number, digits = 3): number => Number(x.toFixed(digits));
const point = (p: Position): { type: 'Point'; coordinates: number[] } => ({
  type: 'Point',
  coordinates: [...p],
});
const key = (edgeId: string, deviceId: string): string => `${edgeId}\u0000${deviceId}`;
const newest = (m: ReadonlyMap<string, MetricValue>): number =>
  Math.max(...[...m.values()].map((v) => v.timeMs));

/** Time of the last emptying and the predicted time the container reaches 100 %. */
export function fillTrend(points: readonly FillPoint[]): {
  lastEmptyingMs?: number;
  predictedFullMs?: number;
} {
  let start = 0;
  let lastEmptyingMs: number | undefined;
  for (let i = 1; i < points.length; i++)
    if (points[i - 1]!.pct - points[i]!.pct >= EMPTYING_DROP_PCT) {
      start = i;
      lastEmptyingMs = points[i]!.timeMs;
    }
  const run = points.slice(start);
  const out = lastEmptyingMs === undefined ? {} : { lastEmptyingMs };
  if (run.length < MIN_TREND_POINTS || run.at(-1)!.timeMs - run[0]!.timeMs < MIN_TREND_MS) return out;
  // Least squares over the run since the last emptying; times relative to its start for precision.
  const t0 = run[0]!.timeMs;
  const n = run.length;
  const mt = run.reduce((s, p) => s + (p.timeMs - t0), 0) / n;
  const mf = run.reduce((s, p) => s + p.pct, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of run) {
    num += (p.timeMs - t0 - mt) * (p.pct - mf);
    den += (p.timeMs - t0 - mt) ** 2;
  }
  const slope = num / den; // pct per ms
  if (!(slope > 0)) return out;
  const fullMs = t0 + mt + (100 - mf) / slope;
  const last = run.at(-1)!.timeMs;
  if (fullMs < last || fullMs - last > MAX_HORIZON_MS) return out;
  return { ...out, predictedFullMs: Math.round(fullMs) };
}

export function buildEntities(data: LiveData): Entity[] {
  const out: Entity[] = [];
  const edges = new Map(data.edges.map((e) => [e.id, e]));
  const byEdge = new Map<string, DeviceReadings[]>();
  for (const d of data.devices) byEdge.set(d.edgeId, [...(byEdge.get(d.edgeId) ?? []), d]);
  const edgeIds = new Set([...edges.keys(), ...byEdge.keys()]);
  for (const edgeId of edgeIds)
    out.push(
      ...edgeEntities(edgeId, edges.get(edgeId), byEdge.get(edgeId) ?? [], data.inventory.get(edgeId), data),
    );
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function edgeEntities(
  edgeId: string,
  edge: EdgeInfo | undefined,
  devices: readonly DeviceReadings[],
  inv: InventoryEdge | undefined,
  data: LiveData,
): Entity[] {
  const out: Entity[] = [];
  const cabinetId = entityId('StreetlightControlCabinet', edgeId);
  const readings = new Map(devices.map((d) => [d.deviceId, d]));
  const groupOf = new Map<string, string>();
  for (const g of inv?.lightingGroups ?? []) for (const l of g.luminaires) groupOf.set(l, g.id);
  const where = (deviceId: string): Position | undefined => {
    const g = inv?.lightingGroups.find((x) => x.id === groupOf.get(deviceId));
    return inv?.devices?.[deviceId] ?? g?.location ?? inv?.location;
  };
  const area = edge?.district ? { areaServed: edge.district } : {};

  // Luminaires: those the inventory places in a group, and any device reporting a level.
  const luminaires = new Set([
    ...groupOf.keys(),
    ...devices.filter((d) => d.latest.has('level.pct')).map((d) => d.deviceId),
  ]);
  const levels = new Map<string, number>();
  for (const lum of luminaires) {
    const pos = where(lum);
    if (!pos) continue; // location is required by the schema; see site-inventory.ts
    const r = readings.get(lum);
    const level = r?.latest.get('level.pct');
    if (level) levels.set(lum, level.value);
    const group = groupOf.get(lum);
    const alarms = data.alarms.get(key(edgeId, lum)) ?? [];
    out.push({
      id: entityId('Streetlight', edgeId, lum),
      type: 'Streetlight',
      name: lum,
      location: point(pos),
      ...area,
      // SDM has no "unknown"; an active alarm on the luminaire is the closest to a defective lamp.
      status: alarms.length > 0 ? 'defectiveLamp' : 'ok',
      ...(level
        ? { powerState: level.value > 0 ? 'on' : 'off', illuminanceLevel: round(clamp01(level.value / 100)) }
        : {}),
      ...(r?.latest.has('power.w') ? { powerConsumption: round(r.latest.get('power.w')!.value, 1) } : {}),
      ...(group ? { refStreetlightGroup: entityId('StreetlightGroup', edgeId, group) } : {}),
      refStreetlightControlCabinet: cabinetId,
      ...(r ? { dateModified: iso(newest(r.latest)) } : {}),
    });
  }

  let powerW = 0;
  let energyWh = 0;
  for (const g of inv?.lightingGroups ?? []) {
    const member = g.luminaires.filter((l) => levels.has(l)).map((l) => levels.get(l)!);
    const r = readings.get(g.id);
    powerW += r?.latest.get('power.w')?.value ?? 0;
    energyWh += r?.latest.get('energy.wh')?.value ?? 0;
    out.push({
      id: entityId('StreetlightGroup', edgeId, g.id),
      type: 'StreetlightGroup',
      name: g.name ?? g.id,
      location: point(g.location ?? inv!.location),
      ...area,
      ...(member.length > 0
        ? {
            powerState: member.some((l) => l > 0) ? 'on' : 'off',
            illuminanceLevel: round(clamp01(member.reduce((s, l) => s + l, 0) / member.length / 100)),
          }
        : {}),
      refStreetlight: g.luminaires.map((l) => entityId('Streetlight', edgeId, l)),
      refStreetlightControlCabinet: cabinetId,
    });
  }
  if (inv && inv.lightingGroups.length > 0)
    out.push({
      id: cabinetId,
      type: 'StreetlightControlCabinet',
      name: edgeId,
      location: point(inv.location),
      ...(inv.address
        ? { address: { streetAddress: inv.address, addressLocality: 'Madrid', addressCountry: 'ES' } }
        : {}),
      ...area,
      refStreetlightGroup: inv.lightingGroups.map((g) => entityId('StreetlightGroup', edgeId, g.id)),
      // Schedules, daylight and detectors decide; an operator's override is temporary.
      workingMode: 'automatic',
      features: ['astronomicalClock', 'individualControl'],
      totalActivePower: round(powerW / 1000), // kW
      energyConsumed: round(energyWh / 1000), // kWh since the edge started counting
      ...(edge?.lastSeenMs ? { dateModified: iso(edge.lastSeenMs) } : {}),
    });

  for (const d of devices) {
    const fill = d.latest.get('fill.pct');
    const pos = where(d.deviceId);
    if (fill && pos) {
      const trend = fillTrend(data.fill.get(key(edgeId, d.deviceId)) ?? []);
      out.push({
        id: entityId('WasteContainer', edgeId, d.deviceId),
        type: 'WasteContainer',
        name: d.deviceId,
        location: point(pos),
        ...area,
        fillingLevel: round(clamp01(fill.value / 100)),
        status: 'ok',
        ...(trend.lastEmptyingMs !== undefined ? { dateLastEmptying: iso(trend.lastEmptyingMs) } : {}),
        // calle extension (calle @context): SDM WasteContainer has no predicted-full time.
        ...(trend.predictedFullMs !== undefined ? { predictedFullTime: iso(trend.predictedFullMs) } : {}),
        dateModified: iso(fill.timeMs),
      });
    }
    const count = d.latest.get('count.veh');
    const occupancy = d.latest.get('occupancy.pct');
    if (count || occupancy) {
      const prev = d.previous.get('count.veh');
      const to = (count ?? occupancy)!.timeMs;
      const from = prev?.timeMs;
      out.push({
        id: entityId('TrafficFlowObserved', edgeId, d.deviceId),
        type: 'TrafficFlowObserved',
        name: d.deviceId,
        ...(pos ? { location: point(pos) } : {}),
        ...area,
        // An ISO 8601 interval when the count covers one (SDM allows instant or interval).
        dateObserved: from !== undefined ? `${iso(from)}/${iso(to)}` : iso(to),
        ...(from !== undefined ? { dateObservedFrom: iso(from), dateObservedTo: iso(to) } : {}),
        // The loop's counter is cumulative and wraps at 2^32 (edge/devices/pieces.ts).
        ...(count && prev ? { intensity: (count.value - prev.value + 2 ** 32) % 2 ** 32 } : {}),
        ...(occupancy ? { occupancy: round(clamp01(occupancy.value / 100)) } : {}),
      });
    }
  }
  return out;
}
