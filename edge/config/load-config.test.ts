import test from 'ava';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../../common/testing/temp-dir.js';
import { ConfigError } from './config-error.js';
import { CONFIG_DEFAULTS } from './edge-config.js';
import { loadEdgeConfig } from './load-config.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const EXAMPLE = path.join(here, '../examples/madrid-street.json');

type Raw = Record<string, unknown> & { devices: Record<string, unknown>[] };

/** A small valid configuration, as a fresh object each time so tests can break it. */
function minimal(): Raw {
  return {
    edge: { id: 'test-edge', district: 'centro', tags: [], latitude: 40.4, longitude: -3.7 },
    devices: [
      { id: 'lum-1', type: 'dali-led-luminaire', driver: 'simulated' },
      { id: 'fill-1', type: 'ultrasonic-fill', driver: 'simulated' },
    ],
    lightingGroups: [{ id: 'g1', name: 'Group 1', luminaires: ['lum-1'], lightingClass: 'M3' }],
    intersections: [],
    containers: [{ id: 'c1', sensor: 'fill-1', depthCm: 150 }],
  };
}

function load(t: import('ava').ExecutionContext, raw: unknown): { file: string; run: () => unknown } {
  const file = path.join(tempDir(t), 'edge.json');
  writeFileSync(file, JSON.stringify(raw));
  return { file, run: () => loadEdgeConfig(file) };
}

function problemsOf(t: import('ava').ExecutionContext, raw: unknown): { file: string; err: ConfigError } {
  const { file, run } = load(t, raw);
  const err = t.throws(run, { instanceOf: ConfigError });
  t.is(err.code, 'CALLE_CONFIG_INVALID');
  t.is(err.file, file);
  return { file, err };
}

test('config — the Madrid example loads, with store.path made absolute', (t) => {
  const cfg = loadEdgeConfig(EXAMPLE);
  t.is(cfg.edge.id, 'centro-atocha-01');
  t.is(cfg.devices.length, 60); // 40 luminaires, 4 heads, 4 detectors, 12 fill sensors
  t.is(cfg.lightingGroups.length, 3);
  t.is(cfg.intersections[0]?.signalGroups.length, 4);
  t.is(cfg.containers.length, 12);
  t.is(cfg.store.path, path.join(here, '../examples/.calle/edge.db'));
});

test('config — defaults fill optional sections', (t) => {
  const { file, run } = load(t, minimal());
  const cfg = run() as ReturnType<typeof loadEdgeConfig>;
  t.is(cfg.store.path, path.join(path.dirname(file), CONFIG_DEFAULTS.storePath));
  t.deepEqual(cfg.telemetry, { intervalS: 5 });
  t.deepEqual(cfg.console, CONFIG_DEFAULTS.console);
  t.deepEqual(cfg.lightingGroups[0]?.detectors, []);
});

test('config — unknown device type names file, field and the known types', (t) => {
  const raw = minimal();
  raw.devices[1] = { id: 'fill-1', type: 'ultrasonic-fil', driver: 'simulated' };
  const { file, err } = problemsOf(t, raw);
  t.is(err.field, 'devices[1].type');
  t.regex(err.reason, /unknown device type "ultrasonic-fil" \(known: .*ultrasonic-fill/);
  t.true(err.message.startsWith(`${file}: devices[1].type: unknown device type`));
});

test('config — missing field', (t) => {
  const raw = minimal();
  delete (raw.edge as Record<string, unknown>).latitude;
  const { file, err } = problemsOf(t, raw);
  t.is(err.message, `${file}: edge.latitude: is required`);
});

test('config — wrong type', (t) => {
  const raw = minimal();
  raw.containers = [{ id: 'c1', sensor: 'fill-1', depthCm: '150' }];
  const { err } = problemsOf(t, raw);
  t.is(err.field, 'containers[0].depthCm');
  t.is(err.reason, 'must be a number, got string "150"');
});

test('config — unknown key is rejected to catch typos', (t) => {
  const raw = minimal();
  raw.telemetry = { intervalSec: 10 };
  const { err } = problemsOf(t, raw);
  t.deepEqual(
    err.problems.map((p) => p.field),
    ['telemetry.intervalS', 'telemetry.intervalSec'],
  );
  t.regex(err.message, /telemetry\.intervalSec: unknown field \(known: intervalS\)/);
});

test('config — dangling references: luminaire, signal head, detector, conflict group', (t) => {
  const raw = minimal();
  raw.devices.push(
    { id: 'sig-a', type: 'vehicle-signal-3', driver: 'simulated' },
    { id: 'sig-b', type: 'vehicle-signal-3', driver: 'simulated' },
  );
  raw.lightingGroups = [{ id: 'g1', name: 'G', luminaires: ['lum-1', 'lum-9'], lightingClass: 'M3' }];
  raw.intersections = [
    {
      id: 'x1',
      name: 'X',
      signalGroups: [
        { id: 'a', head: 'sig-a', kind: 'vehicle' },
        { id: 'b', head: 'sig-zz', kind: 'vehicle' },
      ],
      conflicts: [['a', 'c']],
      detectors: ['det-9'],
      plan: {
        cycleS: 40,
        yellowS: 3,
        allRedS: 2,
        minGreenS: 7,
        stages: [
          { groups: ['a'], greenS: 15 },
          { groups: ['b'], greenS: 15 },
        ],
      },
    },
  ];
  const { file, err } = problemsOf(t, raw);
  const lines = err.message.split('\n');
  t.deepEqual(lines, [
    `${file}: lightingGroups[0].luminaires[1]: unknown device "lum-9"`,
    `${file}: intersections[0].signalGroups[1].head: unknown device "sig-zz"`,
    `${file}: intersections[0].conflicts[0][1]: unknown signal group "c"`,
    `${file}: intersections[0].detectors[0]: unknown device "det-9"`,
  ]);
});

test('config — every problem is reported together, one per line', (t) => {
  const raw = minimal();
  (raw.edge as Record<string, unknown>).id = 'Atocha.01';
  raw.devices[0] = { id: 'lum-1', type: 'dali-led-luminaire', driver: 'modbus' };
  raw.devices.push({ id: 'lum-1', type: 'dali-led-luminaire', driver: 'simulated' });
  const { err } = problemsOf(t, raw);
  t.deepEqual(
    err.problems.map((p) => p.field),
    ['edge.id', 'devices[0].driver', 'devices[2].id'],
  );
  t.is(err.message.split('\n').length, 3);
  t.regex(err.message, /duplicate device id "lum-1" \(first at devices\[0\]\)/);
});

test('config — a plan with a conflicting stage or a short yellow is rejected', (t) => {
  const raw = minimal();
  raw.devices.push(
    { id: 'sig-a', type: 'vehicle-signal-3', driver: 'simulated' },
    { id: 'sig-b', type: 'vehicle-signal-3', driver: 'simulated' },
  );
  raw.intersections = [
    {
      id: 'x1',
      name: 'X',
      signalGroups: [
        { id: 'a', head: 'sig-a', kind: 'vehicle' },
        { id: 'b', head: 'sig-b', kind: 'vehicle' },
      ],
      conflicts: [['a', 'b']],
      detectors: [],
      plan: {
        cycleS: 60,
        yellowS: 2,
        allRedS: 2,
        minGreenS: 7,
        stages: [
          { groups: ['a', 'b'], greenS: 15 },
          { groups: ['b'], greenS: 15 },
        ],
      },
    },
  ];
  const { err } = problemsOf(t, raw);
  t.deepEqual(
    err.problems.map((p) => `${p.field}: ${p.reason}`),
    [
      'intersections[0].plan.yellowS: 2 is below the minimum 3',
      'intersections[0].plan.stages[0].groups: conflicting groups "a" and "b" in one stage',
    ],
  );
});

test('config — a site type may extend a built-in one', (t) => {
  const raw = minimal();
  raw.deviceTypes = [{ name: 'dali-led-90w', extends: 'dali-led-luminaire', limits: { ratedW: 90 } }];
  raw.devices[0] = { id: 'lum-1', type: 'dali-led-90w', driver: 'simulated' };
  const cfg = load(t, raw).run() as ReturnType<typeof loadEdgeConfig>;
  t.is(cfg.devices[0]?.type, 'dali-led-90w');

  raw.deviceTypes = [{ name: 'odd-lamp', extends: 'no-such-type' }];
  const { err } = problemsOf(t, raw);
  // In the file's order: this raw object lists deviceTypes last, after the device whose type
  // ("dali-led-90w") is now gone too.
  t.deepEqual(
    err.problems.map((p) => p.field),
    ['devices[0].type', 'deviceTypes[0].extends'],
  );
});

test('config — invalid JSON names the file', (t) => {
  const file = path.join(tempDir(t), 'bad.json');
  writeFileSync(file, '{ "edge": ');
  const err = t.throws(() => loadEdgeConfig(file), { instanceOf: ConfigError });
  t.regex(
    err.message,
    new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: \\(file\\): not valid JSON`),
  );
});

test('config — enrolment token, coordinator TLS and the NATS seed file are read, paths relative to the file', (t) => {
  const raw = {
    ...minimal(),
    nats: { servers: ['nats://hub:4222'], nkeySeedFile: './nats.nk' },
    coordinator: {
      grpc: 'coordinator:50051',
      enrolmentToken: 'calle-enrol-abc',
      tls: { ca: './ca.pem', cert: 'tls/edge.pem', key: 'tls/edge.key' },
    },
  };
  const { file, run } = load(t, raw);
  const dir = path.dirname(file);
  const config = run() as ReturnType<typeof loadEdgeConfig>;
  t.deepEqual(config.nats, { servers: ['nats://hub:4222'], nkeySeedFile: path.join(dir, 'nats.nk') });
  t.deepEqual(config.coordinator, {
    grpc: 'coordinator:50051',
    enrolmentToken: 'calle-enrol-abc',
    tls: {
      ca: path.join(dir, 'ca.pem'),
      cert: path.join(dir, 'tls/edge.pem'),
      key: path.join(dir, 'tls/edge.key'),
    },
  });
});

test('config — a TLS client certificate without its key, or an unknown TLS key, is refused by name', (t) => {
  const { err } = problemsOf(t, {
    ...minimal(),
    coordinator: { grpc: 'coordinator:50051', tls: { ca: 'ca.pem', cert: 'edge.pem', crl: 'x' } },
  });
  const fields = err.problems.map((p) => p.field);
  t.true(fields.includes('coordinator.tls'), fields.join());
  t.true(fields.includes('coordinator.tls.crl'), fields.join());
});

test('config — remote commands: absent means the default, a listed type is checked by name', (t) => {
  const plain = load(t, minimal()).run() as ReturnType<typeof loadEdgeConfig>;
  t.is(plain.commands, undefined, 'absent: edge-node.ts applies DEFAULT_ALLOWED_COMMANDS');
  const raw = { ...minimal(), commands: { allow: ['diagnostics.ping', 'intersection.flash'] } };
  const cfg = load(t, raw).run() as ReturnType<typeof loadEdgeConfig>;
  t.deepEqual(cfg.commands, { allow: ['diagnostics.ping', 'intersection.flash'] });
  const { err } = problemsOf(t, { ...minimal(), commands: { allow: ['reboot'] } });
  t.is(err.field, 'commands.allow[0]');
  t.regex(err.reason, /^"reboot" is not a command type \(known: diagnostics\.ping, /);
});

test('config — nats.budget is read and bounded by name', (t) => {
  const withBudget = (budget: unknown) => ({
    ...minimal(),
    nats: { servers: ['nats://127.0.0.1:4222'], budget },
  });
  const cfg = load(t, withBudget({ bytesPerDay: 15_000_000, burstS: 600 })).run() as ReturnType<
    typeof loadEdgeConfig
  >;
  t.deepEqual(cfg.nats?.budget, { bytesPerDay: 15_000_000, burstS: 600 });
  const { err } = problemsOf(t, withBudget({ bytesPerDay: 100 }));
  t.is(err.field, 'nats.budget.bytesPerDay');
  t.regex(err.reason, /below the minimum 10000/);
});
