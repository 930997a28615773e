// The filters family: WASM kernels against the TypeScript twin (bit-identical, random inputs with
// dropouts), the SIMD build against the scalar one, and known answers.

import test from 'ava';
import fc from 'fast-check';
import {
  EmaFilter,
  FilterPipeline,
  HampelFilter,
  HysteresisComparator,
  MedianFilter,
  SlewLimiter,
  TrendFilter,
} from './core.js';
import { WasmError } from './errors.js';
import { allocF64, instantiateCore } from './instance.js';
import { hampelStep } from './filters.js';
import type { Engine } from './engine.js';

interface Stepper {
  input: Float64Array;
  step(): unknown;
}

/** Samples: mostly a noisy level, some spikes, some NaN (no reading). */
const sample = fc.oneof(
  { weight: 8, arbitrary: fc.double({ min: -100, max: 100, noNaN: true }) },
  { weight: 1, arbitrary: fc.constant(Number.NaN) },
  { weight: 1, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }) },
);
const batch = fc
  .integer({ min: 1, max: 13 })
  .chain((n) =>
    fc.tuple(fc.constant(n), fc.array(fc.array(sample, { minLength: n, maxLength: n }), { maxLength: 30 })),
  );

function sameBits(a: Float64Array, b: Float64Array): boolean {
  return a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
}

/** Runs the same frames through both engines; every output array must be bit-identical after every step. */
function agree(
  make: (engine: Engine) => Stepper,
  outs: (s: Stepper) => Float64Array[],
  frames: number[][],
): boolean {
  const w = make('wasm');
  const t = make('twin');
  for (const frame of frames) {
    w.input.set(frame);
    t.input.set(frame);
    if (!Object.is(w.step(), t.step())) return false;
    const [wo, to] = [outs(w), outs(t)];
    if (!wo.every((o, i) => sameBits(o, to[i]!))) return false;
  }
  return true;
}

const out = (s: Stepper): Float64Array[] => [(s as unknown as { output: Float64Array }).output];

test('filters — a missing sample keeps a −0 average as −0 in both engines (regression: the SIMD path made it +0)', (t) => {
  // The counterexample fast-check found: a channel at −0, then NaN.
  const frames = [
    [0, 0, 0, 0, 0, 0, -0, 0, 0, Number.NaN],
    [0, 0, 0, 0, 0, 0, Number.NaN, 0, 0, 0],
  ];
  t.true(agree((e) => new EmaFilter(10, { alpha: 0.01 }, e), out, frames));
  const w = new EmaFilter(10, { alpha: 0.01 }, 'wasm');
  for (const f of frames) {
    w.input.set(f);
    w.step();
  }
  t.true(Object.is(w.output[6], -0));
});

test('filters — every WASM kernel equals its TypeScript twin bit for bit on random input', (t) => {
  const size = fc.constantFrom(1, 3, 5, 7, 9);
  fc.assert(
    fc.property(batch, size, ([n, frames], w) =>
      agree((e) => new MedianFilter(n, { size: w }, e), out, frames),
    ),
    { numRuns: 60 },
  );
  fc.assert(
    fc.property(
      batch,
      size,
      fc.double({ min: 0.5, max: 6, noNaN: true }),
      fc.double({ min: 0, max: 5, noNaN: true }),
      ([n, frames], w, k, floor) => agree((e) => new HampelFilter(n, { size: w, k, floor }, e), out, frames),
    ),
    { numRuns: 60 },
  );
  fc.assert(
    fc.property(batch, fc.double({ min: 0.01, max: 1, noNaN: true }), ([n, frames], alpha) =>
      agree((e) => new EmaFilter(n, { alpha }, e), out, frames),
    ),
    { numRuns: 40 },
  );
  fc.assert(
    fc.property(
      batch,
      fc.double({ min: 0, max: 50, noNaN: true }),
      fc.double({ min: 0, max: 50, noNaN: true }),
      ([n, frames], maxRise, maxFall) =>
        agree((e) => new SlewLimiter(n, { maxRise, maxFall }, e), out, frames),
    ),
    { numRuns: 40 },
  );
  fc.assert(
    fc.property(
      batch,
      fc.double({ min: -50, max: 0, noNaN: true }),
      fc.double({ min: 1, max: 50, noNaN: true }),
      ([n, frames], low, high) => agree((e) => new HysteresisComparator(n, { low, high }, e), out, frames),
    ),
    { numRuns: 40 },
  );
  fc.assert(
    fc.property(batch, fc.double({ min: 0.5, max: 0.999, noNaN: true }), ([n, frames], lambda) =>
      agree(
        (e) => new TrendFilter(n, { lambda }, e),
        (s) => [(s as TrendFilter).slope, (s as TrendFilter).level],
        frames,
      ),
    ),
    { numRuns: 40 },
  );
  fc.assert(
    fc.property(batch, ([n, frames]) =>
      agree(
        (e) => new FilterPipeline(n, { hampel: { size: 5, k: 3, floor: 1 }, alpha: 0.3, lambda: 0.9 }, e),
        (s) => [(s as FilterPipeline).smooth, (s as FilterPipeline).slope, (s as FilterPipeline).level],
        frames,
      ),
    ),
    { numRuns: 40 },
  );
  t.pass();
});

test('filters — WASM and twin Hampel agree bit for bit over a long noisy run (thresholds often met)', (t) => {
  for (const size of [3, 5, 7, 9]) {
    const [w, s] = (['wasm', 'twin'] as const).map(
      (e) => new HampelFilter(37, { size, k: 2, floor: 0.1 }, e),
    );
    let seed = size;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let replaced = 0;
    for (let step = 0; step < 2000; step++) {
      for (let c = 0; c < 37; c++) {
        // Sum of three uniforms: bell-shaped noise, so samples land near k·MAD from the median.
        const x = rand() < 0.02 ? Number.NaN : 10 * (rand() + rand() + rand());
        w!.input[c] = x;
        s!.input[c] = x;
      }
      const r = w!.step();
      t.is(r, s!.step());
      replaced += r;
      if (!sameBits(w!.output, s!.output)) return t.fail(`size ${size}, step ${step}`);
    }
    t.true(replaced > 1000, `size ${size}: ${replaced} replaced — the threshold must be exercised`);
  }
});

test('filters — the SIMD and scalar builds give the same bits (Hampel, 9-sample window)', (t) => {
  const n = 37;
  const builds = (['simd', 'scalar'] as const).map((variant) => {
    const exports = instantiateCore(variant);
    const a = (count: number, fill = Number.NaN) => {
      const b = allocF64(count, variant, exports);
      b.view.fill(fill);
      return b;
    };
    return { exports, input: a(n), win: a(n * 9), last: a(n), output: a(n) };
  });
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 100;
  for (let step = 0; step < 200; step++) {
    const frame = Array.from({ length: n }, (_, c) =>
      c % 11 === step % 11 ? Number.NaN : rand() > 95 ? 1e4 : rand(),
    );
    const replaced = builds.map((b) => {
      b.input.view.set(frame);
      return b.exports.filtersHampel(
        b.input.ptr,
        b.win.ptr,
        b.last.ptr,
        b.output.ptr,
        n,
        9,
        step % 9,
        3,
        0.5,
      );
    });
    t.is(replaced[0], replaced[1], `step ${step}`);
    t.true(sameBits(builds[0]!.output.view, builds[1]!.output.view), `step ${step}`);
  }
});

test('filters — the scalar build’s integer-key networks pick the same bits on ties and signed zeros', (t) => {
  // The scalar build runs the median networks on i64 order keys (wasm/assembly/median-network.ts),
  // the SIMD build on f64x2.pmin/pmax; ties between −0 and +0 and between equal values must resolve
  // to the same element, or the outputs differ in the sign of a zero.
  const values = [-0, 0, -1, 1, -2.5, 2.5, -Infinity, Infinity, 5e-324, -5e-324, 3, 3];
  const n = 31; // odd: the SIMD build's last channel takes the scalar path as well
  for (const size of [3, 5, 7, 9]) {
    const builds = (['simd', 'scalar'] as const).map((variant) => {
      const exports = instantiateCore(variant);
      const a = (count: number) => {
        const b = allocF64(count, variant, exports);
        b.view.fill(Number.NaN);
        return b;
      };
      return {
        exports,
        input: a(n),
        win: a(n * size),
        last: a(n),
        med: a(n),
        win2: a(n * size),
        last2: a(n),
        ham: a(n),
      };
    });
    let seed = 11 + size;
    const pick = () => values[(seed = (seed * 1103515245 + 12345) % 2 ** 31) % values.length]!;
    for (let step = 0; step < 300; step++) {
      const frame = Array.from({ length: n }, pick);
      const replaced = builds.map((b) => {
        b.input.view.set(frame);
        const x = b.exports;
        x.filtersMedian(b.input.ptr, b.win.ptr, b.last.ptr, b.med.ptr, n, size, step % size);
        return x.filtersHampel(b.input.ptr, b.win2.ptr, b.last2.ptr, b.ham.ptr, n, size, step % size, 3, 0);
      });
      t.is(replaced[0], replaced[1], `size ${size}, step ${step}`);
      if (!sameBits(builds[0]!.med.view, builds[1]!.med.view))
        return t.fail(`median, size ${size}, step ${step}`);
      if (!sameBits(builds[0]!.ham.view, builds[1]!.ham.view))
        return t.fail(`Hampel, size ${size}, step ${step}`);
    }
  }
  t.pass();
});

test('filters — the median equals a sorted window’s middle, and a single spike vanishes', (t) => {
  for (const size of [3, 5, 7, 9]) {
    const f = new MedianFilter(1, { size });
    const history: number[] = [];
    for (let i = 0; i < 40; i++) {
      const x = (i * 37) % 23;
      history.push(x);
      f.input[0] = x;
      f.step();
      const window = history.slice(-size);
      while (window.length < size) window.unshift(history[0]!); // the first sample fills the window
      window.sort((a, b) => a - b);
      t.is(f.output[0], window[(size - 1) / 2], `size ${size}, step ${i}`);
    }
  }
  const h = new HampelFilter(2, { size: 5, k: 3, floor: 2 });
  const series = [50, 51, 50, 49, 50, 250, 50, 51];
  const got = series.map((x) => {
    h.input.set([x, Number.NaN]);
    h.step();
    return [h.output[0], h.output[1]];
  });
  t.deepEqual(
    got.map((g) => g[0]),
    [50, 51, 50, 49, 50, 50, 50, 51],
  );
  t.true(
    got.every((g) => Number.isNaN(g[1])),
    'a channel that never had a reading stays NaN',
  );
});

test('filters — EMA, slew limiter, hysteresis and trend known answers', (t) => {
  const ema = new EmaFilter(1, { alpha: 0.5 });
  const emaOut = [10, 20, Number.NaN, 20].map((x) => {
    ema.input[0] = x;
    ema.step();
    return ema.output[0];
  });
  t.deepEqual(emaOut, [10, 15, 15, 17.5]);

  const slew = new SlewLimiter(1, { maxRise: 2, maxFall: 5 });
  const slewOut = [0, 10, 10, 0, 0].map((x) => {
    slew.input[0] = x;
    slew.step();
    return slew.output[0];
  });
  t.deepEqual(slewOut, [0, 2, 4, 0, 0]);

  const hyst = new HysteresisComparator(1, { low: 10, high: 20 });
  const hystOut = [16, 12, 9, 15, 19, 20, 11, Number.NaN, 10].map((x) => {
    hyst.input[0] = x;
    hyst.step();
    return hyst.output[0];
  });
  t.deepEqual(hystOut, [1, 1, 0, 0, 0, 1, 1, 1, 0]);

  // A perfect line, with a dropout: the fit is exact whatever λ.
  const trend = new TrendFilter(1, { lambda: 0.9 });
  for (let i = 0; i < 20; i++) {
    trend.input[0] = i === 7 ? Number.NaN : 3 + 0.25 * i;
    trend.step();
  }
  t.true(Math.abs(trend.slope[0]! - 0.25) < 1e-9, `slope ${trend.slope[0]}`);
  t.true(Math.abs(trend.level[0]! - (3 + 0.25 * 19)) < 1e-9, `level ${trend.level[0]}`);
  const fresh = new TrendFilter(1, { lambda: 0.9 });
  fresh.input[0] = 1;
  fresh.step();
  t.true(Number.isNaN(fresh.slope[0]!), 'one sample has no slope');
});

test('filters — the twin counts replaced samples the way the kernel does', (t) => {
  const n = 3;
  const win = new Float64Array(n * 3).fill(Number.NaN);
  const last = new Float64Array(n).fill(Number.NaN);
  const output = new Float64Array(n);
  t.is(hampelStep(Float64Array.of(1, 1, 1), win, last, output, n, 3, 0, 3, 0), 0);
  t.is(hampelStep(Float64Array.of(1, 1, 1), win, last, output, n, 3, 1, 3, 0), 0);
  t.is(hampelStep(Float64Array.of(9, 1, 9), win, last, output, n, 3, 2, 3, 0), 2);
  t.deepEqual([...output], [1, 1, 1]);
});

test('filters — bad parameters are refused with the field named', (t) => {
  const cases: [() => unknown, RegExp][] = [
    [() => new MedianFilter(4, { size: 4 }), /MedianFilter: size must be 1, 3, 5, 7 or 9, got 4/],
    [() => new MedianFilter(0, { size: 3 }), /MedianFilter: channels must be a positive integer, got 0/],
    [() => new HampelFilter(1, { size: 5, k: 0, floor: 0 }), /HampelFilter: k must be a positive number/],
    [() => new EmaFilter(1, { alpha: 1.5 }), /EmaFilter: alpha must be in \(0, 1\], got 1.5/],
    [() => new HysteresisComparator(1, { low: 5, high: 5 }), /HysteresisComparator: low must be below high/],
    [() => new TrendFilter(1, { lambda: 1 }), /TrendFilter: lambda must be in \(0, 1\)/],
  ];
  for (const [make, message] of cases) {
    const err = t.throws(make, { instanceOf: WasmError });
    t.is(err?.code, 'WASM_BAD_PARAM');
    t.regex(err?.message ?? '', message);
  }
});
