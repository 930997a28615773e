// Filters family: the TypeScript twin of wasm/assembly/filters-*.ts, one function per kernel, same
// arguments (typed arrays instead of addresses), same order of floating-point operations: the
// results are bit-identical and the tests hold them so. Change both, and wasm/bench/reference.c.
//
// Conventions shared with the kernels: each call takes one new sample per channel; NaN means "no
// reading" and every filter then holds (the windowed ones push the channel's last valid sample);
// a channel with no valid sample yet outputs NaN. Windows are slot-major: slot k of channel c is
// win[k·n + c]; `head` is the slot the new sample goes to, the same for every channel.

import { windowMad, windowMedian } from './median-network.js';

/** Scale from the median absolute deviation to σ for normal data (1/Φ⁻¹(3/4)). */
export const MAD_TO_SIGMA = 1.4826;
/** Doubles of trend state per channel (Σw, Σw·t, Σw·t², Σw·x, Σw·t·x), slot-major. */
export const TREND_STATE = 5;

function push(
  input: Float64Array,
  win: Float64Array,
  last: Float64Array,
  n: number,
  size: number,
  head: number,
  c: number,
): number {
  const prev = last[c]!;
  let x = input[c]!;
  if (Number.isNaN(x)) x = prev;
  else if (Number.isNaN(prev)) for (let k = 0; k < size; k++) win[k * n + c] = x;
  win[head * n + c] = x;
  last[c] = x;
  return x;
}

/** Running median of the last `size` samples (1, 3, 5, 7 or 9). */
export function medianStep(
  input: Float64Array,
  win: Float64Array,
  last: Float64Array,
  output: Float64Array,
  n: number,
  size: number,
  head: number,
): void {
  for (let c = 0; c < n; c++) {
    push(input, win, last, n, size, head, c);
    output[c] = windowMedian(win, c, n, size);
  }
}

/**
 * Hampel identifier, causal form (Pearson et al., "Generalized Hampel Filters", EURASIP J. Adv.
 * Signal Process. 2016): the newest sample is replaced by the window's median when it lies further
 * than max(k · 1.4826 · MAD, floor) from it. Returns the number of samples replaced.
 */
export function hampelStep(
  input: Float64Array,
  win: Float64Array,
  last: Float64Array,
  output: Float64Array,
  n: number,
  size: number,
  head: number,
  k: number,
  floor: number,
): number {
  const kMad = k * MAD_TO_SIGMA;
  let replaced = 0;
  for (let c = 0; c < n; c++) {
    const x = push(input, win, last, n, size, head, c);
    const m = windowMedian(win, c, n, size);
    const scaled = kMad * windowMad(win, c, n, size, m);
    const thr = scaled < floor ? floor : scaled;
    if (Math.abs(x - m) > thr) {
      replaced++;
      output[c] = m;
    } else {
      output[c] = x;
    }
  }
  return replaced;
}

/** Exponential moving average y ← y + α(x − y); the first valid sample starts it. */
export function emaStep(
  input: Float64Array,
  state: Float64Array,
  output: Float64Array,
  n: number,
  alpha: number,
): void {
  for (let c = 0; c < n; c++) {
    const y = state[c]!;
    const x = input[c]!;
    const next = Number.isNaN(x) ? y : Number.isNaN(y) ? x : y + alpha * (x - y);
    state[c] = next;
    output[c] = next;
  }
}

/** Slew-rate limiter: the output moves at most maxRise up and maxFall down per call. */
export function slewStep(
  input: Float64Array,
  state: Float64Array,
  output: Float64Array,
  n: number,
  maxRise: number,
  maxFall: number,
): void {
  for (let c = 0; c < n; c++) {
    const y = state[c]!;
    const x = input[c]!;
    let next: number;
    if (Number.isNaN(x)) next = y;
    else if (Number.isNaN(y)) next = x;
    else {
      const d = x - y;
      next = d > maxRise ? y + maxRise : d < -maxFall ? y - maxFall : x;
    }
    state[c] = next;
    output[c] = next;
  }
}

/** Hysteresis comparator: 1 from `high` up, 0 from `low` down, unchanged between (first: midpoint). */
export function hysteresisStep(
  input: Float64Array,
  state: Float64Array,
  output: Float64Array,
  n: number,
  low: number,
  high: number,
): void {
  const mid = (low + high) * 0.5;
  for (let c = 0; c < n; c++) {
    const y = state[c]!;
    const x = input[c]!;
    let next = y;
    if (!Number.isNaN(x)) {
      if (x >= high) next = 1;
      else if (x <= low) next = 0;
      else if (Number.isNaN(y)) next = x >= mid ? 1 : 0;
    }
    state[c] = next;
    output[c] = next;
  }
}

/**
 * Exponentially weighted least-squares line against time (one step per call), forgetting factor
 * λ: slope (units per call) and level (fitted value now). Time counts back from now so the sums stay
 * bounded (see the kernel). Both NaN until two distinct times count. `state` starts at 0.
 */
export function trendStep(
  input: Float64Array,
  state: Float64Array,
  slope: Float64Array,
  level: Float64Array,
  n: number,
  lambda: number,
): void {
  for (let c = 0; c < n; c++) {
    const w = state[c]!;
    const wt = state[n + c]!;
    const wtt = state[2 * n + c]!;
    const wx = state[3 * n + c]!;
    const wtx = state[4 * n + c]!;
    const raw = input[c]!;
    const ok = !Number.isNaN(raw);
    const nw = lambda * w + (ok ? 1 : 0);
    const nwt = lambda * (wt - w);
    const nwtt = lambda * (wtt - 2 * wt + w);
    const nwx = lambda * wx + (ok ? raw : 0);
    const nwtx = lambda * (wtx - wx);
    state[c] = nw;
    state[n + c] = nwt;
    state[2 * n + c] = nwtt;
    state[3 * n + c] = nwx;
    state[4 * n + c] = nwtx;
    const den = nw * nwtt - nwt * nwt;
    if (den > 1e-9 * (nw * nw)) {
      const s = (nw * nwtx - nwt * nwx) / den;
      slope[c] = s;
      level[c] = (nwx - s * nwt) / nw;
    } else {
      slope[c] = Number.NaN;
      level[c] = Number.NaN;
    }
  }
}
