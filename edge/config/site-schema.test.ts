// The schema is JSON (editors and other tools read it), so the limits it repeats from the code are
// kept equal here: a safety floor changed in one place only fails this test, not a street.
import test from 'ava';
import { EDGE_ID_PATTERN } from '../../proto/nats-subjects.js';
import { HHMM_PATTERN } from '../control/madrid-time.js';
import { DEVICE_KINDS } from '../devices/definition.js';
import { DRIVER_NAMES } from '../devices/drivers/driver-params.js';
import { CONFIG_DEFAULTS, SIGNAL_LIMITS, SIGNAL_MODES } from './edge-config.js';
import { MIN_WALK_S } from './intersection-checks.js';
import { checkEdgeConfig, ITEM_ID_PATTERN, SITE_SCHEMA } from './load-config.js';

type Node = { properties: Record<string, Node>; items: Node } & Record<string, unknown>;
const root = SITE_SCHEMA as unknown as Node;
const node = (...keys: string[]): Node =>
  keys.reduce((n, k) => (k === '[]' ? n.items : n.properties[k]!), root);

test('site schema — its limits, names and patterns are the code’s', (t) => {
  const plan = node('intersections', '[]', 'plan');
  t.like(plan.properties.yellowS, { minimum: SIGNAL_LIMITS.minYellowS, maximum: SIGNAL_LIMITS.maxYellowS });
  t.like(plan.properties.allRedS, { minimum: 0, maximum: SIGNAL_LIMITS.maxAllRedS });
  t.like(plan.properties.minGreenS, { minimum: SIGNAL_LIMITS.minGreenS });
  t.like(plan.properties.cycleS, { minimum: SIGNAL_LIMITS.minCycleS, maximum: SIGNAL_LIMITS.maxCycleS });
  const group = node('intersections', '[]', 'signalGroups', '[]');
  t.like(group.properties.minGreenS, { minimum: SIGNAL_LIMITS.minGreenS });
  t.like(group.properties.maxGreenS, { minimum: SIGNAL_LIMITS.minGreenS });
  t.like(group.properties.walkS, { minimum: MIN_WALK_S });
  t.like(node('intersections', '[]', 'intergreen', '[]', 's'), { minimum: SIGNAL_LIMITS.minYellowS });
  t.deepEqual(node('intersections', '[]', 'control', 'mode').enum, [...SIGNAL_MODES]);
  t.deepEqual(node('devices', '[]', 'driver').enum, [...DRIVER_NAMES]);
  t.deepEqual(node('deviceTypes', '[]', 'kind').enum, [...DEVICE_KINDS]);
  t.is(node('edge', 'id').pattern, EDGE_ID_PATTERN.source);
  t.is((root.$defs as Record<string, Node>).itemId!.pattern, ITEM_ID_PATTERN.source);
  t.is(node('lightingGroups', '[]', 'adaptive', 'periods', '[]', 'from').pattern, HHMM_PATTERN.source);
  t.like(node('telemetry', 'intervalS'), { minimum: 1 });
  t.true(CONFIG_DEFAULTS.telemetry.intervalS >= 1);
});

test('site schema — several problems of one file come together, in the file’s order, each named', (t) => {
  const raw = {
    edge: { id: 'e1', district: 'centro', latitude: 40.4, longitude: -3.7, tag: ['x'] },
    devices: [{ id: 'lum-1', type: 'dali-led-luminaire', driver: 'simulated', params: { seed: true } }],
    lightingGroups: [{ id: 'g1', name: 'G', luminaires: ['lum-1', 'lum-2'], lightingClass: 'M7' }],
    intersections: [],
    containers: [{ id: 'c1', sensor: 'lum-1', depthCm: 10 }],
    console: { host: '', port: 80.5 },
  };
  const err = t.throws(() => checkEdgeConfig(raw, 'site.json'));
  t.deepEqual(err?.message.split('\n'), [
    'site.json: edge.tag: unknown field (known: id, district, latitude, longitude, tags)',
    'site.json: devices[0].params.seed: must be a number or string, got boolean true',
    'site.json: lightingGroups[0].luminaires[1]: unknown device "lum-2"',
    'site.json: lightingGroups[0].lightingClass: "M7" does not match ^(M[1-6]|P[1-6]|C[0-5])$',
    'site.json: containers[0].sensor: device "lum-1" is a luminaire, not a fill-sensor',
    'site.json: containers[0].depthCm: 10 is below the minimum 20',
    'site.json: console.host: must not be empty',
    'site.json: console.port: must be a whole number, got 80.5',
  ]);
});
