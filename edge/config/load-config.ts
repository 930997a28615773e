// Reads and checks the site configuration. Fails fast, at start, with every problem listed
// (`<file>: <field>: <reason>` per line), because a node that starts half-configured in a street
// cabinet is harder to diagnose than one that refuses to start.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EDGE_ID_PATTERN } from '../../proto/nats-subjects.js';
import { COMMAND_TYPES } from '../../common/commands/command-types.js';
import { resolveDeviceTypes } from '../devices/catalogue.js';
import { checkDeviceForDriver, DRIVER_NAMES, type DriverName } from '../devices/drivers/driver-params.js';
import { DEVICE_KINDS, type DeviceTypeSpec, type PointDefinition } from '../devices/definition.js';
import type { DeviceKind } from '../devices/device-view.js';
import { ConfigError } from './config-error.js';
import {
  CONFIG_DEFAULTS,
  SIGNAL_LIMITS,
  type ContainerConfig,
  type DeviceConfig,
  type EdgeConfig,
  type IntersectionConfig,
  type LightingClass,
  type LightingGroupConfig,
  type SignalGroupConfig,
  type SignalMode,
  SIGNAL_MODES,
} from './edge-config.js';
import { modelFromConfig, modelProblems } from '../control/intersection-model.js';
import { checkLightingControl, LIGHTING_CONTROL_KEYS } from './lighting-checks.js';
import { at, ShapeChecker, type Json, type JsonObject } from './shape-checker.js';

/** Drivers this build can run. */
export const KNOWN_DRIVERS = DRIVER_NAMES;
/** Ids of devices, groups, intersections and containers: readable, and safe in NATS subjects. */
export const ITEM_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const LIGHTING_CLASS = /^(M[1-6]|P[1-6]|C[0-5])$/;
const HOST_PORT = /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/;
/** Pedestrian walk of at least 7 s (REFERENCE §2). */
const MIN_WALK_S = 7;

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

/** Checks an already parsed configuration; `file` names it in errors and anchors store.path. */
export function checkEdgeConfig(raw: unknown, file: string): EdgeConfig {
  const c = new ShapeChecker();
  const root = c.object(
    raw,
    '',
    ['edge', 'devices', 'lightingGroups', 'intersections', 'containers'],
    ['store', 'nats', 'coordinator', 'trust', 'commands', 'console', 'telemetry', 'deviceTypes'],
  );
  if (!root) throw new ConfigError(file, c.problems);

  const edge = checkEdge(c, root.edge);
  const storePath = checkOptional(c, root.store, 'store', ['path'], (o) => c.string(o.path, 'store.path'));
  const relative = (p: string): string => path.resolve(path.dirname(file), p);
  const nats = checkOptional(
    c,
    root.nats,
    'nats',
    ['servers'],
    (o) => {
      const list = c.array(o.servers, 'nats.servers', { minLength: 1 }) ?? [];
      const servers = list.map((s, i) =>
        c.string(s, `nats.servers[${i}]`, { pattern: /^(nats|tls|wss?):\/\/\S+$/ }),
      );
      const valid = servers.filter((s): s is string => s !== undefined);
      const seed = o.nkeySeedFile === undefined ? undefined : c.string(o.nkeySeedFile, 'nats.nkeySeedFile');
      const budget = checkOptional(
        c,
        o.budget,
        'nats.budget',
        ['bytesPerDay'],
        (b) => {
          const bytesPerDay = c.number(b.bytesPerDay, 'nats.budget.bytesPerDay', { min: 10_000 });
          const burstS =
            b.burstS === undefined
              ? undefined
              : c.number(b.burstS, 'nats.budget.burstS', { min: 1, max: 86_400 });
          return bytesPerDay === undefined
            ? undefined
            : { bytesPerDay, ...(burstS !== undefined ? { burstS } : {}) };
        },
        ['burstS'],
      );
      if (valid.length !== servers.length) return undefined;
      return {
        servers: valid,
        ...(seed !== undefined ? { nkeySeedFile: relative(seed) } : {}),
        ...(budget ? { budget } : {}),
      };
    },
    ['nkeySeedFile', 'budget'],
  );
  const coordinator = checkOptional(
    c,
    root.coordinator,
    'coordinator',
    ['grpc'],
    (o) => {
      const grpc = c.string(o.grpc, 'coordinator.grpc', { pattern: HOST_PORT });
      const token =
        o.enrolmentToken === undefined ? undefined : c.string(o.enrolmentToken, 'coordinator.enrolmentToken');
      const tls = checkOptional(
        c,
        o.tls,
        'coordinator.tls',
        ['ca'],
        (t) => {
          const ca = c.string(t.ca, 'coordinator.tls.ca');
          const cert = t.cert === undefined ? undefined : c.string(t.cert, 'coordinator.tls.cert');
          const key = t.key === undefined ? undefined : c.string(t.key, 'coordinator.tls.key');
          if ((cert === undefined) !== (key === undefined))
            c.fail('coordinator.tls', 'cert and key go together (mutual TLS needs both)');
          if (ca === undefined) return undefined;
          return {
            ca: relative(ca),
            ...(cert !== undefined && key !== undefined ? { cert: relative(cert), key: relative(key) } : {}),
          };
        },
        ['cert', 'key'],
      );
      if (grpc === undefined) return undefined;
      return { grpc, ...(token !== undefined ? { enrolmentToken: token } : {}), ...(tls ? { tls } : {}) };
    },
    ['enrolmentToken', 'tls'],
  );
  const trust = checkOptional(
    c,
    root.trust,
    'trust',
    ['coordinatorKey'],
    (o) => {
      const key = c.string(o.coordinatorKey, 'trust.coordinatorKey');
      const next =
        o.nextCoordinatorKey === undefined
          ? undefined
          : c.string(o.nextCoordinatorKey, 'trust.nextCoordinatorKey');
      if (key === undefined) return undefined;
      const resolve = (f: string): string => path.resolve(path.dirname(file), f);
      return {
        coordinatorKey: resolve(key),
        ...(next !== undefined ? { nextCoordinatorKey: resolve(next) } : {}),
      };
    },
    ['nextCoordinatorKey'],
  );
  const commands = checkOptional(c, root.commands, 'commands', ['allow'], (o) => ({
    allow: (c.array(o.allow, 'commands.allow') ?? []).flatMap((t, i) => {
      const type = c.string(t, `commands.allow[${i}]`);
      if (type !== undefined && !COMMAND_TYPES[type])
        c.fail(
          `commands.allow[${i}]`,
          `${JSON.stringify(type)} is not a command type (known: ${Object.keys(COMMAND_TYPES).join(', ')})`,
        );
      return type === undefined ? [] : [type];
    }),
  }));
  const consoleCfg = checkOptional(c, root.console, 'console', ['host', 'port'], (o) => ({
    host: c.string(o.host, 'console.host') ?? '',
    port: c.number(o.port, 'console.port', { integer: true, min: 0, max: 65535 }) ?? 0,
  }));
  const telemetry = checkOptional(c, root.telemetry, 'telemetry', ['intervalS'], (o) => ({
    intervalS: c.number(o.intervalS, 'telemetry.intervalS', { min: 1, max: 3600 }) ?? 0,
  }));

  const typeSpecs = (
    root.deviceTypes === undefined ? [] : (c.array(root.deviceTypes, 'deviceTypes') ?? [])
  ).map((t, i) => checkTypeSpec(c, t, `deviceTypes[${i}]`));
  const { types, problems } = resolveDeviceTypes(
    typeSpecs.filter((t): t is DeviceTypeSpec => t !== undefined),
    'deviceTypes',
  );
  c.problems.push(...problems);

  // Devices first: every other section refers to them by id.
  const devices = (c.array(root.devices, 'devices') ?? []).map((d, i) => {
    const p = at('devices', i);
    const o = c.object(d, p, ['id', 'type', 'driver'], ['params']);
    if (!o) return undefined;
    const id = c.string(o.id, at(p, 'id'), { pattern: ITEM_ID_PATTERN });
    const type = c.string(o.type, at(p, 'type'));
    if (type !== undefined && !types.has(type)) {
      c.fail(at(p, 'type'), `unknown device type "${type}" (known: ${[...types.keys()].join(', ')})`);
    }
    const driver = c.string(o.driver, at(p, 'driver'), { oneOf: KNOWN_DRIVERS }) as DriverName | undefined;
    const params: Record<string, number | string> = {};
    if (o.params !== undefined) {
      const po = c.object(o.params, at(p, 'params'), [], Object.keys(o.params ?? {}));
      for (const [k, v] of Object.entries(po ?? {})) {
        if (typeof v === 'string') params[k] = v;
        else {
          const n = c.number(v, at(at(p, 'params'), k));
          if (n !== undefined) params[k] = n;
        }
      }
    }
    // Each driver checks its own params (host, unitId, devEui …) and that the type has its map.
    const def = type === undefined ? undefined : types.get(type);
    if (driver !== undefined && def !== undefined)
      c.problems.push(...checkDeviceForDriver(driver, def, params, p));
    return { id, type, driver, params, path: p };
  });
  const deviceIds = c.uniqueIds(
    devices.filter((d) => d !== undefined),
    'device',
  );
  const kindOf = new Map<string, DeviceKind>();
  for (const d of devices) {
    const kind = d?.type === undefined ? undefined : types.get(d.type)?.kind;
    if (d?.id !== undefined && kind !== undefined) kindOf.set(d.id, kind);
  }
  /** A reference to a device that must exist and be of `kind`. */
  const deviceRef = (v: unknown, p: string, kind: DeviceKind): string | undefined => {
    const id = c.string(v, p);
    if (id === undefined) return undefined;
    if (!deviceIds.has(id)) return c.fail(p, `unknown device "${id}"`);
    const actual = kindOf.get(id);
    if (actual !== undefined && actual !== kind)
      return c.fail(p, `device "${id}" is a ${actual}, not a ${kind}`);
    return id;
  };
  const refList = (v: unknown, p: string, kind: DeviceKind, minLength = 0): string[] =>
    (c.array(v, p, { minLength }) ?? [])
      .map((x, i) => deviceRef(x, at(p, i), kind))
      .filter((x): x is string => x !== undefined);
  const used = new Map<string, string>();
  /** A device drives at most one group, head or container: two owners would fight over it. */
  const claim = (id: string, p: string): void => {
    const first = used.get(id);
    if (first !== undefined) c.fail(p, `device "${id}" is already used by ${first}`);
    else used.set(id, p);
  };

  const lightingGroups = (c.array(root.lightingGroups, 'lightingGroups') ?? []).map((g, i) => {
    const p = at('lightingGroups', i);
    const o = c.object(
      g,
      p,
      ['id', 'name', 'luminaires', 'lightingClass'],
      ['detectors', ...LIGHTING_CONTROL_KEYS],
    );
    if (!o) return undefined;
    const luminaires = refList(o.luminaires, at(p, 'luminaires'), 'luminaire', 1);
    luminaires.forEach((l, j) => claim(l, at(at(p, 'luminaires'), j)));
    return {
      id: c.string(o.id, at(p, 'id'), { pattern: ITEM_ID_PATTERN }),
      name: c.string(o.name, at(p, 'name')),
      luminaires,
      lightingClass: c.string(o.lightingClass, at(p, 'lightingClass'), {
        pattern: LIGHTING_CLASS,
      }) as LightingClass,
      // Detectors may serve lighting presence and an intersection at once: reading is not owning.
      detectors: o.detectors === undefined ? [] : refList(o.detectors, at(p, 'detectors'), 'detector'),
      ...checkLightingControl(c, o, p),
      path: p,
    };
  });
  c.uniqueIds(
    lightingGroups.filter((g) => g !== undefined),
    'lighting group',
  );

  const intersections = (c.array(root.intersections, 'intersections') ?? []).map((x, i) =>
    checkIntersection(c, x, at('intersections', i), deviceRef, refList, claim),
  );
  c.uniqueIds(
    intersections.filter((x) => x !== undefined),
    'intersection',
  );

  const containers = (c.array(root.containers, 'containers') ?? []).map((x, i) => {
    const p = at('containers', i);
    const o = c.object(x, p, ['id', 'sensor', 'depthCm']);
    if (!o) return undefined;
    const sensor = deviceRef(o.sensor, at(p, 'sensor'), 'fill-sensor');
    if (sensor !== undefined) claim(sensor, at(p, 'sensor'));
    return {
      id: c.string(o.id, at(p, 'id'), { pattern: ITEM_ID_PATTERN }),
      sensor,
      depthCm: c.number(o.depthCm, at(p, 'depthCm'), { min: 20, max: 250 }),
      path: p,
    };
  });
  c.uniqueIds(
    containers.filter((x) => x !== undefined),
    'container',
  );

  if (c.problems.length > 0 || !edge) throw new ConfigError(file, c.problems);
  // From here every value was checked; the casts only drop the `undefined` the checker allowed.
  return {
    file,
    edge,
    store: { path: path.resolve(path.dirname(file), storePath ?? CONFIG_DEFAULTS.storePath) },
    ...(nats ? { nats } : {}),
    ...(coordinator ? { coordinator } : {}),
    ...(trust ? { trust } : {}),
    ...(commands ? { commands } : {}),
    console: consoleCfg ?? { ...CONFIG_DEFAULTS.console },
    telemetry: telemetry ?? { ...CONFIG_DEFAULTS.telemetry },
    deviceTypes: typeSpecs as DeviceTypeSpec[],
    devices: devices.map(withoutPath) as DeviceConfig[],
    lightingGroups: lightingGroups.map(withoutPath) as LightingGroupConfig[],
    intersections: intersections.map(withoutPath) as IntersectionConfig[],
    containers: containers.map(withoutPath) as ContainerConfig[],
  };
}

/** Drops the bookkeeping path; only called once there are no problems, so no item is missing. */
function withoutPath<T extends { path: string }>(item: T | undefined): Omit<T, 'path'> {
  const rest: Partial<T> = { ...item! };
  delete rest.path;
  return rest as Omit<T, 'path'>;
}

function checkOptional<T>(
  c: ShapeChecker,
  v: Json | undefined,
  p: string,
  keys: readonly string[],
  body: (o: JsonObject) => T | undefined,
  optionalKeys: readonly string[] = [],
): T | undefined {
  if (v === undefined) return undefined;
  const o = c.object(v, p, keys, optionalKeys);
  return o ? body(o) : undefined;
}

function checkEdge(c: ShapeChecker, v: Json | undefined): EdgeConfig['edge'] | undefined {
  const o = c.object(v, 'edge', ['id', 'district', 'latitude', 'longitude'], ['tags']);
  if (!o) return undefined;
  const id = c.string(o.id, 'edge.id', { pattern: EDGE_ID_PATTERN });
  const district = c.string(o.district, 'edge.district');
  const tags = (o.tags === undefined ? [] : (c.array(o.tags, 'edge.tags') ?? [])).map((t, i) =>
    c.string(t, `edge.tags[${i}]`),
  );
  const latitude = c.number(o.latitude, 'edge.latitude', { min: -90, max: 90 });
  const longitude = c.number(o.longitude, 'edge.longitude', { min: -180, max: 180 });
  if (id === undefined || district === undefined || latitude === undefined || longitude === undefined)
    return undefined;
  return { id, district, tags: tags.filter((t): t is string => t !== undefined), latitude, longitude };
}

function checkTypeSpec(c: ShapeChecker, v: Json, p: string): DeviceTypeSpec | undefined {
  const o = c.object(v, p, ['name'], ['extends', 'kind', 'description', 'points', 'limits']);
  if (!o) return undefined;
  const name = c.string(o.name, at(p, 'name'));
  const ext = o.extends === undefined ? undefined : c.string(o.extends, at(p, 'extends'));
  const kind =
    o.kind === undefined
      ? undefined
      : (c.string(o.kind, at(p, 'kind'), { oneOf: DEVICE_KINDS }) as DeviceKind);
  const description = o.description === undefined ? undefined : c.string(o.description, at(p, 'description'));
  const points = (o.points === undefined ? [] : (c.array(o.points, at(p, 'points')) ?? [])).map((pt, i) => {
    const pp = at(at(p, 'points'), i);
    const po = c.object(pt, pp, ['name', 'access', 'type'], ['unit', 'range', 'values', 'metric', 'derived']);
    if (!po) return undefined;
    const range = po.range === undefined ? undefined : c.array(po.range, at(pp, 'range'));
    if (range && range.length !== 2) c.fail(at(pp, 'range'), 'must be [min, max]');
    const values = po.values === undefined ? undefined : c.array(po.values, at(pp, 'values'));
    return {
      name: c.string(po.name, at(pp, 'name')) ?? '',
      access: c.string(po.access, at(pp, 'access'), { oneOf: ['read', 'write'] }) ?? 'read',
      type: c.string(po.type, at(pp, 'type'), { oneOf: ['number', 'enum'] }) ?? 'number',
      ...(po.unit !== undefined ? { unit: c.string(po.unit, at(pp, 'unit')) ?? '' } : {}),
      ...(range
        ? { range: range.map((n, j) => c.number(n, at(at(pp, 'range'), j)) ?? NaN) as [number, number] }
        : {}),
      ...(values ? { values: values.map((s, j) => c.string(s, at(at(pp, 'values'), j)) ?? '') } : {}),
      ...(po.metric !== undefined ? { metric: c.string(po.metric, at(pp, 'metric')) ?? '' } : {}),
      ...(po.derived !== undefined ? { derived: po.derived === true } : {}),
    } as PointDefinition;
  });
  const limits: Record<string, number> = {};
  if (o.limits !== undefined) {
    const lo = c.object(o.limits, at(p, 'limits'), [], Object.keys(o.limits ?? {}));
    for (const [k, n] of Object.entries(lo ?? {})) {
      const x = c.number(n, at(at(p, 'limits'), k));
      if (x !== undefined) limits[k] = x;
    }
  }
  if (name === undefined || points.some((x) => x === undefined)) return undefined;
  return {
    name,
    ...(ext !== undefined ? { extends: ext } : {}),
    ...(kind !== undefined ? { kind } : {}),
    ...(description !== undefined ? { description } : {}),
    ...(o.points !== undefined ? { points: points as PointDefinition[] } : {}),
    ...(o.limits !== undefined ? { limits } : {}),
  };
}

function checkIntersection(
  c: ShapeChecker,
  v: Json,
  p: string,
  deviceRef: (v: unknown, p: string, kind: DeviceKind) => string | undefined,
  refList: (v: unknown, p: string, kind: DeviceKind, minLength?: number) => string[],
  claim: (id: string, p: string) => void,
): (Partial<IntersectionConfig> & { path: string }) | undefined {
  const o = c.object(
    v,
    p,
    ['id', 'name', 'signalGroups', 'conflicts', 'detectors', 'plan'],
    ['intergreen', 'control'],
  );
  if (!o) return undefined;
  const problemsBefore = c.problems.length;
  const groups = (c.array(o.signalGroups, at(p, 'signalGroups'), { minLength: 2 }) ?? []).map((g, i) => {
    const gp = at(at(p, 'signalGroups'), i);
    const go = c.object(
      g,
      gp,
      ['id', 'head', 'kind'],
      ['detectors', 'minGreenS', 'maxGreenS', 'walkS', 'crossingM'],
    );
    if (!go) return undefined;
    const head = deviceRef(go.head, at(gp, 'head'), 'signal-head');
    if (head !== undefined) claim(head, at(gp, 'head'));
    return {
      id: c.string(go.id, at(gp, 'id'), { pattern: ITEM_ID_PATTERN }),
      head,
      kind: c.string(go.kind, at(gp, 'kind'), { oneOf: ['vehicle', 'pedestrian'] }),
      extras: checkGroupTimes(c, go, gp),
      path: gp,
    };
  });
  const sgIds = c.uniqueIds(
    groups.filter((g) => g !== undefined),
    'signal group',
  );
  const sgKind = new Map(groups.map((g) => [g?.id, g?.kind]));
  const sgRef = (x: unknown, xp: string): string | undefined => {
    const id = c.string(x, xp);
    if (id !== undefined && !sgIds.has(id)) return c.fail(xp, `unknown signal group "${id}"`);
    return id;
  };
  const conflicts = (c.array(o.conflicts, at(p, 'conflicts')) ?? []).map((pair, i) => {
    const pp = at(at(p, 'conflicts'), i);
    const arr = c.array(pair, pp);
    if (!arr) return undefined;
    if (arr.length !== 2) return c.fail(pp, 'must be a pair [groupA, groupB]');
    const a = sgRef(arr[0], at(pp, 0));
    const b = sgRef(arr[1], at(pp, 1));
    if (a !== undefined && a === b) return c.fail(pp, `a group cannot conflict with itself ("${a}")`);
    return a !== undefined && b !== undefined ? ([a, b] as const) : undefined;
  });
  const conflictSet = new Set(conflicts.flatMap((x) => (x ? [`${x[0]}|${x[1]}`, `${x[1]}|${x[0]}`] : [])));
  const detectors = refList(o.detectors, at(p, 'detectors'), 'detector');
  groups.forEach((g) =>
    g?.extras.detectors?.forEach((d, j) => {
      if (!detectors.includes(d))
        c.fail(at(at(g.path, 'detectors'), j), `"${d}" is not in this intersection's detectors`);
    }),
  );
  const intergreen = (
    o.intergreen === undefined ? [] : (c.array(o.intergreen, at(p, 'intergreen')) ?? [])
  ).map((x, i) => {
    const xp = at(at(p, 'intergreen'), i);
    const xo = c.object(x, xp, ['from', 'to', 's']);
    if (!xo) return undefined;
    const from = sgRef(xo.from, at(xp, 'from'));
    const to = sgRef(xo.to, at(xp, 'to'));
    const s = c.number(xo.s, at(xp, 's'), { min: SIGNAL_LIMITS.minYellowS, max: 30 });
    if (from !== undefined && to !== undefined && !conflictSet.has(`${from}|${to}`))
      return c.fail(
        xp,
        `"${from}" and "${to}" do not conflict: an intergreen applies to conflicting groups only`,
      );
    return from !== undefined && to !== undefined && s !== undefined ? { from, to, s } : undefined;
  });
  const cp = at(p, 'control');
  const co =
    o.control === undefined ? undefined : c.object(o.control, cp, ['mode'], ['passageS', 'adaptEveryCycles']);
  const control = co && {
    mode: c.string(co.mode, at(cp, 'mode'), { oneOf: SIGNAL_MODES }) as SignalMode,
    passageS: c.number(co.passageS ?? 3, at(cp, 'passageS'), { min: 0.5, max: 10 }) ?? 3,
    adaptEveryCycles:
      c.number(co.adaptEveryCycles ?? 3, at(cp, 'adaptEveryCycles'), { integer: true, min: 1, max: 100 }) ??
      3,
  };

  const pp = at(p, 'plan');
  const po = c.object(o.plan, pp, ['cycleS', 'stages', 'yellowS', 'allRedS', 'minGreenS']);
  let plan: IntersectionConfig['plan'] | undefined;
  if (po) {
    const yellowS = c.number(po.yellowS, at(pp, 'yellowS'), {
      min: SIGNAL_LIMITS.minYellowS,
      max: SIGNAL_LIMITS.maxYellowS,
    });
    const allRedS = c.number(po.allRedS, at(pp, 'allRedS'), { min: 0, max: SIGNAL_LIMITS.maxAllRedS });
    const minGreenS = c.number(po.minGreenS, at(pp, 'minGreenS'), { min: SIGNAL_LIMITS.minGreenS, max: 120 });
    const cycleS = c.number(po.cycleS, at(pp, 'cycleS'), {
      min: SIGNAL_LIMITS.minCycleS,
      max: SIGNAL_LIMITS.maxCycleS,
    });
    const served = new Set<string>();
    const stages = (c.array(po.stages, at(pp, 'stages'), { minLength: 2 }) ?? []).map((s, i) => {
      const sp = at(at(pp, 'stages'), i);
      const so = c.object(s, sp, ['groups', 'greenS']);
      if (!so) return undefined;
      const ids = (c.array(so.groups, at(sp, 'groups'), { minLength: 1 }) ?? []).map((g, j) =>
        sgRef(g, at(at(sp, 'groups'), j)),
      );
      const greenS = c.number(so.greenS, at(sp, 'greenS'), { min: minGreenS ?? SIGNAL_LIMITS.minGreenS });
      const valid = ids.filter((x): x is string => x !== undefined);
      valid.forEach((a, j) => {
        served.add(a);
        for (const b of valid.slice(j + 1)) {
          if (conflictSet.has(`${a}|${b}`))
            c.fail(at(sp, 'groups'), `conflicting groups "${a}" and "${b}" in one stage`);
        }
        if (sgKind.get(a) === 'pedestrian' && greenS !== undefined && greenS < MIN_WALK_S) {
          c.fail(
            at(sp, 'greenS'),
            `${greenS} s is shorter than the ${MIN_WALK_S} s pedestrian walk of "${a}"`,
          );
        }
      });
      return greenS === undefined ? undefined : { groups: valid, greenS };
    });
    for (const id of sgIds)
      if (!served.has(id)) c.fail(at(pp, 'stages'), `signal group "${id}" is in no stage`);
    if (
      stages.every((s) => s !== undefined) &&
      yellowS !== undefined &&
      allRedS !== undefined &&
      minGreenS !== undefined &&
      cycleS !== undefined
    ) {
      const sum = stages.reduce((t, s) => t + s.greenS + yellowS + allRedS, 0);
      if (Math.abs(sum - cycleS) > 1e-6) {
        c.fail(
          at(pp, 'cycleS'),
          `${cycleS} s differs from the stages' total ${sum} s (Σ greenS + stages × (yellowS + allRedS))`,
        );
      }
      plan = { cycleS, stages, yellowS, allRedS, minGreenS };
    }
  }
  const out = {
    id: c.string(o.id, at(p, 'id'), { pattern: ITEM_ID_PATTERN }),
    name: c.string(o.name, at(p, 'name')),
    signalGroups: groups.map((g) =>
      g ? { id: g.id, head: g.head, kind: g.kind, ...g.extras } : undefined,
    ) as SignalGroupConfig[],
    conflicts: conflicts.filter((x) => x !== undefined),
    ...(o.intergreen !== undefined ? { intergreen: intergreen.filter((x) => x !== undefined) } : {}),
    detectors,
    ...(plan ? { plan } : {}),
    ...(control ? { control } : {}),
    path: p,
  };
  // The model the controller will run: its own rules (walk, clearance, intergreens) and whether
  // each stage's green holds its groups' walk plus the clearance that runs inside the stage.
  if (plan && c.problems.length === problemsBefore) {
    const model = modelFromConfig(out as IntersectionConfig);
    for (const problem of modelProblems(model)) c.fail(p, problem);
    plan.stages.forEach((s, i) => {
      for (const g of model.groups.filter((m) => s.groups.includes(m.id))) {
        const need = g.minGreenS + g.changeS - model.yellowS;
        if (s.greenS < need)
          c.fail(
            at(at(at(pp, 'stages'), i), 'greenS'),
            `${s.greenS} s is shorter than the ${need} s "${g.id}" needs (min green/walk ${g.minGreenS} s + clearance ${g.changeS} s − yellow ${model.yellowS} s)`,
          );
      }
    });
  }
  return out;
}

/** A signal group's optional timing keys (REFERENCE §2: walk ≥ 7 s, clearance from the crossing length). */
function checkGroupTimes(c: ShapeChecker, go: JsonObject, gp: string): Partial<SignalGroupConfig> {
  const num = (key: string, opts: { min: number; max: number }): { [k: string]: number } => {
    if (go[key] === undefined) return {};
    const v = c.number(go[key], at(gp, key), opts);
    return v === undefined ? {} : { [key]: v };
  };
  const dets =
    go.detectors === undefined
      ? undefined
      : (c.array(go.detectors, at(gp, 'detectors')) ?? []).map((d, j) =>
          c.string(d, at(at(gp, 'detectors'), j)),
        );
  return {
    ...(dets ? { detectors: dets.filter((d) => d !== undefined) } : {}),
    ...num('minGreenS', { min: SIGNAL_LIMITS.minGreenS, max: 120 }),
    ...num('maxGreenS', { min: SIGNAL_LIMITS.minGreenS, max: 180 }),
    ...num('walkS', { min: MIN_WALK_S, max: 60 }),
    ...num('crossingM', { min: 1, max: 60 }),
  };
}
