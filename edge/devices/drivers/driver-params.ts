// The drivers this build can run, and the check of each device's params against its driver and
// its type. The config loader calls checkDeviceForDriver at start, so a device with a missing
// host or a type with no register map is refused with the field named, before any socket opens;
// the drivers parse the same params with the same functions and never see unchecked input.
import type { ConfigProblem } from '../../config/config-error.js';
import type { DeviceDefinition } from '../definition.js';
import type { DeviceParams } from '../driver.js';
import { parseModbusParams } from './modbus-tcp/modbus-params.js';
import { parseMqttParams } from './mqtt/mqtt-params.js';
import { ParamReader } from './param-reader.js';

export const DRIVER_NAMES = ['simulated', 'modbus-tcp', 'mqtt'] as const;
export type DriverName = (typeof DRIVER_NAMES)[number];

/** Every problem with one device's params and type for `driver`, paths under `path` (devices[3]). */
export function checkDeviceForDriver(
  driver: DriverName,
  def: DeviceDefinition,
  params: DeviceParams,
  path: string,
): ConfigProblem[] {
  const r = new ParamReader(params, `${path}.params`);
  const problems: ConfigProblem[] = [];
  const typeFail = (reason: string): void => void problems.push({ field: `${path}.type`, reason });
  switch (driver) {
    case 'simulated':
      // The simulator reads optional numeric knobs (seed, ratePerHour, depthCm, …).
      for (const [k, v] of Object.entries(params))
        if (typeof v !== 'number') r.fail(k, `must be a number, got ${JSON.stringify(v)}`);
      return r.problems;
    case 'modbus-tcp': {
      if (!def.modbus) typeFail(`type "${def.name}" has no Modbus register map`);
      else {
        const missing = def.points.filter((p) => !p.derived && def.modbus?.points[p.name] === undefined);
        if (missing.length > 0)
          typeFail(`type "${def.name}" has no register for ${missing.map((p) => `"${p.name}"`).join(', ')}`);
      }
      parseModbusParams(r);
      break;
    }
    case 'mqtt': {
      if (!def.uplink) typeFail(`type "${def.name}" has no uplink payload layout`);
      else {
        const covered = new Set(def.uplink.fields.map((f) => f.point));
        const missing = def.points.filter((p) => !p.derived && !covered.has(p.name));
        if (missing.length > 0)
          typeFail(
            `type "${def.name}" has no uplink field for ${missing.map((p) => `"${p.name}"`).join(', ')}`,
          );
      }
      if (def.points.some((p) => p.access === 'write'))
        typeFail(`type "${def.name}" has writable points; the mqtt driver sends no downlinks`);
      parseMqttParams(r);
      break;
    }
  }
  r.unknownKeys();
  return [...problems, ...r.problems];
}
