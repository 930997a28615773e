// Filters family: per-channel signal conditioning over structure-of-arrays batches. Each call
// takes one new sample for each of n channels (f64 at inPtr), updates the channels' state, which
// lives in WASM memory, and writes one output per channel. Parameters are per batch: one batch per
// kind of sensor.
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

/** Exponential moving average y ← y + α(x − y); the first valid sample starts it. */
export function filtersEma(inPtr: usize, statePtr: usize, outPtr: usize, n: i32, alpha: f64): void {
  let c: i32 = 0;
  if (ASC_FEATURE_SIMD) {
    const a = f64x2.splat(alpha);
    for (; c + 1 < n; c += 2) {
      const off = (<usize>c) << 3;
      const y = v128.load(statePtr + off);
      const raw = v128.load(inPtr + off);
      // A missing sample keeps y by selection, not by y + α(y − y): that sum turns −0 into +0 and
      // would differ from the twin in the sign bit (regression test in filters.test.ts).
      const moved = v128.bitselect(f64x2.add(y, f64x2.mul(a, f64x2.sub(raw, y))), raw, f64x2.eq(y, y));
      const next = v128.bitselect(moved, y, f64x2.eq(raw, raw));
      v128.store(statePtr + off, next);
      v128.store(outPtr + off, next);
    }
  }
  for (; c < n; c++) {
    const off = (<usize>c) << 3;
    const y = load<f64>(statePtr + off);
    const x = load<f64>(inPtr + off);
    let next: f64;
    if (x != x) next = y;
    else if (y != y) next = x;
    else next = y + alpha * (x - y);
    store<f64>(statePtr + off, next);
    store<f64>(outPtr + off, next);
  }
}

/** Slew-rate limiter: the output moves at most maxRise up and maxFall down per call. */
export function filtersSlew(
  inPtr: usize,
  statePtr: usize,
  outPtr: usize,
  n: i32,
  maxRise: f64,
  maxFall: f64,
): void {
  for (let c: i32 = 0; c < n; c++) {
    const off = (<usize>c) << 3;
    const y = load<f64>(statePtr + off);
    const x = load<f64>(inPtr + off);
    let next: f64;
    if (x != x) next = y;
    else if (y != y) next = x;
    else {
      const d = x - y;
      next = d > maxRise ? y + maxRise : d < -maxFall ? y - maxFall : x;
    }
    store<f64>(statePtr + off, next);
    store<f64>(outPtr + off, next);
  }
}

/**
 * Hysteresis comparator: 1 once the input reaches `high`, 0 once it falls to `low`, unchanged in
 * between. A channel's first valid sample between the two decides by the midpoint.
 */
export function filtersHysteresis(
  inPtr: usize,
  statePtr: usize,
  outPtr: usize,
  n: i32,
  low: f64,
  high: f64,
): void {
  const mid = (low + high) * 0.5;
  for (let c: i32 = 0; c < n; c++) {
    const off = (<usize>c) << 3;
    const y = load<f64>(statePtr + off);
    const x = load<f64>(inPtr + off);
    let next = y;
    if (x == x) {
      if (x >= high) next = 1.0;
      else if (x <= low) next = 0.0;
      else if (y != y) next = x >= mid ? 1.0 : 0.0;
    }
    store<f64>(statePtr + off, next);
    store<f64>(outPtr + off, next);
  }
}

/** Doubles of trend state per channel, stored as 5 slot-major arrays of n. */
export const TREND_STATE: i32 = 5;

/**
 * Exponentially weighted least-squares line through the samples against time (one step per call),
 * forgetting factor λ: slope (units per call) and level (fitted value now). Time is counted back
 * from now, so the sums stay bounded however long the filter runs: ageing every sample by one step
 * maps Σw·t → λ(Σw·t − Σw), Σw·t² → λ(Σw·t² − 2Σw·t + Σw), Σw·t·x → λ(Σw·t·x − Σw·x). A missing
 * sample ages the sums and adds nothing. Slope and level are NaN until two distinct times count.
 */
export function filtersTrend(
  inPtr: usize,
  statePtr: usize,
  slopePtr: usize,
  levelPtr: usize,
  n: i32,
  lambda: f64,
): void {
  const a = (<usize>n) << 3;
  let c: i32 = 0;
  if (ASC_FEATURE_SIMD) {
    const l = f64x2.splat(lambda);
    const one = f64x2.splat(1.0);
    const two = f64x2.splat(2.0);
    const zero = f64x2.splat(0.0);
    const nan = f64x2.splat(NaN);
    const eps = f64x2.splat(1e-9);
    for (; c + 1 < n; c += 2) {
      const p = statePtr + ((<usize>c) << 3);
      const w = v128.load(p);
      const wt = v128.load(p + a);
      const wtt = v128.load(p + 2 * a);
      const wx = v128.load(p + 3 * a);
      const wtx = v128.load(p + 4 * a);
      const raw = v128.load(inPtr + ((<usize>c) << 3));
      const ok = f64x2.eq(raw, raw);
      const x = v128.bitselect(raw, zero, ok);
      const nw = f64x2.add(f64x2.mul(l, w), v128.and(one, ok));
      const nwt = f64x2.mul(l, f64x2.sub(wt, w));
      const nwtt = f64x2.mul(l, f64x2.add(f64x2.sub(wtt, f64x2.mul(two, wt)), w));
      const nwx = f64x2.add(f64x2.mul(l, wx), x);
      const nwtx = f64x2.mul(l, f64x2.sub(wtx, wx));
      v128.store(p, nw);
      v128.store(p + a, nwt);
      v128.store(p + 2 * a, nwtt);
      v128.store(p + 3 * a, nwx);
      v128.store(p + 4 * a, nwtx);
      const den = f64x2.sub(f64x2.mul(nw, nwtt), f64x2.mul(nwt, nwt));
      const slope = f64x2.div(f64x2.sub(f64x2.mul(nw, nwtx), f64x2.mul(nwt, nwx)), den);
      const level = f64x2.div(f64x2.sub(nwx, f64x2.mul(slope, nwt)), nw);
      const good = f64x2.gt(den, f64x2.mul(eps, f64x2.mul(nw, nw)));
      v128.store(slopePtr + ((<usize>c) << 3), v128.bitselect(slope, nan, good));
      v128.store(levelPtr + ((<usize>c) << 3), v128.bitselect(level, nan, good));
    }
  }
  for (; c < n; c++) {
    const p = statePtr + ((<usize>c) << 3);
    const w = load<f64>(p);
    const wt = load<f64>(p + a);
    const wtt = load<f64>(p + 2 * a);
    const wx = load<f64>(p + 3 * a);
    const wtx = load<f64>(p + 4 * a);
    const raw = load<f64>(inPtr + ((<usize>c) << 3));
    const ok = raw == raw;
    const nw = lambda * w + (ok ? 1.0 : 0.0);
    const nwt = lambda * (wt - w);
    const nwtt = lambda * (wtt - 2.0 * wt + w);
    const nwx = lambda * wx + (ok ? raw : 0.0);
    const nwtx = lambda * (wtx - wx);
    store<f64>(p, nw);
    store<f64>(p + a, nwt);
    store<f64>(p + 2 * a, nwtt);
    store<f64>(p + 3 * a, nwx);
    store<f64>(p + 4 * a, nwtx);
    const den = nw * nwtt - nwt * nwt;
    if (den > 1e-9 * (nw * nw)) {
      const slope = (nw * nwtx - nwt * nwx) / den;
      store<f64>(slopePtr + ((<usize>c) << 3), slope);
      store<f64>(levelPtr + ((<usize>c) << 3), (nwx - slope * nwt) / nw);
    } else {
      store<f64>(slopePtr + ((<usize>c) << 3), NaN);
      store<f64>(levelPtr + ((<usize>c) << 3), NaN);
    }
  }
}
