import test from 'ava';
import { FireWatch, TiltWatch } from './waste-alarms.js';

const MIN = 60_000;

test('waste alarms — fire is raised at 60 °C and cleared once cool and steady', (t) => {
  const f = new FireWatch();
  const seq = [25, 40, 59, 61, 55, 46, 44].map((c, i) => f.update(c, i * 60 * MIN).change);
  t.deepEqual(seq, [undefined, undefined, undefined, 'raised', undefined, undefined, 'cleared']);
});

test('waste alarms — a rise of more than 20 °C within an hour raises fire below 60 °C', (t) => {
  const f = new FireWatch();
  t.is(f.update(15, 0).change, undefined);
  t.is(f.update(30, 30 * MIN).change, undefined);
  const r = f.update(36, 50 * MIN);
  t.deepEqual(r, { change: 'raised', reason: 'rose 21 °C within 60 min' });
  t.true(f.active);
});

test('waste alarms — the same rise spread over more than an hour (the sun) is no fire', (t) => {
  const f = new FireWatch();
  const changes = [15, 25, 35, 45].map((c, i) => f.update(c, i * 70 * MIN).change);
  t.deepEqual(changes, [undefined, undefined, undefined, undefined]);
  t.is(f.update(Number.NaN, 300 * MIN).change, undefined, 'a missing temperature changes nothing');
});

test('waste alarms — tilt in degrees with hysteresis, or as a flag', (t) => {
  const w = new TiltWatch();
  t.deepEqual(
    [5, 50, 35, 29, 44].map((d) => w.update(d)),
    [undefined, 'raised', undefined, 'cleared', undefined],
  );
  const flag = new TiltWatch();
  t.deepEqual(
    [false, true, true, 'upright'].map((v) => flag.update(v)),
    [undefined, 'raised', undefined, 'cleared'],
  );
});
