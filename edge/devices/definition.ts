// A device type is data: the points it exposes, their units and ranges, and its limits. Control
// loops read and write points by name, so a new luminaire model is a new definition, not new code.
// Borrowed from EdgeX device profiles (resources as data) and zigbee-herdsman-converters (a
// definition assembled from small pieces and checked when loaded).
import type { ConfigProblem } from '../config/config-error.js';
import type { DeviceKind } from './device-view.js';
import { checkPayloadLayout, type PayloadLayout } from './payload-layout.js';
import { checkRegisterMap, type RegisterMap } from './register-map.js';

export const DEVICE_KINDS: readonly DeviceKind[] = ['luminaire', 'signal-head', 'detector', 'fill-sensor'];

/** One value a device exposes. */
export interface PointDefinition {
  /** Name used in DeviceView.state and by the control loops, for example "level". */
  readonly name: string;
  /** "read": measured by the device; "write": commanded by the node (and read back). */
  readonly access: 'read' | 'write';
  /** Numbers have a unit and range; enums list their values (their telemetry code is the index). */
  readonly type: 'number' | 'enum';
  /** Unit of a number, for example "pct", "w", "cm", "veh". */
  readonly unit?: string;
  /** Inclusive [min, max] of a number; values outside it are rejected on write and on read. */
  readonly range?: readonly [number, number];
  /** Allowed values of an enum, in code order. */
  readonly values?: readonly string[];
  /** Telemetry metric this point is reported as ("level.pct"); absent = not reported. */
  readonly metric?: string;
  /** Computed on the node from other points (fill from distance), not read from the device. */
  readonly derived?: boolean;
}

/** A complete device type. */
export interface DeviceDefinition {
  /** Type name used by devices[].type, for example "dali-led-luminaire". */
  readonly name: string;
  readonly kind: DeviceKind;
  readonly description: string;
  readonly points: readonly PointDefinition[];
  /** Named numeric limits of the model, for example { ratedW: 40 }. */
  readonly limits: Readonly<Record<string, number>>;
  /** Where the points live in a Modbus server, for types served by the modbus-tcp driver. */
  readonly modbus?: RegisterMap;
  /** How a LoRaWAN uplink carries the points, for types served by the mqtt driver. */
  readonly uplink?: PayloadLayout;
}

/** A site-defined type as written in the configuration: a new type or an extension of one. */
export interface DeviceTypeSpec {
  readonly name: string;
  /** Name of a built-in (or earlier site) type whose points and limits this one starts from. */
  readonly extends?: string;
  readonly kind?: DeviceKind;
  readonly description?: string;
  /** Points added, or replacing the extended type's point of the same name. */
  readonly points?: readonly PointDefinition[];
  /** Limits added to, or overriding, the extended type's. */
  readonly limits?: Readonly<Record<string, number>>;
}

/** Points the control loops rely on, by kind: a definition without them cannot be controlled. */
export const REQUIRED_POINTS: Readonly<
  Record<DeviceKind, readonly { name: string; access: 'read' | 'write' }[]>
> = {
  luminaire: [
    { name: 'level', access: 'write' },
    { name: 'power', access: 'read' },
  ],
  'signal-head': [{ name: 'aspect', access: 'write' }],
  detector: [
    { name: 'count', access: 'read' },
    { name: 'occupancy', access: 'read' },
  ],
  'fill-sensor': [{ name: 'distance', access: 'read' }],
};

export const TYPE_NAME_PATTERN = /^[a-z][a-z0-9-]{1,62}$/;
const POINT_NAME_PATTERN = /^[a-z][a-zA-Z0-9]{0,31}$/;
const METRIC_PATTERN = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/;

/** Every problem with one definition, with paths under `path`. Empty = the definition is usable. */
export function checkDefinition(def: DeviceDefinition, path: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const fail = (field: string, reason: string): void =>
    void problems.push({ field: `${path}${field}`, reason });
  if (!TYPE_NAME_PATTERN.test(def.name))
    fail('.name', `"${def.name}" does not match ${String(TYPE_NAME_PATTERN)}`);
  if (!DEVICE_KINDS.includes(def.kind))
    fail('.kind', `"${def.kind}" must be one of: ${DEVICE_KINDS.join(', ')}`);
  if (def.description.trim() === '') fail('.description', 'must not be empty');
  const names = new Set<string>();
  def.points.forEach((p, i) => {
    const f = (field: string, reason: string): void => fail(`.points[${i}]${field}`, reason);
    if (!POINT_NAME_PATTERN.test(p.name))
      f('.name', `"${p.name}" does not match ${String(POINT_NAME_PATTERN)}`);
    if (names.has(p.name)) f('.name', `duplicate point "${p.name}"`);
    names.add(p.name);
    if (p.access !== 'read' && p.access !== 'write') f('.access', 'must be "read" or "write"');
    if (p.type === 'number') {
      if (p.values !== undefined) f('.values', 'only enum points have values');
      if (p.range === undefined) f('.range', 'a number point needs a [min, max] range');
      else if (!(Number.isFinite(p.range[0]) && Number.isFinite(p.range[1]) && p.range[0] < p.range[1])) {
        f('.range', `[${p.range.join(', ')}] must be two finite numbers, min < max`);
      }
      if (p.unit === undefined || p.unit === '') f('.unit', 'a number point needs a unit');
    } else if (p.type === 'enum') {
      if (p.range !== undefined) f('.range', 'only number points have a range');
      if (p.values === undefined || p.values.length === 0)
        f('.values', 'an enum point needs at least one value');
      else if (new Set(p.values).size !== p.values.length) f('.values', 'values must be unique');
    } else {
      f('.type', 'must be "number" or "enum"');
    }
    if (p.metric !== undefined && !METRIC_PATTERN.test(p.metric)) {
      f('.metric', `"${p.metric}" must be a dotted lower-case name with its unit last, like "level.pct"`);
    }
    if (p.derived && p.access !== 'read') f('.derived', 'a derived point can only be read');
  });
  for (const req of REQUIRED_POINTS[def.kind] ?? []) {
    const p = def.points.find((q) => q.name === req.name);
    if (!p) fail('.points', `a ${def.kind} needs a "${req.name}" point`);
    else if (p.access !== req.access)
      fail('.points', `point "${req.name}" of a ${def.kind} must be ${req.access}`);
  }
  for (const [k, v] of Object.entries(def.limits)) {
    if (!Number.isFinite(v)) fail(`.limits.${k}`, 'must be a finite number');
  }
  if (def.modbus) problems.push(...checkRegisterMap(def.modbus, def.points, `${path}.modbus`));
  if (def.uplink) problems.push(...checkPayloadLayout(def.uplink, def.points, `${path}.uplink`));
  return problems;
}

/** Checks a value against a point's type and range; returns a reason when it does not fit. */
export function pointValueProblem(point: PointDefinition, value: unknown): string | undefined {
  if (point.type === 'number') {
    if (typeof value !== 'number' || !Number.isFinite(value)) return `${point.name} must be a number`;
    const [min, max] = point.range ?? [-Infinity, Infinity];
    if (value < min || value > max) return `${point.name} ${value} is outside [${min}, ${max}]`;
    return undefined;
  }
  if (typeof value !== 'string' || !(point.values ?? []).includes(value)) {
    return `${point.name} must be one of: ${(point.values ?? []).join(', ')}`;
  }
  return undefined;
}

/** The numeric telemetry value of a point: numbers as they are, enums as their index. */
export function pointCode(point: PointDefinition, value: unknown): number | undefined {
  if (point.type === 'number') return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
  const i = typeof value === 'string' ? (point.values ?? []).indexOf(value) : -1;
  return i >= 0 ? i : undefined;
}
