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
  // Fields OCCUPIED and GREEN are the block's first 2n f64, which is exactly one input frame.
  detectorSteps(base, n, base, 1, dtS, tauS);
}

/**
 * `ticks` ticks in one call: frame t at `frames` + t·2n f64 holds occupied[n] then green[n] (the
 * layout of the block's first two fields). One call per block of samples instead of one per tick
 * (REFERENCE §5: process frames, not samples); the last frame's inputs are left in the block's
 * OCCUPIED and GREEN fields, as after `ticks` single steps.
 *
 * The twin's operations on the same values, rearranged only where the result is bit-identical:
 * detectors are independent, so each one runs all its ticks with its state in locals (loaded and
 * stored once per call, not once per tick). The twin's three divisions per sample go: onset·3600/dtS
 * is 0 or 3600/dtS (onset is 0 or 1) and green·sat·dtS/3600 is green × (sat·dtS/3600), both
 * computed once per call and detector; the degree of saturation is an output, not state, so only
 * the last tick's is computed. The SIMD build runs two detectors per f64x2. Results are the
 * twin's to the bit (wasm/traffic.test.ts). The C reference in wasm/bench keeps the twin's literal
 * per-tick form, so the benchmark's WASM/C for detectors measures these rearrangements as well as
 * the compiler (before them: 1.6–1.7).
 */
export function detectorSteps(base: usize, n: i32, frames: usize, ticks: i32, dtS: f64, tauS: f64): void {
  const a = dtS / tauS;
  const onsetFlow = (1.0 * 3600) / dtS; // (onset · 3600) / dtS with onset = 1
  const row = (<usize>n) << 3;
  const frameBytes = row << 1;
  // Tiles of TICK_TILE ticks: a detector walks its frames with a stride of 2n f64, so a long block
  // would stream through memory once per detector; a tile of frames stays in cache.
  for (let t0: i32 = 0; t0 < ticks; t0 += TICK_TILE) {
    const tileTicks = min(TICK_TILE, ticks - t0);
    detectorTile(base, row, frames + <usize>t0 * frameBytes, tileTicks, a, dtS, onsetFlow);
  }
  if (ticks > 0 && frames != base) memory.copy(base, frames + <usize>(ticks - 1) * frameBytes, frameBytes);
}

const TICK_TILE: i32 = 32;

function detectorTile(
  base: usize,
  row: usize,
  frames: usize,
  ticks: i32,
  a: f64,
  dtS: f64,
  onsetFlow: f64,
): void {
  const frameBytes = row << 1;
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) {
    // Two detectors per f64x2: the scalar loop's operations lane by lane, conditions as masks.
    const av = f64x2.splat(a);
    const dtv = f64x2.splat(dtS);
    const onsetFlowV = f64x2.splat(onsetFlow);
    const one = f64x2.splat(1);
    const zero = f64x2.splat(0);
    const halfV = f64x2.splat(0.5);
    for (; o + 16 <= row; o += 16) {
      let prev = v128.load(base + PREV_OCC * row + o);
      const sat = v128.load(base + SAT_FLOW * row + o);
      const discharge = f64x2.div(f64x2.mul(f64x2.mul(one, sat), dtv), f64x2.splat(3600));
      let flow = v128.load(base + FLOW * row + o);
      let oc = v128.load(base + OCCUPANCY * row + o);
      let gf = v128.load(base + GREEN_FRACTION * row + o);
      let gap = v128.load(base + GAP * row + o);
      let headway = v128.load(base + HEADWAY * row + o);
      let since = v128.load(base + SINCE_ONSET * row + o);
      let count = v128.load(base + COUNT * row + o);
      let q = v128.load(base + QUEUE * row + o);
      let f = frames + o;
      for (let t: i32 = 0; t < ticks; t++, f += frameBytes) {
        const isOcc = f64x2.ge(v128.load(f), halfV);
        const occ = v128.bitselect(one, zero, isOcc);
        const isOnset = v128.andnot(isOcc, f64x2.ge(prev, halfV));
        const onset = v128.bitselect(one, zero, isOnset);
        prev = occ;
        const green = v128.bitselect(one, zero, f64x2.ge(v128.load(f + row), halfV));

        flow = f64x2.add(flow, f64x2.mul(av, f64x2.sub(f64x2.mul(onset, onsetFlowV), flow)));
        oc = f64x2.add(oc, f64x2.mul(av, f64x2.sub(occ, oc)));
        gf = f64x2.add(gf, f64x2.mul(av, f64x2.sub(green, gf)));

        gap = f64x2.mul(f64x2.add(gap, dtv), f64x2.sub(one, occ));
        since = f64x2.add(since, dtv);
        headway = v128.bitselect(since, headway, isOnset);
        since = v128.bitselect(zero, since, isOnset);
        count = f64x2.add(count, onset);

        q = f64x2.sub(f64x2.add(q, onset), f64x2.mul(green, discharge));
        q = v128.bitselect(zero, q, f64x2.lt(q, zero));
      }
      v128.store(base + PREV_OCC * row + o, prev);
      v128.store(base + FLOW * row + o, flow);
      v128.store(base + OCCUPANCY * row + o, oc);
      v128.store(base + GREEN_FRACTION * row + o, gf);
      const satn = f64x2.div(flow, f64x2.mul(sat, gf));
      v128.store(
        base + SATURATION * row + o,
        v128.bitselect(satn, f64x2.splat(NaN), f64x2.gt(gf, f64x2.splat(0.01))),
      );
      v128.store(base + GAP * row + o, gap);
      v128.store(base + HEADWAY * row + o, headway);
      v128.store(base + SINCE_ONSET * row + o, since);
      v128.store(base + COUNT * row + o, count);
      v128.store(base + QUEUE * row + o, q);
    }
  }
  for (; o < row; o += 8) {
    let prev = load<f64>(base + PREV_OCC * row + o);
    const sat = load<f64>(base + SAT_FLOW * row + o);
    const discharge = (1.0 * sat * dtS) / 3600; // (green · sat · dtS) / 3600 with green = 1
    let flow = load<f64>(base + FLOW * row + o);
    let oc = load<f64>(base + OCCUPANCY * row + o);
    let gf = load<f64>(base + GREEN_FRACTION * row + o);
    let gap = load<f64>(base + GAP * row + o);
    let headway = load<f64>(base + HEADWAY * row + o);
    let since = load<f64>(base + SINCE_ONSET * row + o);
    let count = load<f64>(base + COUNT * row + o);
    let q = load<f64>(base + QUEUE * row + o);
    let f = frames + o;
    for (let t: i32 = 0; t < ticks; t++, f += frameBytes) {
      // No f64 conditionals on data: V8 on x64 compiles an f64 select to a branch, and occupancy
      // and an empty queue are unpredictable. The forms below give the twin's values exactly:
      // 0/1 flags converted from i32, products with a 0/1 flag (x·0 = 0 and x·1 = x for finite x),
      // and the queue's clamp at 0 as a mask on its bits (q is never −0).
      const isOcc = load<f64>(f) >= 0.5;
      const occ = <f64>isOcc;
      const isOnset = isOcc & !(prev >= 0.5);
      const onset = <f64>isOnset;
      prev = occ;
      const green = <f64>(load<f64>(f + row) >= 0.5);

      flow = flow + a * (onset * onsetFlow - flow);
      oc = oc + a * (occ - oc);
      gf = gf + a * (green - gf);

      gap = (gap + dtS) * (1 - occ);
      since = since + dtS;
      if (isOnset) {
        // Rare (a vehicle's arrival): a predictable branch.
        headway = since;
        since = 0;
      }
      count = count + onset;

      q = q + onset - green * discharge;
      q = reinterpret<f64>(reinterpret<i64>(q) & ~-(<i64>(q < 0)));
    }
    store<f64>(base + PREV_OCC * row + o, prev);
    store<f64>(base + FLOW * row + o, flow);
    store<f64>(base + OCCUPANCY * row + o, oc);
    store<f64>(base + GREEN_FRACTION * row + o, gf);
    // Not state: only the last tick's value is seen, so it is computed once, from the final values.
    store<f64>(base + SATURATION * row + o, gf > 0.01 ? flow / (sat * gf) : NaN);
    store<f64>(base + GAP * row + o, gap);
    store<f64>(base + HEADWAY * row + o, headway);
    store<f64>(base + SINCE_ONSET * row + o, since);
    store<f64>(base + COUNT * row + o, count);
    store<f64>(base + QUEUE * row + o, q);
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
