// Filters family, one-state kernels: EMA, slew-rate limit, hysteresis and the discounted linear
// trend; each channel keeps a few f64 of state and no window. The windowed kernels (median,
// Hampel) and the conventions both share are in filters-windowed.ts: per-channel structure-of-
// arrays batches, one new sample per channel per call, and a NaN input means "no reading", on
// which the state holds and the output repeats the last one.
//
// The TypeScript twin is wasm/filters.ts (same order of floating-point operations: results are
// bit-identical; the tests compare them). Change both, and wasm/bench/reference.c.

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
