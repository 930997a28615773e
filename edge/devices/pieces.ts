// Reusable parts of device definitions. A definition is a name, a kind and a few pieces; a piece
// carries the points (and limits) of one capability, so every dimmable luminaire reports its level
// the same way whatever its driver.
import type { DeviceDefinition, PointDefinition } from './definition.js';

export interface Piece {
  readonly points: readonly PointDefinition[];
  readonly limits?: Readonly<Record<string, number>>;
}

/** Builds a definition from pieces; later pieces override earlier points of the same name. */
export function compose(
  head: Pick<DeviceDefinition, 'name' | 'kind' | 'description'>,
  ...pieces: readonly Piece[]
): DeviceDefinition {
  const points = new Map<string, PointDefinition>();
  let limits: Record<string, number> = {};
  for (const piece of pieces) {
    for (const p of piece.points) points.set(p.name, p);
    limits = { ...limits, ...piece.limits };
  }
  return { ...head, points: [...points.values()], limits };
}

/**
 * Commanded light level in percent of full output. `minPct` is the lowest level the driver
 * holds (DALI arc power level 1 is 0.1 %, IEC 62386-102); 0 means off.
 */
export const dimmable = (opts: { minPct?: number } = {}): Piece => ({
  points: [
    { name: 'level', access: 'write', type: 'number', unit: 'pct', range: [0, 100], metric: 'level.pct' },
  ],
  limits: { minLevelPct: opts.minPct ?? 1 },
});

/** Active power drawn, as reported by the driver (D4i, IEC 62386-252) or a meter. */
export const powerMeter = (opts: { ratedW: number; standbyW?: number }): Piece => ({
  points: [
    {
      name: 'power',
      access: 'read',
      type: 'number',
      unit: 'w',
      range: [0, opts.ratedW * 2],
      metric: 'power.w',
    },
  ],
  limits: { ratedW: opts.ratedW, standbyW: opts.standbyW ?? 0.5 },
});

/** The aspects a signal head shows; the enum index is the telemetry code (red 0 … dark 4). */
export const SIGNAL_ASPECTS = ['red', 'yellow', 'green', 'flash', 'dark'] as const;
export type SignalAspect = (typeof SIGNAL_ASPECTS)[number];

/** A signal head driven by aspect. Pedestrian heads map yellow to flashing "don't walk". */
export const signalHead = (): Piece => ({
  points: [{ name: 'aspect', access: 'write', type: 'enum', values: SIGNAL_ASPECTS, metric: 'aspect.code' }],
});

/**
 * An inductive loop: a cumulative vehicle counter (reported as is, so a lost report loses no
 * vehicles) and the occupancy of the last sampling interval.
 */
export const loopDetector = (): Piece => ({
  points: [
    {
      name: 'count',
      access: 'read',
      type: 'number',
      unit: 'veh',
      range: [0, 2 ** 32 - 1],
      metric: 'count.veh',
    },
    {
      name: 'occupancy',
      access: 'read',
      type: 'number',
      unit: 'pct',
      range: [0, 100],
      metric: 'occupancy.pct',
    },
  ],
});

/**
 * An ultrasonic range finder above the waste. `distance` is raw and not reported (one reading in
 * nine is the "no echo" value, REFERENCE §4); `fill` is derived on the node after filtering.
 */
export const ultrasonicRange = (opts: { maxCm: number; noEchoCm: number }): Piece => ({
  points: [
    { name: 'distance', access: 'read', type: 'number', unit: 'cm', range: [0, opts.maxCm] },
    {
      name: 'fill',
      access: 'read',
      type: 'number',
      unit: 'pct',
      range: [0, 100],
      metric: 'fill.pct',
      derived: true,
    },
  ],
  limits: { maxCm: opts.maxCm, noEchoCm: opts.noEchoCm },
});
