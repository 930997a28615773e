// Traffic family: detector processing, Webster cycle and splits, actuated extension / gap-out /
// max-out, max-pressure phase choice, ITE change intervals.
//
// Methods, sources and layouts: the TypeScript twin, wasm/traffic.ts (same operations in the same
// order). Change both, and wasm/bench/reference.c.

// Detector fields (field-major over n detectors).
const OCCUPIED: usize = 0;
const GREEN: usize = 1;
const SAT_FLOW: usize = 2;
const FLOW: usize = 3;
const OCCUPANCY: usize = 4;
const GAP: usize = 5;
const HEADWAY: usize = 6;
const SATURATION: usize = 7;
const QUEUE: usize = 8;
const COUNT: usize = 9;
const PREV_OCC: usize = 10;
const SINCE_ONSET: usize = 11;
const GREEN_FRACTION: usize = 12;
export const DETECTOR_FIELDS: i32 = 13;

/** One tick (dtS seconds) for n detectors; tauS is the flow/occupancy time constant. */
export function detectorStep(base: usize, n: i32, dtS: f64, tauS: f64): void {
  const a = dtS / tauS;
  const row = (<usize>n) << 3;
  for (let c: i32 = 0; c < n; c++) {
    const p = base + ((<usize>c) << 3);
    const occ: f64 = load<f64>(p + OCCUPIED * row) >= 0.5 ? 1 : 0;
    const onset: f64 = occ == 1 && !(load<f64>(p + PREV_OCC * row) >= 0.5) ? 1 : 0;
    store<f64>(p + PREV_OCC * row, occ);
    const green: f64 = load<f64>(p + GREEN * row) >= 0.5 ? 1 : 0;
    const sat = load<f64>(p + SAT_FLOW * row);

    const flow = load<f64>(p + FLOW * row);
    const newFlow = flow + a * ((onset * 3600) / dtS - flow);
    store<f64>(p + FLOW * row, newFlow);
    const o = load<f64>(p + OCCUPANCY * row);
    store<f64>(p + OCCUPANCY * row, o + a * (occ - o));
    const gf = load<f64>(p + GREEN_FRACTION * row);
    const newGf = gf + a * (green - gf);
    store<f64>(p + GREEN_FRACTION * row, newGf);
    store<f64>(p + SATURATION * row, newGf > 0.01 ? newFlow / (sat * newGf) : NaN);

    store<f64>(p + GAP * row, occ == 1 ? 0 : load<f64>(p + GAP * row) + dtS);
    const since = load<f64>(p + SINCE_ONSET * row) + dtS;
    if (onset == 1) {
      store<f64>(p + HEADWAY * row, since);
      store<f64>(p + SINCE_ONSET * row, 0);
      store<f64>(p + COUNT * row, load<f64>(p + COUNT * row) + 1);
    } else {
      store<f64>(p + SINCE_ONSET * row, since);
    }

    let q = load<f64>(p + QUEUE * row) + onset - (green * sat * dtS) / 3600;
    if (q < 0) q = 0;
    store<f64>(p + QUEUE * row, q);
  }
}

// Webster row (f64 offsets): phases, lostS, cycle, then y, minGreen, maxGreen, green, 8 each.
const W_PHASES: usize = 0;
const W_LOST: usize = 1;
const W_CYCLE: usize = 2;
const W_Y: usize = 3;
const W_MIN: usize = 11;
const W_MAX: usize = 19;
const W_GREEN: usize = 27;
export const WEBSTER_STRIDE: i32 = 35;

/** Webster's cycle and splits for n intersection rows (see the twin for the rules). */
export function websterStep(base: usize, n: i32, cMinS: f64, cMaxS: f64): void {
  for (let c: i32 = 0; c < n; c++) {
    const r = base + <usize>c * ((<usize>WEBSTER_STRIDE) << 3);
    const phases = <i32>load<f64>(r + (W_PHASES << 3));
    const lost = load<f64>(r + (W_LOST << 3));
    let sumY: f64 = 0;
    for (let i: i32 = 0; i < phases; i++) sumY += load<f64>(r + ((W_Y + i) << 3));
    let cycle = sumY < 0.95 ? (1.5 * lost + 5) / (1 - sumY) : cMaxS;
    cycle = cycle < cMinS ? cMinS : cycle > cMaxS ? cMaxS : cycle;
    const effective = cycle - lost;
    let fixedMask: i32 = 0;
    for (let pass: i32 = 0; pass <= phases; pass++) {
      let fixedGreen: f64 = 0;
      let freeY: f64 = 0;
      let free: i32 = 0;
      for (let i: i32 = 0; i < phases; i++) {
        if ((fixedMask >> i) & 1) fixedGreen += load<f64>(r + ((W_GREEN + i) << 3));
        else {
          freeY += load<f64>(r + ((W_Y + i) << 3));
          free++;
        }
      }
      if (free == 0) break;
      const share = effective - fixedGreen;
      let changed = false;
      for (let i: i32 = 0; i < phases; i++) {
        if ((fixedMask >> i) & 1) continue;
        const g = freeY > 0 ? (share * load<f64>(r + ((W_Y + i) << 3))) / freeY : share / <f64>free;
        const lo = load<f64>(r + ((W_MIN + i) << 3));
        const hi = load<f64>(r + ((W_MAX + i) << 3));
        if (g < lo) {
          store<f64>(r + ((W_GREEN + i) << 3), lo);
          fixedMask |= 1 << i;
          changed = true;
        } else if (g > hi) {
          store<f64>(r + ((W_GREEN + i) << 3), hi);
          fixedMask |= 1 << i;
          changed = true;
        } else {
          store<f64>(r + ((W_GREEN + i) << 3), g);
        }
      }
      if (!changed) break;
    }
    let total = lost;
    for (let i: i32 = 0; i < phases; i++) total += load<f64>(r + ((W_GREEN + i) << 3));
    store<f64>(r + (W_CYCLE << 3), total);
  }
}

// Actuated fields (field-major over n phases).
const ELAPSED: usize = 0;
const A_GAP: usize = 1;
const MIN_GREEN: usize = 2;
const PASSAGE: usize = 3;
const MAX_GREEN: usize = 4;
const DECISION: usize = 5;
export const ACTUATED_FIELDS: i32 = 6;

/** Decisions: 0 minimum not served, 1 extend, 2 gap-out, 3 max-out. */
export function actuatedStep(base: usize, n: i32): void {
  const row = (<usize>n) << 3;
  for (let c: i32 = 0; c < n; c++) {
    const p = base + ((<usize>c) << 3);
    const elapsed = load<f64>(p + ELAPSED * row);
    let d: f64;
    if (elapsed < load<f64>(p + MIN_GREEN * row)) d = 0;
    else if (elapsed >= load<f64>(p + MAX_GREEN * row)) d = 3;
    else if (load<f64>(p + A_GAP * row) >= load<f64>(p + PASSAGE * row)) d = 2;
    else d = 1;
    store<f64>(p + DECISION * row, d);
  }
}

/** Max-pressure over m movements (fields up, down, satFlow, phaseMask); returns the best phase. */
export function maxPressure(mov: usize, m: i32, pressure: usize, phases: i32): i32 {
  const row = (<usize>m) << 3;
  for (let p: i32 = 0; p < phases; p++) store<f64>(pressure + ((<usize>p) << 3), 0);
  for (let j: i32 = 0; j < m; j++) {
    const q = mov + ((<usize>j) << 3);
    const w = (load<f64>(q) - load<f64>(q + row)) * load<f64>(q + 2 * row);
    const mask = <i32>load<f64>(q + 3 * row);
    for (let p: i32 = 0; p < phases; p++) {
      if ((mask >> p) & 1) {
        const at = pressure + ((<usize>p) << 3);
        store<f64>(at, load<f64>(at) + w);
      }
    }
  }
  let best: i32 = -1;
  for (let p: i32 = 0; p < phases; p++) {
    if (best < 0 || load<f64>(pressure + ((<usize>p) << 3)) > load<f64>(pressure + ((<usize>best) << 3)))
      best = p;
  }
  return best;
}

// ITE change-interval fields (field-major over n approaches).
const SPEED: usize = 0;
const GRADE: usize = 1;
const WIDTH: usize = 2;
const VEHICLE: usize = 3;
const YELLOW: usize = 4;
const ALL_RED: usize = 5;
export const CHANGE_FIELDS: i32 = 6;

/** ITE yellow = t + v/(2a + 2·G·g) and all-red = (W + L)/v. */
export function changeIntervalStep(base: usize, n: i32, reactionS: f64, decelMps2: f64): void {
  const row = (<usize>n) << 3;
  for (let c: i32 = 0; c < n; c++) {
    const p = base + ((<usize>c) << 3);
    const v = load<f64>(p + SPEED * row);
    store<f64>(p + YELLOW * row, reactionS + v / (2 * decelMps2 + 2 * load<f64>(p + GRADE * row) * 9.81));
    store<f64>(p + ALL_RED * row, (load<f64>(p + WIDTH * row) + load<f64>(p + VEHICLE * row)) / v);
  }
}
