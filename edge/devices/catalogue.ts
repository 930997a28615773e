// The built-in device types, and the resolution of site-defined types (which may extend one).
// Registered explicitly, one line each, so a reader sees every type the node knows.
import type { ConfigProblem } from '../config/config-error.js';
import { checkDefinition, type DeviceDefinition, type DeviceTypeSpec } from './definition.js';
import { compose, dimmable, loopDetector, powerMeter, signalHead, ultrasonicRange } from './pieces.js';

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
    };
    const found = checkDefinition(def, p);
    problems.push(...found);
    if (found.length === 0) types.set(def.name, def);
  });
  return { types, problems };
}
