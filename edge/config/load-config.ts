// Reads and checks the site configuration. Fails fast, at start, with every problem listed
// (`<file>: <field>: <reason>` per line, in the file's order), because a node that starts
// half-configured in a street cabinet is harder to diagnose than one that refuses to start.
//
// Two layers: the file's shape against site.schema.json (common/schema/json-schema.ts, on ajv:
// types, required and unknown keys, bounds, patterns, in the words every calle schema uses), then
// the checks that join several keys, one concern per file — devices and their drivers (device-checks.ts), references and ownership (site-references.ts), lighting
// (lighting-checks.ts), intersections (intersection-checks.ts). Both layers run on every file so
// that all problems come at once; the joining checks skip what the schema already reported.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { COMMAND_TYPES } from '../../common/commands/command-types.js';
import { DRIVER_NAMES } from '../devices/drivers/driver-params.js';
import { ConfigError } from './config-error.js';
import { checkDevices } from './device-checks.js';
import {
  CONFIG_DEFAULTS,
  type EdgeConfig,
  type IntersectionConfig,
  type LightingGroupConfig,
} from './edge-config.js';
import { checkIntersections } from './intersection-checks.js';
import { checkLightingGroups } from './lighting-checks.js';
import { at, fieldsOf, itemsOf, ProblemList } from './problem-list.js';
import { compileSchema } from '../../common/schema/json-schema.js';
import { SiteReferences } from './site-references.js';
import siteSchema from './site.schema.json' with { type: 'json' };

/** Drivers this build can run. */
export const KNOWN_DRIVERS = DRIVER_NAMES;
/** Ids of devices, groups, intersections and containers: readable, and safe in NATS subjects. */
export const ITEM_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** The site file's shape (imported, so the build carries it next to this file), compiled once. */
export const SITE_SCHEMA: Readonly<Record<string, unknown>> = siteSchema;
const shapeProblems = compileSchema(SITE_SCHEMA);

/** Loads `file`, checks it completely and returns it with defaults filled in and paths resolved. */
export function loadEdgeConfig(file: string): EdgeConfig {
  const abs = path.resolve(file);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(abs, 'utf8'));
  } catch (err) {
    const reason =
      err instanceof SyntaxError ? `not valid JSON: ${err.message}` : `cannot read: ${String(err)}`;
    throw new ConfigError(abs, [{ field: '', reason }], { cause: err });
  }
  return checkEdgeConfig(raw, abs);
}

/** Checks an already parsed configuration; `file` names it in errors and anchors relative paths. */
export function checkEdgeConfig(raw: unknown, file: string): EdgeConfig {
  const problems = new ProblemList();
  problems.add(shapeProblems(raw));
  if (!problems.sound('')) throw new ConfigError(file, problems.inDocumentOrder(raw));
  const root = fieldsOf(raw);

  const tls = fieldsOf(fieldsOf(root.coordinator).tls);
  if ((tls.cert === undefined) !== (tls.key === undefined))
    problems.fail('coordinator.tls', 'cert and key go together (mutual TLS needs both)');
  itemsOf(fieldsOf(root.commands).allow).forEach((type, i) => {
    if (typeof type === 'string' && !COMMAND_TYPES[type])
      problems.fail(
        `commands.allow[${i}]`,
        `${JSON.stringify(type)} is not a command type (known: ${Object.keys(COMMAND_TYPES).join(', ')})`,
      );
  });

  // Devices first: every other section refers to them by id.
  const refs = new SiteReferences(problems, checkDevices(root, problems));
  checkLightingGroups(root.lightingGroups, problems, refs);
  checkIntersections(root.intersections, problems, refs);
  itemsOf(root.containers).forEach((x, i) => {
    const p = at(at('containers', i), 'sensor');
    const sensor = refs.device(fieldsOf(x).sensor, p, 'fill-sensor');
    if (sensor !== undefined) refs.claim(sensor, p);
  });
  refs.uniqueIds(root.containers, 'containers', 'container');

  if (problems.length > 0) throw new ConfigError(file, problems.inDocumentOrder(raw));
  return completed(raw as SiteFile, file);
}

/** The file as the schema allows it: EdgeConfig before defaults and path resolution. */
type SiteFile = Omit<EdgeConfig, 'file' | 'store' | 'console' | 'telemetry' | 'deviceTypes' | 'devices'> &
  Partial<Pick<EdgeConfig, 'store' | 'console' | 'telemetry' | 'deviceTypes'>> & {
    readonly devices: readonly (Omit<EdgeConfig['devices'][number], 'params'> & {
      readonly params?: EdgeConfig['devices'][number]['params'];
    })[];
  };

/** A checked file with its defaults filled in and its paths made absolute (relative to the file). */
function completed(f: SiteFile, file: string): EdgeConfig {
  const relative = (p: string): string => path.resolve(path.dirname(file), p);
  const { nats, coordinator, trust } = f;
  return {
    file,
    edge: { ...f.edge, tags: f.edge.tags ?? [] },
    store: { path: relative(f.store?.path ?? CONFIG_DEFAULTS.storePath) },
    ...(nats
      ? {
          nats: {
            ...nats,
            ...(nats.nkeySeedFile !== undefined ? { nkeySeedFile: relative(nats.nkeySeedFile) } : {}),
          },
        }
      : {}),
    ...(coordinator
      ? {
          coordinator: {
            ...coordinator,
            ...(coordinator.tls
              ? {
                  tls: {
                    ca: relative(coordinator.tls.ca),
                    ...(coordinator.tls.cert !== undefined && coordinator.tls.key !== undefined
                      ? { cert: relative(coordinator.tls.cert), key: relative(coordinator.tls.key) }
                      : {}),
                  },
                }
              : {}),
          },
        }
      : {}),
    ...(trust
      ? {
          trust: {
            coordinatorKey: relative(trust.coordinatorKey),
            ...(trust.nextCoordinatorKey !== undefined
              ? { nextCoordinatorKey: relative(trust.nextCoordinatorKey) }
              : {}),
          },
        }
      : {}),
    ...(f.commands ? { commands: f.commands } : {}),
    console: f.console ?? { ...CONFIG_DEFAULTS.console },
    telemetry: f.telemetry ?? { ...CONFIG_DEFAULTS.telemetry },
    deviceTypes: f.deviceTypes ?? [],
    devices: f.devices.map((d) => ({ ...d, params: d.params ?? {} })),
    lightingGroups: f.lightingGroups.map((g): LightingGroupConfig => {
      const m = g.maintenance;
      return {
        ...g,
        detectors: g.detectors ?? [],
        ...(m ? { maintenance: { ...m, dirtFactor: m.dirtFactor ?? 1 } } : {}),
      };
    }),
    intersections: f.intersections.map((x): IntersectionConfig => {
      // The schema leaves passageS and adaptEveryCycles optional; the controller's defaults.
      const control = x.control as Partial<NonNullable<IntersectionConfig['control']>> | undefined;
      return control?.mode
        ? {
            ...x,
            control: {
              mode: control.mode,
              passageS: control.passageS ?? 3,
              adaptEveryCycles: control.adaptEveryCycles ?? 3,
            },
          }
        : x;
    }),
    containers: f.containers,
  };
}
