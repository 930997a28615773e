import test from 'ava';
import { BUILT_IN_TYPES } from '../../catalogue.js';
import type { PointDefinition } from '../../definition.js';
import type { RegisterBinding } from '../../register-map.js';
import { decodePoint, encodePoint, placeBindings, planReads, type PlacedBinding } from './register-codec.js';

const num: PointDefinition = { name: 'x', access: 'write', type: 'number', unit: 'w', range: [-1e9, 1e9] };
const placed = (binding: RegisterBinding, point = num): PlacedBinding => ({
  point,
  binding,
  address: binding.address,
  width:
    binding.format === 'u32' || binding.format === 'i32' || binding.format === 'f32'
      ? 2
      : (binding.bits ?? 1),
});
const roundTrip = (pb: PlacedBinding, value: number | string) => {
  const raw = encodePoint(pb, value);
  return {
    raw,
    back: decodePoint(
      pb,
      { table: pb.binding.table, address: pb.address, quantity: raw.length, members: [pb] },
      raw,
    ),
  };
};

test('register codec — 32-bit word order is data: high-first and low-first', (t) => {
  const hi = placed({ table: 'holding', address: 0, format: 'u32', wordOrder: 'high-first' });
  const lo = placed({ table: 'holding', address: 0, format: 'u32', wordOrder: 'low-first' });
  t.deepEqual(roundTrip(hi, 0x12345678), { raw: [0x1234, 0x5678], back: 0x12345678 });
  t.deepEqual(roundTrip(lo, 0x12345678), { raw: [0x5678, 0x1234], back: 0x12345678 });
});

test('register codec — floats, signed words and scaling decode to clean decimals', (t) => {
  const f = placed({ table: 'input', address: 0, format: 'f32', wordOrder: 'low-first' });
  t.is(roundTrip(f, 42.1).back, 42.1);
  const i16 = placed({ table: 'holding', address: 0, format: 'i16' });
  t.deepEqual(roundTrip(i16, -2), { raw: [0xfffe], back: -2 });
  const tenth = placed({ table: 'holding', address: 0, scale: 0.1 });
  t.deepEqual(roundTrip(tenth, 50.3), { raw: [503], back: 50.3 });
  t.throws(() => encodePoint(placed({ table: 'holding', address: 0 }), -1), { message: /does not fit u16/ });
});

test('register codec — an enum over several coils writes all its bits and rejects unknown codes', (t) => {
  const head = BUILT_IN_TYPES.find((d) => d.name === 'modbus-vehicle-signal-3')!;
  const pb = placeBindings(head.modbus!, head.points, 2).get('aspect')!;
  t.is(pb.address, 8, 'channel 2 × 4 coils');
  t.deepEqual(encodePoint(pb, 'green'), [false, false, true, false]);
  t.is(roundTrip(pb, 'flash').back, 'flash');
  const block = { table: 'coil' as const, address: 8, quantity: 4, members: [pb] };
  t.throws(() => decodePoint(pb, block, [true, true, false, false]), {
    message: /raw code 3 is none of the known codes/,
  });
});

test('register codec — reads merge contiguous bindings of a table and never read across a gap', (t) => {
  const lum = BUILT_IN_TYPES.find((d) => d.name === 'modbus-led-luminaire')!;
  const blocks = planReads(placeBindings(lum.modbus!, lum.points, 0).values());
  t.deepEqual(
    blocks.map((b) => [b.table, b.address, b.quantity]),
    [
      ['holding', 0, 2],
      ['input', 0, 4],
    ],
  );
  const gap = planReads([placed({ table: 'input', address: 0 }), placed({ table: 'input', address: 5 })]);
  t.is(gap.length, 2);
});
