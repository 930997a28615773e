// What the coordinator cannot learn from telemetry but the NGSI-LD models require: where a cabinet
// and its devices stand (`location` is mandatory for Streetlight, StreetlightGroup,
// StreetlightControlCabinet and WasteContainer) and which luminaires form each lighting group
// (StreetlightControlCabinet.refStreetlightGroup needs at least one). Until Register carries the
// edge's site description, the operator supplies it as a JSON file; an edge absent from it serves
// only the entities that need neither (TrafficFlowObserved), never an entity that fails its schema.
import { readFileSync } from 'node:fs';

/** GeoJSON position: [longitude, latitude] (RFC 7946 §3.1.1). */
export type Position = readonly [number, number];

export interface InventoryGroup {
  readonly id: string;
  readonly name?: string;
  readonly luminaires: readonly string[];
  readonly location?: Position;
}

export interface InventoryEdge {
  readonly location: Position;
  readonly address?: string;
  readonly lightingGroups: readonly InventoryGroup[];
  /** Per-device positions; devices not listed stand at their group's or cabinet's position. */
  readonly devices?: Readonly<Record<string, Position>>;
}

/** By edge id. */
export type SiteInventory = ReadonlyMap<string, InventoryEdge>;

function position(v: unknown, field: string): Position {
  if (
    !Array.isArray(v) ||
    v.length !== 2 ||
    typeof v[0] !== 'number' ||
    typeof v[1] !== 'number' ||
    Math.abs(v[0]) > 180 ||
    Math.abs(v[1]) > 90
  )
    throw new Error(`${field}: must be [longitude, latitude] in degrees`);
  return [v[0], v[1]];
}

/** Checks a parsed inventory document: { "<edge id>": { location, lightingGroups, devices? } }. */
export function parseInventory(doc: unknown, where = 'inventory'): SiteInventory {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new Error(`${where}: must be an object by edge id`);
  const out = new Map<string, InventoryEdge>();
  for (const [edgeId, raw] of Object.entries(doc as Record<string, unknown>)) {
    const at = `${where}.${edgeId}`;
    const e = raw as Record<string, unknown>;
    if (typeof e !== 'object' || e === null) throw new Error(`${at}: must be an object`);
    const groups = e.lightingGroups ?? [];
    if (!Array.isArray(groups)) throw new Error(`${at}.lightingGroups: must be an array`);
    const devices: Record<string, Position> = {};
    for (const [id, p] of Object.entries((e.devices as Record<string, unknown> | undefined) ?? {}))
      devices[id] = position(p, `${at}.devices.${id}`);
    out.set(edgeId, {
      location: position(e.location, `${at}.location`),
      ...(typeof e.address === 'string' ? { address: e.address } : {}),
      devices,
      lightingGroups: groups.map((g: Record<string, unknown>, i) => {
        const gat = `${at}.lightingGroups[${i}]`;
        if (typeof g.id !== 'string' || g.id === '') throw new Error(`${gat}.id: must be a non-empty string`);
        if (!Array.isArray(g.luminaires) || !g.luminaires.every((l) => typeof l === 'string'))
          throw new Error(`${gat}.luminaires: must be an array of device ids`);
        return {
          id: g.id,
          luminaires: g.luminaires,
          ...(typeof g.name === 'string' ? { name: g.name } : {}),
          ...(g.location !== undefined ? { location: position(g.location, `${gat}.location`) } : {}),
        };
      }),
    });
  }
  return out;
}

export function loadInventory(file: string): SiteInventory {
  return parseInventory(JSON.parse(readFileSync(file, 'utf8')), file);
}
