import test from 'ava';
import { BUILT_IN_TYPES, resolveDeviceTypes } from './catalogue.js';
import { checkDefinition, DEVICE_KINDS, pointCode } from './definition.js';

test('catalogue — every built-in definition passes the definition check', (t) => {
  for (const def of BUILT_IN_TYPES) {
    t.deepEqual(checkDefinition(def, def.name), [], def.name);
  }
});

test('catalogue — names are unique and every kind has a built-in type', (t) => {
  const names = BUILT_IN_TYPES.map((d) => d.name);
  t.is(new Set(names).size, names.length);
  for (const kind of DEVICE_KINDS)
    t.true(
      BUILT_IN_TYPES.some((d) => d.kind === kind),
      kind,
    );
});

test('catalogue — every reported point has a numeric telemetry code', (t) => {
  for (const def of BUILT_IN_TYPES) {
    for (const p of def.points.filter((q) => q.metric !== undefined)) {
      const sample = p.type === 'enum' ? p.values?.[0] : p.range?.[0];
      t.not(pointCode(p, sample), undefined, `${def.name}.${p.name}`);
    }
  }
});

test('catalogue — a site type extends a built-in, overriding limits and adding points', (t) => {
  const { types, problems } = resolveDeviceTypes(
    [
      {
        name: 'dali-led-90w',
        extends: 'dali-led-luminaire',
        limits: { ratedW: 90 },
        points: [
          { name: 'lampHours', access: 'read', type: 'number', unit: 'h', range: [0, 1e6], metric: 'lamp.h' },
        ],
      },
    ],
    'deviceTypes',
  );
  t.deepEqual(problems, []);
  const def = types.get('dali-led-90w')!;
  t.is(def.kind, 'luminaire');
  t.is(def.limits.ratedW, 90);
  t.deepEqual(
    def.points.map((p) => p.name),
    ['level', 'power', 'lampHours'],
  );
});

test('catalogue — a site type missing a point its kind needs is rejected', (t) => {
  const { types, problems } = resolveDeviceTypes(
    [{ name: 'odd-sensor', kind: 'fill-sensor', points: [] }],
    'deviceTypes',
  );
  t.false(types.has('odd-sensor'));
  t.deepEqual(problems, [
    { field: 'deviceTypes[0].points', reason: 'a fill-sensor needs a "distance" point' },
  ]);
});
