// Reusable parts of device definitions. A definition is a name, a kind and a few pieces; a piece
// carries the points (and limits) of one capability, so every dimmable luminaire reports its level
// the same way whatever its driver.
import type { DeviceDefinition, PointDefinition } from './definition.js';
import type { PayloadLayout } from './payload-layout.js';
import type { RegisterMap } from './register-map.js';

export interface Piece {
  readonly points: readonly PointDefinition[];
  readonly limits?: Readonly<Record<string, number>>;
  /** Register bindings this piece adds (merged point by point; later pieces win). */
  readonly modbus?: RegisterMap;
  /** The uplink layout (a later piece replaces an earlier one). */
  readonly uplink?: PayloadLayout;
}

/** Builds a definition from pieces; later pieces override earlier points of the same name. */
export function compose(
  head: Pick<DeviceDefinition, 'name' | 'kind' | 'description'>,
  ...pieces: readonly Piece[]
): DeviceDefinition {
  const points = new Map<string, PointDefinition>();
  let limits: Record<string, number> = {};
  let modbus: RegisterMap | undefined;
  let uplink: PayloadLayout | undefined;
  for (const piece of pieces) {
    for (const p of piece.points) points.set(p.name, p);
    limits = { ...limits, ...piece.limits };
    if (piece.modbus) {
      modbus = {
        points: { ...modbus?.points, ...piece.modbus.points },
        channelStride: { ...modbus?.channelStride, ...piece.modbus.channelStride },
      };
    }
    if (piece.uplink) uplink = piece.uplink;
  }
  return {
    ...head,
    points: [...points.values()],
    limits,
    ...(modbus ? { modbus } : {}),
    ...(uplink ? { uplink } : {}),
  };
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

/** Fade time applied to level changes (DALI fade, IEC 62386-102: 0.7–90.5 s; 0 = jump). */
export const fadeTime = (): Piece => ({
  points: [{ name: 'fade', access: 'write', type: 'number', unit: 's', range: [0, 90.5] }],
});

/** Cumulative active energy, as a meter or a D4i driver (IEC 62386-252) counts it. */
export const energyMeter = (): Piece => ({
  points: [
    { name: 'energy', access: 'read', type: 'number', unit: 'kwh', range: [0, 1e7], metric: 'energy.kwh' },
  ],
});

/** The lamp states a lamp monitor reports; the index is the telemetry code. */
export const LAMP_STATES = ['ok', 'lamp-out'] as const;

/**
 * Lamp-current sensing on a signal head's outputs: the current of each lamp and a lamp-out flag
 * (a commanded lamp drawing less than its threshold). A red lamp out is a safety fault: the
 * intersection must not run with a dark red (EN 12675, traffic signal controller safety, requires red-lamp failure monitoring).
 */
export const lampMonitor = (opts: { maxMa?: number } = {}): Piece => ({
  points: [
    ...(['red', 'yellow', 'green'] as const).map((colour): PointDefinition => ({
      name: `${colour}Ma`,
      access: 'read',
      type: 'number',
      unit: 'ma',
      range: [0, opts.maxMa ?? 2000],
      metric: `lamp_${colour}.ma`,
    })),
    { name: 'lampFault', access: 'read', type: 'enum', values: LAMP_STATES, metric: 'lamp_fault.code' },
  ],
});

/** Air temperature at the sensor (ultrasonic sensors report it: the speed of sound depends on it). */
export const temperature = (): Piece => ({
  points: [
    {
      name: 'temperature',
      access: 'read',
      type: 'number',
      unit: 'c',
      range: [-40, 85],
      metric: 'temperature.c',
    },
  ],
});

/** Remaining battery of a battery-powered sensor. */
export const battery = (): Piece => ({
  points: [
    { name: 'battery', access: 'read', type: 'number', unit: 'pct', range: [0, 100], metric: 'battery.pct' },
  ],
});
