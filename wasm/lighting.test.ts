// The lighting family: the WASM kernel against its TypeScript twin on random ticks, and known
// answers (DALI end points, CEN/TR 13201-1 classes and EN 13201-2 ratios, hold, photocell, ramps,
// energy).

import test from 'ava';
import fc from 'fast-check';
import { LightingBatch, daliFadeTimeS, daliLevel, daliPercent } from './core.js';
import { WasmError } from './errors.js';

const OUTPUTS = ['lightingClass', 'targetPct', 'levelPct', 'daliLevel', 'powerW', 'energyWh'] as const;

function close(a: number, b: number): boolean {
  return Object.is(a, b) || Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

test('lighting — the WASM kernel equals its TypeScript twin (1e-9 relative) on random ticks', (t) => {
  const tick = fc.record({
    weightSum: fc.oneof(fc.double({ min: -2, max: 6, noNaN: true }), fc.constant(Number.NaN)),
    schedulePct: fc.oneof(fc.double({ min: 0, max: 100, noNaN: true }), fc.constant(Number.NaN)),
    presence: fc.constantFrom(0, 0, 0, 1),
    lux: fc.oneof(fc.double({ min: 0, max: 200, noNaN: true }), fc.constant(Number.NaN)),
  });
  fc.assert(
    fc.property(
      fc
        .integer({ min: 1, max: 7 })
        .chain((n) =>
          fc.tuple(
            fc.constant(n),
            fc.array(fc.array(tick, { minLength: n, maxLength: n }), { maxLength: 40 }),
          ),
        ),
      fc.double({ min: 0.1, max: 5, noNaN: true }),
      fc.integer({ min: 1, max: 6 }),
      ([n, ticks], dtS, designClass) => {
        const [w, s] = (['wasm', 'twin'] as const).map(
          (e) => new LightingBatch(n, { rampUpS: 3, rampDownS: 8 }, e),
        );
        for (const b of [w!, s!]) {
          for (let i = 0; i < n; i++) {
            b.setup(i, { designClass, series: i % 2 ? 'P' : 'M', ratedW: 50 + i, boostPct: 80, holdS: 4 });
          }
        }
        for (const frame of ticks) {
          for (const b of [w!, s!]) {
            frame.forEach((x, i) => {
              b.views.weightSum[i] = x.weightSum;
              b.views.schedulePct[i] = x.schedulePct;
              b.views.presence[i] = x.presence;
              b.views.lux[i] = x.lux;
            });
            b.step(dtS);
          }
          for (const key of OUTPUTS) {
            if (!w!.views[key].every((x, i) => close(x, s!.views[key][i]!))) return false;
          }
        }
        return true;
      },
    ),
    { numRuns: 80 },
  );
  t.pass();
});

test('lighting — the DALI curve runs from 0.1 % at level 1 to 100 % at 254', (t) => {
  t.true(Math.abs(daliPercent(1) - 0.1) < 1e-12);
  t.true(Math.abs(daliPercent(254) - 100) < 1e-9);
  t.true(Math.abs(daliPercent(170) - 10) < 0.1, 'IEC 62386-102: level 170 is about 10 %');
  t.is(daliPercent(0), 0);
  t.is(daliLevel(100), 254);
  t.is(daliLevel(0.1), 1);
  t.is(daliLevel(0), 0);
  t.is(daliLevel(0.01), 1, 'any level above zero lights at the minimum at least');
  for (let n = 1; n <= 254; n++) t.is(daliLevel(daliPercent(n)), n);
  t.true(Math.abs(daliFadeTimeS(1) - 0.707) < 1e-3 && Math.abs(daliFadeTimeS(15) - 90.51) < 1e-2);
});

test('lighting — class from the weights, level from the EN 13201-2 ratios, boost held, photocell hysteresis, ramps and energy', (t) => {
  const b = new LightingBatch(3, { onLux: 20, offLux: 50, rampUpS: 0, rampDownS: 0 });
  b.setup(0, { designClass: 3, series: 'M', ratedW: 100, boostPct: 100, holdS: 10 });
  b.setup(1, { designClass: 4, series: 'P', ratedW: 40, boostPct: 0, holdS: 0 });
  b.setup(2, { designClass: 3, series: 'M', ratedW: 100, boostPct: 90, holdS: 3 });
  const v = b.views;
  v.schedulePct.set([100, 100, 100]);
  v.lux.set([5, 5, 5]);
  // M3 road, weights sum 2 → M4 (75 %); P4 road, weights sum 0 → P6 (40 %); weights 1.5 → 4.5 → M4.
  v.weightSum.set([2, 0, 1.5]);
  b.step(1);
  t.deepEqual([...v.lightingClass], [4, 6, 4]);
  t.true(Math.abs(v.targetPct[0]! - 75) < 1e-12 && Math.abs(v.targetPct[1]! - 40) < 1e-12);
  // Weights can never lift the class above the design class.
  v.weightSum.set([5, 5, 5]);
  b.step(1);
  t.deepEqual([...v.lightingClass], [3, 4, 3]);

  // Presence on luminaire 2 at 50 % schedule: boosted to 90 % for 3 s, then back.
  v.weightSum.set([3, 2, 3]);
  v.schedulePct.set([100, 100, 50]);
  v.presence.set([0, 0, 1]);
  b.step(1);
  t.is(v.targetPct[2], 90);
  v.presence.set([0, 0, 0]);
  const after = [1, 1, 1].map(() => {
    b.step(1);
    return v.targetPct[2];
  });
  t.deepEqual(after, [90, 90, 50]);

  // Photocell: 35 lx (between) keeps dark; 50 lx turns off; 35 lx keeps off; 20 lx turns on.
  const states = [35, 50, 35, 20].map((lux) => {
    v.lux.fill(lux);
    b.step(1);
    return v.targetPct[0]! > 0;
  });
  t.deepEqual(states, [true, false, false, true]);

  // Energy: 1 h at 100 % of 100 W is 100 Wh.
  const e = new LightingBatch(1, { rampUpS: 0, rampDownS: 0 });
  e.views.lux[0] = 0;
  e.views.schedulePct[0] = 100;
  e.views.weightSum[0] = 3;
  for (let i = 0; i < 3600; i++) e.step(1);
  t.true(Math.abs(e.views.energyWh[0]! - 100) < 1e-6, `${e.views.energyWh[0]} Wh`);

  // Ramp: 10 s for the full range rises 10 %/s; falls are limited separately.
  const r = new LightingBatch(1, { rampUpS: 10, rampDownS: 20 });
  r.views.lux[0] = 0;
  r.views.weightSum[0] = 3;
  r.views.schedulePct[0] = 0;
  r.step(1);
  r.views.schedulePct[0] = 100;
  const up = [1, 2, 3].map(() => (r.step(1), r.views.levelPct[0]));
  t.deepEqual(up, [10, 20, 30]);
  r.views.schedulePct[0] = 0;
  r.step(1);
  t.is(r.views.levelPct[0], 25);
});

test('lighting — fails ON with no schedule and no photocell reading', (t) => {
  const b = new LightingBatch(1);
  b.step(1);
  t.is(b.views.targetPct[0], 100);
  t.is(b.views.daliLevel[0], 254);
});

test('lighting — bad set-up is refused with the field named', (t) => {
  const b = new LightingBatch(2);
  const err = t.throws(() => b.setup(1, { designClass: 7, series: 'M', ratedW: 1, boostPct: 1, holdS: 1 }), {
    instanceOf: WasmError,
  });
  t.regex(err?.message ?? '', /LightingBatch.setup\(1\): designClass must be 1..6, got 7/);
  t.regex(
    t.throws(() => new LightingBatch(1, { onLux: 50, offLux: 40 }))?.message ?? '',
    /offLux must be above onLux/,
  );
});
