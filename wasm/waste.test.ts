// The waste family: the WASM kernel against its TypeScript twin on random readings, and known
// answers (temperature compensation, no echo, spikes, emptying, rate and time to full).

import test from 'ava';
import fc from 'fast-check';
import { WasteBatch } from './core.js';
import { WasmError } from './errors.js';
import { WASTE_FLAG } from './waste.js';

const reading = fc.oneof(
  { weight: 10, arbitrary: fc.double({ min: 0, max: 140, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(254, Number.NaN, -3) },
);

test('waste — the WASM kernel equals its TypeScript twin bit for bit on random readings', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 9 }).chain((n) =>
        fc.tuple(
          fc.constant(n),
          fc.array(
            fc.tuple(
              fc.array(reading, { minLength: n, maxLength: n }),
              fc.double({ min: -10, max: 45, noNaN: true }),
            ),
            {
              maxLength: 60,
            },
          ),
        ),
      ),
      fc.double({ min: 2, max: 40, noNaN: true }),
      ([n, frames], spikeCm) => {
        const [w, s] = (['wasm', 'twin'] as const).map(
          (e) => new WasteBatch(n, { spikeCm, priorHours: 24 }, e),
        );
        for (const b of [w!, s!]) b.depthCm.set(Array.from({ length: n }, (_, i) => 100 + 10 * i));
        for (const [distances, temp] of frames) {
          for (const b of [w!, s!]) {
            b.distanceCm.set(distances);
            b.temperatureC.fill(temp);
            b.step(1);
          }
          for (const key of ['fill', 'rate', 'ttfHours', 'ttfLowHours', 'ttfHighHours', 'flag'] as const) {
            if (!w![key].every((x, i) => Object.is(x, s![key][i]))) return false;
          }
        }
        return true;
      },
    ),
    { numRuns: 80 },
  );
  t.pass();
});

function run(b: WasteBatch, distances: number[], temperatureC = Number.NaN): number[][] {
  return distances.map((d) => {
    b.distanceCm[0] = d;
    b.temperatureC[0] = temperatureC;
    b.step(1);
    return [b.fill[0]!, b.flag[0]!];
  });
}

test('waste — temperature compensation follows 331.3 + 0.606·T', (t) => {
  const b = new WasteBatch(1);
  b.depthCm[0] = 200;
  // 100 cm measured at 30 °C by a sensor calibrated for 20 °C is 100·349.48/343.42 cm.
  run(b, [100], 30);
  const trueDistance = (100 * (331.3 + 0.606 * 30)) / (331.3 + 0.606 * 20);
  t.true(Math.abs(b.fill[0]! - (200 - trueDistance) / 200) < 1e-12);
  t.true(Math.abs(trueDistance - 100 - 1.7647) < 1e-3, 'about 1.8 mm per °C per metre');
});

test('waste — no echo and out-of-range readings are ignored, a single spike is held then dropped', (t) => {
  const b = new WasteBatch(1, { spikeCm: 10 });
  const got = run(b, [80, 254, Number.NaN, 79, 20, 78, 78]);
  t.deepEqual(
    got.map((g) => g[1]),
    [
      WASTE_FLAG.accepted,
      WASTE_FLAG.invalid,
      WASTE_FLAG.invalid,
      WASTE_FLAG.accepted,
      WASTE_FLAG.held,
      WASTE_FLAG.accepted,
      WASTE_FLAG.accepted,
    ],
  );
  t.true(
    got.every((g) => Math.abs(g[0]! - 0.2) < 0.03),
    'the spike to 80 % never became the fill',
  );
});

test('waste — an emptying is detected once confirmed, and the rate and time to full follow the cycles', (t) => {
  const b = new WasteBatch(1, { spikeCm: 10, priorHours: 24 });
  b.fullAt[0] = 0.8;
  // Two cycles filling 1 cm/h from 100 cm down to 30 cm, then emptied.
  const cycle = Array.from({ length: 71 }, (_, h) => 100 - h);
  const flags = run(b, [...cycle, 100, 100, ...cycle.slice(1, 41)]).map((g) => g[1]);
  t.is(flags[71], WASTE_FLAG.held, 'the first empty reading waits for confirmation');
  t.is(flags[72], WASTE_FLAG.emptied);
  t.is(flags.filter((f) => f === WASTE_FLAG.emptied).length, 1);
  // 0.01 of the range per hour in the past cycle and in this one.
  t.true(Math.abs(b.rate[0]! - 0.01) < 1e-3, `rate ${b.rate[0]}`);
  // Fill 0.4 now, full at 0.8: 40 h.
  t.true(Math.abs(b.ttfHours[0]! - 40) < 2, `ttf ${b.ttfHours[0]}`);
  t.true(b.ttfLowHours[0]! <= b.ttfHours[0]! && b.ttfHours[0]! <= b.ttfHighHours[0]!);
});

test('waste — a small rise that falls back is not an emptying; a small real emptying is found once confirmed', (t) => {
  // Regression: changes within spikeCm were taken at once, so a 12 cm echo off a bag's edge that
  // fell back 12 cm the next hour read as an emptying (≥ emptyDrop, 10 cm in 100 cm).
  const b = new WasteBatch(1, { spikeCm: 15, emptyDrop: 0.1 });
  b.depthCm[0] = 100;
  const flags = run(b, [60, 48, 60, 60, 60]).map((g) => g[1]);
  t.deepEqual(flags, [
    WASTE_FLAG.accepted,
    WASTE_FLAG.held,
    WASTE_FLAG.accepted,
    WASTE_FLAG.accepted,
    WASTE_FLAG.accepted,
  ]);
  // A container at 52 % emptied to 40 %: 12 cm, under the spike threshold, held then confirmed.
  const e = run(b, [48, 48, 60, 61]).map((g) => g[1]);
  t.deepEqual(e, [WASTE_FLAG.held, WASTE_FLAG.accepted, WASTE_FLAG.held, WASTE_FLAG.emptied]);
  // With holding off (a processed feed), the same drop is an emptying at once.
  const feed = new WasteBatch(1, { spikeCm: Infinity, emptyDrop: 0.1 });
  feed.depthCm[0] = 100;
  t.is(run(feed, [48, 60])[1]![1], WASTE_FLAG.emptied);
});

test('waste — bad parameters are refused with the field named', (t) => {
  const err = t.throws(() => new WasteBatch(2, { emptyDrop: 0 }), { instanceOf: WasmError });
  t.is(err?.code, 'WASM_BAD_PARAM');
  t.regex(err?.message ?? '', /WasteBatch: emptyDrop must be in \(0, 1\], got 0/);
  t.regex(t.throws(() => new WasteBatch(2).step(-1))?.message ?? '', /dtHours must be a finite number ≥ 0/);
});
