// Reproducible randomness for simulation, tests and benches: a run with the same seed replays the
// same street (the equipment simulators, the simulated driver), the same fuzz case or the same
// bench data, so a failure can be repeated. One copy for the whole repository (issue 15: it was
// copied five times).

/** Mulberry32: small and fast; for simulation, not for anything secret. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Exponentially distributed sample with the given mean. */
export const exponential = (rand: () => number, mean: number): number => -Math.log(1 - rand()) * mean;

/** Standard normal sample (Box–Muller). */
export function normal(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}
