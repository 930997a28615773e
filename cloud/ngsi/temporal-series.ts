// Which stored series an NGSI-LD temporal attribute is made of, and how a rollup bucket becomes one
// attribute value: the same attribute names and units as the live entities (entity-builder.ts).
// Rates are 0..1 (a percentage / 100); intensity is the vehicles counted in the bucket, from the
// detector's cumulative count, which wraps at 2^32 (first → last in the bucket, plus the step
// from the previous bucket's last).
import type { RollupRow } from '../store/series-rollup.js';

export interface TemporalAttribute {
  readonly metric: string;
  /** The attribute's value for one bucket; `previous` is the series' bucket before it, if any. */
  readonly value: (row: RollupRow, previous: RollupRow | undefined) => number;
  /** For aggregations other than a counter's: one bucket's figures on the attribute's scale. */
  readonly scale: number;
}

const WRAP = 2 ** 32;
const round = (x: number): number => Number(x.toFixed(3));
const mean = (scale: number) => (r: RollupRow) => round(r.sum / r.n / scale);

/** Attributes by entity type (the types of cloud/ngsi/sdm with a time series). */
export const TEMPORAL_ATTRIBUTES: Readonly<Record<string, Readonly<Record<string, TemporalAttribute>>>> = {
  Streetlight: {
    illuminanceLevel: { metric: 'level.pct', value: mean(100), scale: 100 },
    powerConsumption: { metric: 'power.w', value: mean(1), scale: 1 },
  },
  StreetlightGroup: {
    powerConsumption: { metric: 'power.w', value: mean(1), scale: 1 },
  },
  WasteContainer: {
    fillingLevel: { metric: 'fill.pct', value: mean(100), scale: 100 },
  },
  TrafficFlowObserved: {
    occupancy: { metric: 'occupancy.pct', value: mean(100), scale: 100 },
    intensity: {
      metric: 'count.veh',
      value: (r, previous) =>
        ((r.last - r.first + WRAP) % WRAP) + (previous ? (r.first - previous.last + WRAP) % WRAP : 0),
      scale: 1,
    },
  },
};

/** `urn:ngsi-ld:<Type>:<edge>:<device>` → its parts; undefined for any other id. */
export function parseEntityId(id: string): { type: string; edgeId: string; deviceId: string } | undefined {
  const m = /^urn:ngsi-ld:([^:]+):([^:]+):([^:]+)$/.exec(id);
  if (!m) return undefined;
  try {
    return {
      type: decodeURIComponent(m[1]!),
      edgeId: decodeURIComponent(m[2]!),
      deviceId: decodeURIComponent(m[3]!),
    };
  } catch {
    return undefined;
  }
}
