// Median selection networks for 3, 5, 7 and 9 values: the TypeScript twin of
// wasm/assembly/median-network.ts (N. Devillard, "Fast median search: an ANSI C implementation",
// 1998, opt_med3/5/7/9; the 9-input network is A. Paeth's, Graphics Gems I, 1990).
//
// Each compare-exchange is written as f64x2.pmin/pmax compute it — lo = b < a ? b : a,
// hi = a < b ? b : a — so this twin, the WASM kernels (scalar and SIMD) and the C benchmark
// fixture return the same bits.

export function med3(p0: number, p1: number, p2: number): number {
  let t: number;
  t = p1 < p0 ? p1 : p0;
  p1 = p0 < p1 ? p1 : p0;
  p0 = t;
  t = p2 < p1 ? p2 : p1;
  p2 = p1 < p2 ? p2 : p1;
  p1 = t;
  t = p1 < p0 ? p1 : p0;
  p1 = p0 < p1 ? p1 : p0;
  p0 = t;
  return p1;
}

export function med5(p0: number, p1: number, p2: number, p3: number, p4: number): number {
  let t: number;
  t = p1 < p0 ? p1 : p0;
  p1 = p0 < p1 ? p1 : p0;
  p0 = t;
  t = p4 < p3 ? p4 : p3;
  p4 = p3 < p4 ? p4 : p3;
  p3 = t;
  t = p3 < p0 ? p3 : p0;
  p3 = p0 < p3 ? p3 : p0;
  p0 = t;
  t = p4 < p1 ? p4 : p1;
  p4 = p1 < p4 ? p4 : p1;
  p1 = t;
  t = p2 < p1 ? p2 : p1;
  p2 = p1 < p2 ? p2 : p1;
  p1 = t;
  t = p3 < p2 ? p3 : p2;
  p3 = p2 < p3 ? p3 : p2;
  p2 = t;
  t = p2 < p1 ? p2 : p1;
  p2 = p1 < p2 ? p2 : p1;
  p1 = t;
  return p2;
}

export function med7(
  p0: number,
  p1: number,
  p2: number,
  p3: number,
  p4: number,
  p5: number,
  p6: number,
): number {
  let t: number;
  t = p5 < p0 ? p5 : p0;
  p5 = p0 < p5 ? p5 : p0;
  p0 = t;
  t = p3 < p0 ? p3 : p0;
  p3 = p0 < p3 ? p3 : p0;
  p0 = t;
  t = p6 < p1 ? p6 : p1;
  p6 = p1 < p6 ? p6 : p1;
  p1 = t;
  t = p4 < p2 ? p4 : p2;
  p4 = p2 < p4 ? p4 : p2;
  p2 = t;
  t = p1 < p0 ? p1 : p0;
  p1 = p0 < p1 ? p1 : p0;
  p0 = t;
  t = p5 < p3 ? p5 : p3;
  p5 = p3 < p5 ? p5 : p3;
  p3 = t;
  t = p6 < p2 ? p6 : p2;
  p6 = p2 < p6 ? p6 : p2;
  p2 = t;
  t = p3 < p2 ? p3 : p2;
  p3 = p2 < p3 ? p3 : p2;
  p2 = t;
  t = p6 < p3 ? p6 : p3;
  p6 = p3 < p6 ? p6 : p3;
  p3 = t;
  t = p5 < p4 ? p5 : p4;
  p5 = p4 < p5 ? p5 : p4;
  p4 = t;
  t = p4 < p1 ? p4 : p1;
  p4 = p1 < p4 ? p4 : p1;
  p1 = t;
  t = p3 < p1 ? p3 : p1;
  p3 = p1 < p3 ? p3 : p1;
  p1 = t;
  t = p4 < p3 ? p4 : p3;
  p4 = p3 < p4 ? p4 : p3;
  p3 = t;
  return p3;
}

export function med9(
  p0: number,
  p1: number,
  p2: number,
  p3: number,
  p4: number,
  p5: number,
  p6: number,
  p7: number,
  p8: number,
): number {
  let t: number;
  t = p2 < p1 ? p2 : p1;
  p2 = p1 < p2 ? p2 : p1;
  p1 = t;
  t = p5 < p4 ? p5 : p4;
  p5 = p4 < p5 ? p5 : p4;
  p4 = t;
  t = p8 < p7 ? p8 : p7;
  p8 = p7 < p8 ? p8 : p7;
  p7 = t;
  t = p1 < p0 ? p1 : p0;
  p1 = p0 < p1 ? p1 : p0;
  p0 = t;
  t = p4 < p3 ? p4 : p3;
  p4 = p3 < p4 ? p4 : p3;
  p3 = t;
  t = p7 < p6 ? p7 : p6;
  p7 = p6 < p7 ? p7 : p6;
  p6 = t;
  t = p2 < p1 ? p2 : p1;
  p2 = p1 < p2 ? p2 : p1;
  p1 = t;
  t = p5 < p4 ? p5 : p4;
  p5 = p4 < p5 ? p5 : p4;
  p4 = t;
  t = p8 < p7 ? p8 : p7;
  p8 = p7 < p8 ? p8 : p7;
  p7 = t;
  t = p3 < p0 ? p3 : p0;
  p3 = p0 < p3 ? p3 : p0;
  p0 = t;
  t = p8 < p5 ? p8 : p5;
  p8 = p5 < p8 ? p8 : p5;
  p5 = t;
  t = p7 < p4 ? p7 : p4;
  p7 = p4 < p7 ? p7 : p4;
  p4 = t;
  t = p6 < p3 ? p6 : p3;
  p6 = p3 < p6 ? p6 : p3;
  p3 = t;
  t = p4 < p1 ? p4 : p1;
  p4 = p1 < p4 ? p4 : p1;
  p1 = t;
  t = p5 < p2 ? p5 : p2;
  p5 = p2 < p5 ? p5 : p2;
  p2 = t;
  t = p7 < p4 ? p7 : p4;
  p7 = p4 < p7 ? p7 : p4;
  p4 = t;
  t = p2 < p4 ? p2 : p4;
  p2 = p4 < p2 ? p2 : p4;
  p4 = t;
  t = p4 < p6 ? p4 : p6;
  p4 = p6 < p4 ? p4 : p6;
  p6 = t;
  t = p2 < p4 ? p2 : p4;
  p2 = p4 < p2 ? p2 : p4;
  p4 = t;
  return p4;
}

/** Median of window slots p[at], p[at + stride], … (size 1, 3, 5, 7 or 9 slots). */
export function windowMedian(p: Float64Array, at: number, stride: number, size: number): number {
  if (size === 5)
    return med5(p[at]!, p[at + stride]!, p[at + 2 * stride]!, p[at + 3 * stride]!, p[at + 4 * stride]!);
  if (size === 3) return med3(p[at]!, p[at + stride]!, p[at + 2 * stride]!);
  if (size === 7)
    return med7(
      p[at]!,
      p[at + stride]!,
      p[at + 2 * stride]!,
      p[at + 3 * stride]!,
      p[at + 4 * stride]!,
      p[at + 5 * stride]!,
      p[at + 6 * stride]!,
    );
  if (size === 9)
    return med9(
      p[at]!,
      p[at + stride]!,
      p[at + 2 * stride]!,
      p[at + 3 * stride]!,
      p[at + 4 * stride]!,
      p[at + 5 * stride]!,
      p[at + 6 * stride]!,
      p[at + 7 * stride]!,
      p[at + 8 * stride]!,
    );
  return p[at]!;
}

/** Median absolute deviation from m of the same slots. */
export function windowMad(p: Float64Array, at: number, stride: number, size: number, m: number): number {
  if (size === 5)
    return med5(
      Math.abs(p[at]! - m),
      Math.abs(p[at + stride]! - m),
      Math.abs(p[at + 2 * stride]! - m),
      Math.abs(p[at + 3 * stride]! - m),
      Math.abs(p[at + 4 * stride]! - m),
    );
  if (size === 3)
    return med3(Math.abs(p[at]! - m), Math.abs(p[at + stride]! - m), Math.abs(p[at + 2 * stride]! - m));
  if (size === 7)
    return med7(
      Math.abs(p[at]! - m),
      Math.abs(p[at + stride]! - m),
      Math.abs(p[at + 2 * stride]! - m),
      Math.abs(p[at + 3 * stride]! - m),
      Math.abs(p[at + 4 * stride]! - m),
      Math.abs(p[at + 5 * stride]! - m),
      Math.abs(p[at + 6 * stride]! - m),
    );
  if (size === 9)
    return med9(
      Math.abs(p[at]! - m),
      Math.abs(p[at + stride]! - m),
      Math.abs(p[at + 2 * stride]! - m),
      Math.abs(p[at + 3 * stride]! - m),
      Math.abs(p[at + 4 * stride]! - m),
      Math.abs(p[at + 5 * stride]! - m),
      Math.abs(p[at + 6 * stride]! - m),
      Math.abs(p[at + 7 * stride]! - m),
      Math.abs(p[at + 8 * stride]! - m),
    );
  return Math.abs(p[at]! - m);
}
