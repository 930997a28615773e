// The site's device types and devices, beyond their shape (site.schema.json): a site type resolves
// against the catalogue (extends, kind), each device's type exists, its driver can run it with its
// params (driver-params.ts), and ids are unique. Every other section refers to devices by id, so
// this runs first and hands on the ids and kinds it found (site-references.ts).
import { resolveDeviceTypes } from '../devices/catalogue.js';
import type { DeviceDefinition, DeviceTypeSpec } from '../devices/definition.js';
import type { DeviceKind } from '../devices/device-view.js';
import { checkDeviceForDriver, type DriverName } from '../devices/drivers/driver-params.js';
import type { DeviceParams } from '../devices/driver.js';
import { at, fieldsOf, itemsOf, type ProblemList } from './problem-list.js';

export interface DeviceIndex {
  /** Every device id seen once or more. */
  readonly ids: ReadonlySet<string>;
  /** The kind of each device whose type resolved. */
  readonly kinds: ReadonlyMap<string, DeviceKind>;
}

export function checkDevices(raw: Readonly<Record<string, unknown>>, problems: ProblemList): DeviceIndex {
  const types = checkDeviceTypes(raw.deviceTypes, problems);
  // A device of a site type that failed to resolve: the type's problem is the one to fix.
  const siteNames = new Set(itemsOf(raw.deviceTypes).map((t) => fieldsOf(t).name));
  const ids = new Set<string>();
  const firstAt = new Map<string, string>();
  const kinds = new Map<string, DeviceKind>();
  itemsOf(raw.devices).forEach((d, i) => {
    const p = at('devices', i);
    const o = fieldsOf(d);
    const id = problems.text(o.id, at(p, 'id'));
    const type = problems.text(o.type, at(p, 'type'));
    const def = type === undefined || !types ? undefined : types.get(type);
    if (type !== undefined && types && !def && !siteNames.has(type))
      problems.fail(at(p, 'type'), `unknown device type "${type}" (known: ${[...types.keys()].join(', ')})`);
    const driver = problems.text(o.driver, at(p, 'driver')) as DriverName | undefined;
    // Each driver checks its own params (host, unitId, devEui …) and that the type has its map.
    if (driver !== undefined && def !== undefined && problems.sound(at(p, 'params')))
      problems.add(checkDeviceForDriver(driver, def, (o.params ?? {}) as DeviceParams, p));
    if (id === undefined) return;
    const first = firstAt.get(id);
    if (first !== undefined) problems.fail(at(p, 'id'), `duplicate device id "${id}" (first at ${first})`);
    else firstAt.set(id, p);
    ids.add(id);
    if (def) kinds.set(id, def.kind);
  });
  return { ids, kinds };
}

/**
 * The catalogue with the site's own types added, or undefined while a site type is malformed:
 * then nothing can say which device types exist, and the malformed type is what is reported.
 */
function checkDeviceTypes(v: unknown, problems: ProblemList): Map<string, DeviceDefinition> | undefined {
  const specs = itemsOf(v);
  specs.forEach((spec, i) =>
    itemsOf(fieldsOf(spec).points).forEach((pt, j) => {
      const rp = at(at(at(at('deviceTypes', i), 'points'), j), 'range');
      const range = fieldsOf(pt).range;
      if (Array.isArray(range) && range.length !== 2) problems.fail(rp, 'must be [min, max]');
    }),
  );
  if (!problems.sound('deviceTypes')) return undefined;
  const { types, problems: typeProblems } = resolveDeviceTypes(specs as DeviceTypeSpec[], 'deviceTypes');
  problems.add(typeProblems);
  return types;
}
