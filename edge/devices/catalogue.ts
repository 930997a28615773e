// The built-in device types, and the resolution of site-defined types (which may extend one).
// Registered explicitly, one line each, so a reader sees every type the node knows.
import type { ConfigProblem } from '../config/config-error.js';
import { checkDefinition, type DeviceDefinition, type DeviceTypeSpec } from './definition.js';
import {
  battery,
  compose,
  dimmable,
  energyMeter,
  fadeTime,
  lampMonitor,
  loopDetector,
  powerMeter,
  signalHead,
  temperature,
  ultrasonicRange,
} from './pieces.js';
import {
  fillSensorPayload,
  ioModuleDetectorRegisters,
  ioModuleHeadRegisters,
  lightingControllerRegisters,
} from './protocol-pieces.js';

export const BUILT_IN_TYPES: readonly DeviceDefinition[] = [
  compose(
    {
      name: 'dali-led-luminaire',
      kind: 'luminaire',
      description: 'LED street luminaire with a DALI-2/D4i driver',
    },
    dimmable({ minPct: 1 }),
    powerMeter({ ratedW: 60, standbyW: 0.5 }),
  ),
  compose(
    {
      name: 'vehicle-signal-3',
      kind: 'signal-head',
      description: '3-aspect (red, amber, green) vehicle signal head',
    },
    signalHead(),
  ),
  compose(
    {
      name: 'pedestrian-signal',
      kind: 'signal-head',
      description: '2-aspect pedestrian head; amber = flashing green man',
    },
    signalHead(),
  ),
  compose(
    { name: 'inductive-loop', kind: 'detector', description: 'Inductive loop vehicle detector' },
    loopDetector(),
  ),
  compose(
    {
      name: 'ultrasonic-fill',
      kind: 'fill-sensor',
      description: 'Ultrasonic fill-level sensor (LoRaWAN class)',
    },
    // 254 cm is the no-echo value of the common sensors in the Frankfurt data (REFERENCE §4).
    ultrasonicRange({ maxCm: 255, noEchoCm: 254 }),
  ),
  // Equipment on real protocols (edge/devices/drivers); the simulators in hil-tests/equipment
  // implement the same maps.
  compose(
    {
      name: 'modbus-led-luminaire',
      kind: 'luminaire',
      description: 'LED luminaire behind a Modbus TCP lighting controller (level, fade, power meter)',
    },
    dimmable({ minPct: 1 }),
    powerMeter({ ratedW: 60, standbyW: 0.5 }),
    fadeTime(),
    energyMeter(),
    lightingControllerRegisters(),
  ),
  compose(
    {
      name: 'modbus-vehicle-signal-3',
      kind: 'signal-head',
      description: '3-aspect vehicle head on a Modbus TCP I/O module with lamp-current sensing',
    },
    signalHead(),
    lampMonitor(),
    ioModuleHeadRegisters(),
  ),
  compose(
    {
      name: 'modbus-pedestrian-signal',
      kind: 'signal-head',
      description: 'Pedestrian head on a Modbus TCP I/O module with lamp-current sensing',
    },
    signalHead(),
    lampMonitor(),
    ioModuleHeadRegisters(),
  ),
  compose(
    {
      name: 'modbus-loop-detector',
      kind: 'detector',
      description: 'Inductive loop on a Modbus TCP I/O module input (counter in the module)',
    },
    loopDetector(),
    ioModuleDetectorRegisters(),
  ),
  compose(
    {
      name: 'lorawan-ultrasonic-fill',
      kind: 'fill-sensor',
      description: 'LoRaWAN ultrasonic fill sensor (distance, temperature, battery) via ChirpStack',
    },
    ultrasonicRange({ maxCm: 255, noEchoCm: 254 }),
    temperature(),
    battery(),
    fillSensorPayload(),
  ),
];

/** Type names known to the node: the built-ins plus the site's, for error messages. */
export const builtInTypeNames = (): string[] => BUILT_IN_TYPES.map((d) => d.name);

/**
 * Resolves site-defined types in order (a type may extend a built-in or an earlier site type)
 * and checks each result. Returns every type the node then knows, and any problems, with paths
 * under `path` (for example "deviceTypes").
 */
export function resolveDeviceTypes(
  specs: readonly DeviceTypeSpec[],
  path: string,
): { types: Map<string, DeviceDefinition>; problems: ConfigProblem[] } {
  const types = new Map<string, DeviceDefinition>(BUILT_IN_TYPES.map((d) => [d.name, d]));
  const problems: ConfigProblem[] = [];
  specs.forEach((spec, i) => {
    const p = `${path}[${i}]`;
    if (types.has(spec.name)) {
      problems.push({ field: `${p}.name`, reason: `type "${spec.name}" is already defined` });
      return;
    }
    let base: DeviceDefinition | undefined;
    if (spec.extends !== undefined) {
      base = types.get(spec.extends);
      if (!base) {
        problems.push({
          field: `${p}.extends`,
          reason: `unknown device type "${spec.extends}" (known: ${[...types.keys()].join(', ')})`,
        });
        return;
      }
    }
    const kind = spec.kind ?? base?.kind;
    if (kind === undefined) {
      problems.push({ field: `${p}.kind`, reason: 'is required when the type does not extend another' });
      return;
    }
    if (base && kind !== base.kind) {
      problems.push({
        field: `${p}.kind`,
        reason: `"${kind}" differs from the extended type's kind "${base.kind}"`,
      });
      return;
    }
    const points = new Map((base?.points ?? []).map((pt) => [pt.name, pt]));
    for (const pt of spec.points ?? []) points.set(pt.name, pt);
    const def: DeviceDefinition = {
      name: spec.name,
      kind,
      description: spec.description ?? `${base?.description ?? spec.name} (site type)`,
      points: [...points.values()],
      limits: { ...base?.limits, ...spec.limits },
      // Protocol maps come with the extended type: a 90 W variant of a Modbus luminaire is wired
      // the same way.
      ...(base?.modbus ? { modbus: base.modbus } : {}),
      ...(base?.uplink ? { uplink: base.uplink } : {}),
    };
    const found = checkDefinition(def, p);
    problems.push(...found);
    if (found.length === 0) types.set(def.name, def);
  });
  return { types, problems };
}
