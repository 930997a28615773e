// Webster's cycle and green split, and max-pressure stage choice: the numeric kernels of the
// adaptive planner. Pure functions over plain numbers and arrays so that their WASM twins (in
// wasm/, written separately) can replace them one for one and be compared in tests.
//
// Webster (1958), Road Research Technical Paper 39, as in REFERENCE §2:
//   C0 = (1.5 L + 5) / (1 − Y), L = lost time per cycle (s), Y = Σ critical flow ratios q/s;
//   effective green of stage i = (C0 − L) · y_i / Y.
// Clamped to a sane cycle range (30–120 s by default) and to each stage's minimum green: minima
// always win, even when they push the cycle past its maximum (safety over efficiency).
// Max-pressure: Varaiya (2013), "Max pressure control of a network of signalized intersections",
// Transportation Research Part C 36.

/** Ratios at or above this are oversaturated: Webster's formula diverges, use the maximum cycle. */
export const WEBSTER_MAX_Y = 0.95;

/** Webster's optimal cycle, clamped to [minCycleS, maxCycleS]. */
export function websterCycleS(lostS: number, flowRatioSum: number, minCycleS = 30, maxCycleS = 120): number {
  if (!(flowRatioSum < WEBSTER_MAX_Y)) return maxCycleS;
  const c0 = (1.5 * lostS + 5) / (1 - Math.max(0, flowRatioSum));
  return Math.min(maxCycleS, Math.max(minCycleS, c0));
}

/**
 * Whole-second greens for each stage within `cycleS`: proportional to the critical ratios
 * (equal split when there is no flow), never below `minGreens[i]`. Returns the greens and the
 * cycle they make (longer than `cycleS` only when the minima need it).
 */
export function websterSplit(
  cycleS: number,
  lostS: number,
  ratios: readonly number[],
  minGreens: readonly number[],
): { greens: number[]; cycleS: number } {
  const n = ratios.length;
  const minSum = minGreens.reduce((s, g) => s + g, 0);
  const available = Math.max(Math.floor(cycleS - lostS), Math.ceil(minSum));
  const weights = ratios.map((y) => Math.max(0, y));
  const total = weights.reduce((s, y) => s + y, 0);
  const share = weights.map((y) => (total > 0 ? y / total : 1 / n));
  // Fix stages at their minimum one by one until the rest, split by share, all clear theirs.
  const fixed = new Array<boolean>(n).fill(false);
  let greens = new Array<number>(n).fill(0);
  for (let round = 0; round <= n; round++) {
    const rest = available - minGreens.reduce((s, g, i) => s + (fixed[i] ? g : 0), 0);
    const restShare = share.reduce((s, x, i) => s + (fixed[i] ? 0 : x), 0);
    greens = share.map((x, i) =>
      fixed[i]
        ? minGreens[i]!
        : restShare > 0
          ? (rest * x) / restShare
          : rest / fixed.filter((f) => !f).length,
    );
    const low = greens.findIndex((g, i) => !fixed[i] && g < minGreens[i]!);
    if (low < 0) break;
    fixed[low] = true;
  }
  // Whole seconds: floor, then hand the remainder out by largest fraction, keeping the sum exact.
  const floors = greens.map((g, i) => Math.max(Math.floor(g), Math.ceil(minGreens[i]!)));
  let left = available - floors.reduce((s, g) => s + g, 0);
  const order = greens.map((g, i) => [g - Math.floor(g), i] as const).sort((a, b) => b[0] - a[0]);
  for (let k = 0; left > 0 && n > 0; k++, left--) floors[order[k % n]![1]]! += 1;
  const sum = floors.reduce((s, g) => s + g, 0);
  return { greens: floors, cycleS: sum + lostS };
}

/** Both steps: the Webster cycle for these ratios, then the split. */
export function websterPlan(
  lostS: number,
  ratios: readonly number[],
  minGreens: readonly number[],
  minCycleS = 30,
  maxCycleS = 120,
): { greens: number[]; cycleS: number } {
  const y = ratios.reduce((s, r) => s + Math.max(0, r), 0);
  return websterSplit(websterCycleS(lostS, y, minCycleS, maxCycleS), lostS, ratios, minGreens);
}

/**
 * Max-pressure: the index of the stage whose movements have the largest Σ (upstream queue −
 * downstream queue) × saturation flow, given each stage's pressure already summed; ties go to
 * the lowest index (deterministic). −1 when there is no stage.
 */
export function maxPressureStage(pressures: readonly number[]): number {
  let best = -1;
  for (let i = 0; i < pressures.length; i++) if (best < 0 || pressures[i]! > pressures[best]!) best = i;
  return best;
}
