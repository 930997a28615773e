// Filters family, windowed kernels (median, Hampel); the one-state kernels (EMA, slew, hysteresis,
// trend) are in filters-recursive.ts. Per-channel signal conditioning over structure-of-arrays
// batches. Each call takes one new sample for each of n channels (f64 at inPtr), updates the
// channels' state, which lives in WASM memory, and writes one output per channel. Parameters are
// per batch: one batch per kind of sensor.
//
// Missing samples: a NaN input means "no reading". Every filter then holds — its state does not
// move and the output repeats the last one; the windowed filters push the channel's last valid
// sample instead (hold-last imputation), so a dropout cannot drag a median. A channel that has
// never had a valid sample outputs NaN.
//
// Windows (median, Hampel) are slot-major: slot k of channel c is at win[k·n + c], so two
// neighbouring channels' slots are adjacent and one v128 load takes both (REFERENCE §5: SIMD is
// where WASM gains on JavaScript). The ring position `head` is the same for every channel of a
// batch and is kept by the caller.
//
// The TypeScript twin is wasm/filters.ts (same order of floating-point operations: results are
// bit-identical; the tests compare them). Change both, and wasm/bench/reference.c.

import { med3, med5, med7, med9, orderKey } from './median-network';

/** Scale from the median absolute deviation to σ for normal data (1/Φ⁻¹(3/4)). */
const MAD_TO_SIGMA: f64 = 1.4826;

function ld<T>(p: usize): T {
  if (isVector<T>()) return <T>v128.load(p);
  else return <T>load<f64>(p);
}

function dev<T>(x: T, m: T): T {
  if (isVector<T>()) return <T>f64x2.abs(f64x2.sub(<v128>x, <v128>m));
  else return <T>Math.abs(<f64>x - <f64>m);
}

/** A value as the scalar networks' element, an order key (see median-network.ts), and back. */
function key(x: f64): i64 {
  return orderKey(reinterpret<i64>(x));
}

function unkey(k: i64): f64 {
  return reinterpret<f64>(orderKey(k));
}

/** Median of a window of `size` slots (1, 3, 5, 7 or 9) starting at p, slots `s` bytes apart. */
function windowMedian<T>(p: usize, s: usize, size: i32): T {
  if (!isVector<T>()) return <T>windowMedianKeys(p, s, size);
  if (size == 5) return med5<T>(ld<T>(p), ld<T>(p + s), ld<T>(p + 2 * s), ld<T>(p + 3 * s), ld<T>(p + 4 * s));
  if (size == 3) return med3<T>(ld<T>(p), ld<T>(p + s), ld<T>(p + 2 * s));
  if (size == 7) {
    return med7<T>(
      ld<T>(p),
      ld<T>(p + s),
      ld<T>(p + 2 * s),
      ld<T>(p + 3 * s),
      ld<T>(p + 4 * s),
      ld<T>(p + 5 * s),
      ld<T>(p + 6 * s),
    );
  }
  if (size == 9) {
    return med9<T>(
      ld<T>(p),
      ld<T>(p + s),
      ld<T>(p + 2 * s),
      ld<T>(p + 3 * s),
      ld<T>(p + 4 * s),
      ld<T>(p + 5 * s),
      ld<T>(p + 6 * s),
      ld<T>(p + 7 * s),
      ld<T>(p + 8 * s),
    );
  }
  return ld<T>(p);
}

/** The scalar windowMedian, on order keys. */
function windowMedianKeys(p: usize, s: usize, size: i32): f64 {
  if (size == 5) {
    return unkey(
      med5<i64>(
        key(load<f64>(p)),
        key(load<f64>(p + s)),
        key(load<f64>(p + 2 * s)),
        key(load<f64>(p + 3 * s)),
        key(load<f64>(p + 4 * s)),
      ),
    );
  }
  if (size == 3) return unkey(med3<i64>(key(load<f64>(p)), key(load<f64>(p + s)), key(load<f64>(p + 2 * s))));
  if (size == 7) {
    return unkey(
      med7<i64>(
        key(load<f64>(p)),
        key(load<f64>(p + s)),
        key(load<f64>(p + 2 * s)),
        key(load<f64>(p + 3 * s)),
        key(load<f64>(p + 4 * s)),
        key(load<f64>(p + 5 * s)),
        key(load<f64>(p + 6 * s)),
      ),
    );
  }
  if (size == 9) {
    return unkey(
      med9<i64>(
        key(load<f64>(p)),
        key(load<f64>(p + s)),
        key(load<f64>(p + 2 * s)),
        key(load<f64>(p + 3 * s)),
        key(load<f64>(p + 4 * s)),
        key(load<f64>(p + 5 * s)),
        key(load<f64>(p + 6 * s)),
        key(load<f64>(p + 7 * s)),
        key(load<f64>(p + 8 * s)),
      ),
    );
  }
  return load<f64>(p);
}

/** The scalar windowMad, on order keys of the deviations. */
function windowMadKeys(p: usize, s: usize, size: i32, m: f64): f64 {
  if (size == 5) {
    return unkey(
      med5<i64>(
        key(Math.abs(load<f64>(p) - m)),
        key(Math.abs(load<f64>(p + s) - m)),
        key(Math.abs(load<f64>(p + 2 * s) - m)),
        key(Math.abs(load<f64>(p + 3 * s) - m)),
        key(Math.abs(load<f64>(p + 4 * s) - m)),
      ),
    );
  }
  if (size == 3) {
    return unkey(
      med3<i64>(
        key(Math.abs(load<f64>(p) - m)),
        key(Math.abs(load<f64>(p + s) - m)),
        key(Math.abs(load<f64>(p + 2 * s) - m)),
      ),
    );
  }
  if (size == 7) {
    return unkey(
      med7<i64>(
        key(Math.abs(load<f64>(p) - m)),
        key(Math.abs(load<f64>(p + s) - m)),
        key(Math.abs(load<f64>(p + 2 * s) - m)),
        key(Math.abs(load<f64>(p + 3 * s) - m)),
        key(Math.abs(load<f64>(p + 4 * s) - m)),
        key(Math.abs(load<f64>(p + 5 * s) - m)),
        key(Math.abs(load<f64>(p + 6 * s) - m)),
      ),
    );
  }
  if (size == 9) {
    return unkey(
      med9<i64>(
        key(Math.abs(load<f64>(p) - m)),
        key(Math.abs(load<f64>(p + s) - m)),
        key(Math.abs(load<f64>(p + 2 * s) - m)),
        key(Math.abs(load<f64>(p + 3 * s) - m)),
        key(Math.abs(load<f64>(p + 4 * s) - m)),
        key(Math.abs(load<f64>(p + 5 * s) - m)),
        key(Math.abs(load<f64>(p + 6 * s) - m)),
        key(Math.abs(load<f64>(p + 7 * s) - m)),
        key(Math.abs(load<f64>(p + 8 * s) - m)),
      ),
    );
  }
  return Math.abs(load<f64>(p) - m);
}

/** Median absolute deviation from m of the same window. */
function windowMad<T>(p: usize, s: usize, size: i32, m: T): T {
  if (!isVector<T>()) return <T>windowMadKeys(p, s, size, <f64>m);
  if (size == 5) {
    return med5<T>(
      dev<T>(ld<T>(p), m),
      dev<T>(ld<T>(p + s), m),
      dev<T>(ld<T>(p + 2 * s), m),
      dev<T>(ld<T>(p + 3 * s), m),
      dev<T>(ld<T>(p + 4 * s), m),
    );
  }
  if (size == 3) return med3<T>(dev<T>(ld<T>(p), m), dev<T>(ld<T>(p + s), m), dev<T>(ld<T>(p + 2 * s), m));
  if (size == 7) {
    return med7<T>(
      dev<T>(ld<T>(p), m),
      dev<T>(ld<T>(p + s), m),
      dev<T>(ld<T>(p + 2 * s), m),
      dev<T>(ld<T>(p + 3 * s), m),
      dev<T>(ld<T>(p + 4 * s), m),
      dev<T>(ld<T>(p + 5 * s), m),
      dev<T>(ld<T>(p + 6 * s), m),
    );
  }
  if (size == 9) {
    return med9<T>(
      dev<T>(ld<T>(p), m),
      dev<T>(ld<T>(p + s), m),
      dev<T>(ld<T>(p + 2 * s), m),
      dev<T>(ld<T>(p + 3 * s), m),
      dev<T>(ld<T>(p + 4 * s), m),
      dev<T>(ld<T>(p + 5 * s), m),
      dev<T>(ld<T>(p + 6 * s), m),
      dev<T>(ld<T>(p + 7 * s), m),
      dev<T>(ld<T>(p + 8 * s), m),
    );
  }
  return dev<T>(ld<T>(p), m);
}

/**
 * Pushes channel c's sample into its window (hold-last imputation; a channel's first valid sample
 * fills the whole window) and returns the sample pushed.
 */
function pushScalar(inPtr: usize, winPtr: usize, lastPtr: usize, n: i32, size: i32, head: i32, c: i32): f64 {
  const off = (<usize>c) << 3;
  const last = load<f64>(lastPtr + off);
  let x = load<f64>(inPtr + off);
  const slot = (<usize>n) << 3;
  if (x != x) x = last;
  else if (last != last) {
    for (let k = 0; k < size; k++) store<f64>(winPtr + <usize>k * slot + off, x);
  }
  store<f64>(winPtr + <usize>head * slot + off, x);
  store<f64>(lastPtr + off, x);
  return x;
}

/** The same for channels c and c+1 at once. */
function pushPair(inPtr: usize, winPtr: usize, lastPtr: usize, n: i32, size: i32, head: i32, c: i32): v128 {
  const off = (<usize>c) << 3;
  const last = v128.load(lastPtr + off);
  const raw = v128.load(inPtr + off);
  const x = v128.bitselect(raw, last, f64x2.eq(raw, raw));
  // A channel's first valid sample (rare): fill its window lane by lane.
  if (v128.any_true(v128.and(f64x2.ne(last, last), f64x2.eq(x, x)))) {
    pushScalar(inPtr, winPtr, lastPtr, n, size, head, c);
    pushScalar(inPtr, winPtr, lastPtr, n, size, head, c + 1);
    return x;
  }
  v128.store(winPtr + <usize>head * ((<usize>n) << 3) + off, x);
  v128.store(lastPtr + off, x);
  return x;
}

/** Running median of the last `size` samples (odd, ≤ 9). */
export function filtersMedian(
  inPtr: usize,
  winPtr: usize,
  lastPtr: usize,
  outPtr: usize,
  n: i32,
  size: i32,
  head: i32,
): void {
  const s = (<usize>n) << 3;
  let c: i32 = 0;
  if (ASC_FEATURE_SIMD) {
    for (; c + 1 < n; c += 2) {
      pushPair(inPtr, winPtr, lastPtr, n, size, head, c);
      const off = (<usize>c) << 3;
      v128.store(outPtr + off, windowMedian<v128>(winPtr + off, s, size));
    }
  }
  for (; c < n; c++) {
    pushScalar(inPtr, winPtr, lastPtr, n, size, head, c);
    const off = (<usize>c) << 3;
    store<f64>(outPtr + off, windowMedian<f64>(winPtr + off, s, size));
  }
}

/**
 * Hampel identifier, causal form (Pearson et al., "Generalized Hampel Filters", EURASIP J. Adv.
 * Signal Process. 2016): the newest sample is an outlier when it lies further than
 * max(k · 1.4826 · MAD, floor) from the window's median, and is then replaced by the median. The
 * floor matters for quantised sensors, whose MAD is often 0. Returns the number of samples replaced.
 */
export function filtersHampel(
  inPtr: usize,
  winPtr: usize,
  lastPtr: usize,
  outPtr: usize,
  n: i32,
  size: i32,
  head: i32,
  k: f64,
  floor: f64,
): i32 {
  const s = (<usize>n) << 3;
  const kMad = k * MAD_TO_SIGMA;
  let replaced: i32 = 0;
  let c: i32 = 0;
  if (ASC_FEATURE_SIMD) {
    const kv = f64x2.splat(kMad);
    const fv = f64x2.splat(floor);
    for (; c + 1 < n; c += 2) {
      const x = pushPair(inPtr, winPtr, lastPtr, n, size, head, c);
      const off = (<usize>c) << 3;
      const m = windowMedian<v128>(winPtr + off, s, size);
      const mad = windowMad<v128>(winPtr + off, s, size, m);
      const thr = f64x2.pmax(f64x2.mul(kv, mad), fv);
      const outlier = f64x2.gt(f64x2.abs(f64x2.sub(x, m)), thr);
      replaced += popcnt<i32>(i64x2.bitmask(outlier));
      v128.store(outPtr + off, v128.bitselect(m, x, outlier));
    }
  }
  for (; c < n; c++) {
    const x = pushScalar(inPtr, winPtr, lastPtr, n, size, head, c);
    const off = (<usize>c) << 3;
    const m = windowMedian<f64>(winPtr + off, s, size);
    const mad = windowMad<f64>(winPtr + off, s, size, m);
    const scaled = kMad * mad;
    // `scaled < floor ? floor : scaled` as a mask on the bits: V8 branches on an f64 select, and
    // with quantised or quiet sensors MAD·k sits near the floor, so that branch is a coin toss.
    const useFloor = -(<i64>(scaled < floor));
    const thr = reinterpret<f64>(
      (reinterpret<i64>(floor) & useFloor) | (reinterpret<i64>(scaled) & ~useFloor),
    );
    if (Math.abs(x - m) > thr) {
      replaced++;
      store<f64>(outPtr + off, m);
    } else {
      store<f64>(outPtr + off, x);
    }
  }
  return replaced;
}
