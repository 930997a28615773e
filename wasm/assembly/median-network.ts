// Median selection networks for 3, 5, 7 and 9 values, generic over f64 (one channel) and v128
// (two f64 channels side by side), so the scalar and the SIMD builds run the same comparisons.
//
// Source: N. Devillard, "Fast median search: an ANSI C implementation" (1998), opt_med3/5/7/9
// (the 9-input network is A. Paeth's, Graphics Gems I, 1990). They are selection networks: the
// middle output is the median; the others are not fully sorted. Checked exhaustively by the 0-1
// principle (every 0/1 input) when they were written here.
//
// lo/hi are exactly f64x2.pmin/pmax — lo(a, b) = b < a ? b : a, hi(a, b) = a < b ? b : a — so the
// scalar path gives bit-identical results, and so do the TypeScript twin (wasm/median-network.ts)
// and the C benchmark fixture. Windows never hold NaN next to numbers (the filters impute), so
// pmin's NaN rule does not matter. No @inline (prettier cannot parse decorators on functions):
// binaryen -O3 inlines functions this small anyway (flexible inline size 65–70). Generic functions
// over v128 raise AS112 ("exchange of v128 values") although nothing here crosses the module
// boundary: wasm/asconfig.json silences 112.

export function lo<T>(a: T, b: T): T {
  if (isVector<T>()) return <T>f64x2.pmin(<v128>a, <v128>b);
  else if (isInteger<T>()) return <T>select<i64>(<i64>b, <i64>a, keyRank(<i64>b) < keyRank(<i64>a));
  else return b < a ? b : a;
}

export function hi<T>(a: T, b: T): T {
  if (isVector<T>()) return <T>f64x2.pmax(<v128>a, <v128>b);
  else if (isInteger<T>()) return <T>select<i64>(<i64>b, <i64>a, keyRank(<i64>a) < keyRank(<i64>b));
  else return a < b ? b : a;
}

/**
 * The scalar build runs the networks on i64 order keys of the f64 values rather than on the f64s:
 * V8 on x64 turns every f64 compare-and-select into ucomisd, setcc and moves between register
 * files (about 10 cycles on the critical path; the scalar Hampel ran at 5–6× the SIMD build's
 * time), while an i64 compare and cmov take 2. `orderKey` maps a double's bits to an i64 that
 * orders like the double (the usual sign-magnitude to two's-complement flip; it is its own
 * inverse); `keyRank` then merges −0 (key −1) with +0 (key 0), the one pair of distinct keys that
 * compare equal as doubles. So lo/hi choose exactly the element `b < a ? b : a` chooses, ties and
 * signed zeros included, for any values but NaN — and windows never hold NaN next to numbers.
 */
export function orderKey(bits: i64): i64 {
  return bits ^ (<i64>((<u64>(bits >> 63)) >> 1));
}

function keyRank(key: i64): i64 {
  return key - (key >> 63);
}

/** Median of 3 (Devillard opt_med3). */
export function med3<T>(p0: T, p1: T, p2: T): T {
  let t: T;
  t = lo<T>(p0, p1);
  p1 = hi<T>(p0, p1);
  p0 = t;
  t = lo<T>(p1, p2);
  p2 = hi<T>(p1, p2);
  p1 = t;
  t = lo<T>(p0, p1);
  p1 = hi<T>(p0, p1);
  p0 = t;
  return p1;
}

/** Median of 5 (Devillard opt_med5). */
export function med5<T>(p0: T, p1: T, p2: T, p3: T, p4: T): T {
  let t: T;
  t = lo<T>(p0, p1);
  p1 = hi<T>(p0, p1);
  p0 = t;
  t = lo<T>(p3, p4);
  p4 = hi<T>(p3, p4);
  p3 = t;
  t = lo<T>(p0, p3);
  p3 = hi<T>(p0, p3);
  p0 = t;
  t = lo<T>(p1, p4);
  p4 = hi<T>(p1, p4);
  p1 = t;
  t = lo<T>(p1, p2);
  p2 = hi<T>(p1, p2);
  p1 = t;
  t = lo<T>(p2, p3);
  p3 = hi<T>(p2, p3);
  p2 = t;
  t = lo<T>(p1, p2);
  p2 = hi<T>(p1, p2);
  p1 = t;
  return p2;
}

/** Median of 7 (Devillard opt_med7). */
export function med7<T>(p0: T, p1: T, p2: T, p3: T, p4: T, p5: T, p6: T): T {
  let t: T;
  t = lo<T>(p0, p5);
  p5 = hi<T>(p0, p5);
  p0 = t;
  t = lo<T>(p0, p3);
  p3 = hi<T>(p0, p3);
  p0 = t;
  t = lo<T>(p1, p6);
  p6 = hi<T>(p1, p6);
  p1 = t;
  t = lo<T>(p2, p4);
  p4 = hi<T>(p2, p4);
  p2 = t;
  t = lo<T>(p0, p1);
  p1 = hi<T>(p0, p1);
  p0 = t;
  t = lo<T>(p3, p5);
  p5 = hi<T>(p3, p5);
  p3 = t;
  t = lo<T>(p2, p6);
  p6 = hi<T>(p2, p6);
  p2 = t;
  t = lo<T>(p2, p3);
  p3 = hi<T>(p2, p3);
  p2 = t;
  t = lo<T>(p3, p6);
  p6 = hi<T>(p3, p6);
  p3 = t;
  t = lo<T>(p4, p5);
  p5 = hi<T>(p4, p5);
  p4 = t;
  t = lo<T>(p1, p4);
  p4 = hi<T>(p1, p4);
  p1 = t;
  t = lo<T>(p1, p3);
  p3 = hi<T>(p1, p3);
  p1 = t;
  t = lo<T>(p3, p4);
  p4 = hi<T>(p3, p4);
  p3 = t;
  return p3;
}

/** Median of 9 (Devillard opt_med9). */
export function med9<T>(p0: T, p1: T, p2: T, p3: T, p4: T, p5: T, p6: T, p7: T, p8: T): T {
  let t: T;
  t = lo<T>(p1, p2);
  p2 = hi<T>(p1, p2);
  p1 = t;
  t = lo<T>(p4, p5);
  p5 = hi<T>(p4, p5);
  p4 = t;
  t = lo<T>(p7, p8);
  p8 = hi<T>(p7, p8);
  p7 = t;
  t = lo<T>(p0, p1);
  p1 = hi<T>(p0, p1);
  p0 = t;
  t = lo<T>(p3, p4);
  p4 = hi<T>(p3, p4);
  p3 = t;
  t = lo<T>(p6, p7);
  p7 = hi<T>(p6, p7);
  p6 = t;
  t = lo<T>(p1, p2);
  p2 = hi<T>(p1, p2);
  p1 = t;
  t = lo<T>(p4, p5);
  p5 = hi<T>(p4, p5);
  p4 = t;
  t = lo<T>(p7, p8);
  p8 = hi<T>(p7, p8);
  p7 = t;
  t = lo<T>(p0, p3);
  p3 = hi<T>(p0, p3);
  p0 = t;
  t = lo<T>(p5, p8);
  p8 = hi<T>(p5, p8);
  p5 = t;
  t = lo<T>(p4, p7);
  p7 = hi<T>(p4, p7);
  p4 = t;
  t = lo<T>(p3, p6);
  p6 = hi<T>(p3, p6);
  p3 = t;
  t = lo<T>(p1, p4);
  p4 = hi<T>(p1, p4);
  p1 = t;
  t = lo<T>(p2, p5);
  p5 = hi<T>(p2, p5);
  p2 = t;
  t = lo<T>(p4, p7);
  p7 = hi<T>(p4, p7);
  p4 = t;
  t = lo<T>(p4, p2);
  p2 = hi<T>(p4, p2);
  p4 = t;
  t = lo<T>(p6, p4);
  p4 = hi<T>(p6, p4);
  p6 = t;
  t = lo<T>(p4, p2);
  p2 = hi<T>(p4, p2);
  p4 = t;
  return p4;
}
