import test from 'ava';
import { BUILT_IN_TYPES, resolveDeviceTypes } from './catalogue.js';
import { checkDefinition, DEVICE_KINDS, pointCode } from './definition.js';
import { checkDeviceForDriver } from './drivers/driver-params.js';

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

test('catalogue — every built-in type with a register map or uplink layout covers all its points', (t) => {
  const modbus = { host: '10.0.0.5' };
  const mqtt = { broker: 'mqtt://10.0.0.1', applicationId: 'app', devEui: '70b3d57ed0000001' };
  for (const def of BUILT_IN_TYPES) {
    if (def.modbus) t.deepEqual(checkDeviceForDriver('modbus-tcp', def, modbus, def.name), [], def.name);
    if (def.uplink) t.deepEqual(checkDeviceForDriver('mqtt', def, mqtt, def.name), [], def.name);
  }
  t.true(BUILT_IN_TYPES.filter((d) => d.modbus).length >= 3);
});

test('catalogue — a register map that cannot work is refused with the binding named', (t) => {
  const lum = BUILT_IN_TYPES.find((d) => d.name === 'modbus-led-luminaire')!;
  const broken = {
    ...lum,
    modbus: {
      points: {
        ...lum.modbus!.points,
        level: { table: 'input' as const, address: 0 },
        power: { table: 'holding' as const, address: 65535, format: 'f32' as const },
        ghost: { table: 'coil' as const, address: 1 },
      },
    },
  };
  t.deepEqual(
    checkDefinition(broken, 'types[0]').map((p) => `${p.field}: ${p.reason}`),
    [
      'types[0].modbus.points.level.table: writable point "level" needs a coil or holding register, not input',
      'types[0].modbus.points.power.address: the value runs past address 65535',
      'types[0].modbus.points.ghost: no point "ghost" in the definition',
    ],
  );
});
