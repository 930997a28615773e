// Traffic family: the TypeScript twin of wasm/assembly/traffic.ts — detector processing, Webster
// cycle and splits, actuated extension / gap-out / max-out, max-pressure phase choice, ITE change
// intervals. Same operations in the same order as the kernels (the tests compare within 1e-9
// relative). Change both, and wasm/bench/reference.c. These kernels propose; the TypeScript
// supervisor in edge/control disposes (BRIEF: safety is separate from optimisation).
//
// Sources (REFERENCE §2): Webster, "Traffic signal settings", Road Research Technical Paper 39
// (1958): C0 = (1.5·L + 5)/(1 − Y), effective green ∝ y_i. Varaiya, "Max pressure control of a
// network of signalized intersections", Transp. Res. C 36 (2013). ITE change interval:
// yellow = t + v/(2a + 2Gg), all-red = (W + L)/v.

/** Detector fields, each an f64 array of n detectors (field-major). */
export const DETECTOR = {
  /** in: the detector is occupied this tick (0/1). */
  occupied: 0,
  /** in: the movement it counts for has green this tick (0/1). */
  green: 1,
  /** param: saturation flow of that movement, veh/h. */
  satFlowVph: 2,
  /** out: flow, veh/h (exponentially weighted, time constant tauS). */
  flowVph: 3,
  /** out: fraction of time occupied (same weighting). */
  occupancy: 4,
  /** out: seconds since the detector last cleared; 0 while occupied (the actuated gap). */
  gapS: 5,
  /** out: seconds between the last two vehicle onsets; NaN until two. */
  headwayS: 6,
  /** out: degree of saturation x = flow / (satFlow · green fraction); NaN without green. */
  saturation: 7,
  /**
   * out/state: queue estimate, vehicles — store and forward: each onset arrives, the movement
   * discharges at its saturation flow while green. Counts an upstream (advance) detector's arrivals.
   */
  queueVeh: 8,
  /** out/state: vehicles counted since start. */
  count: 9,
  // state
  prevOccupied: 10,
  sinceOnsetS: 11,
  greenFraction: 12,
} as const;
export const DETECTOR_FIELDS = 13;

/** One tick (dtS seconds, 0.1 at 10 Hz) for n detectors; tauS is the flow/occupancy time constant. */
export function detectorStep(s: Float64Array, n: number, dtS: number, tauS: number): void {
  // Fields occupied and green are the block's first 2n values, which is exactly one input frame.
  detectorSteps(s, n, s, 1, dtS, tauS);
}

/**
 * `ticks` ticks in one call: frame t, `frames`[t·2n ..], holds occupied[n] then green[n]. The last
 * frame's inputs are left in the block's occupied and green fields, as after `ticks` single steps.
 */
export function detectorSteps(
  s: Float64Array,
  n: number,
  frames: Float64Array,
  ticks: number,
  dtS: number,
  tauS: number,
): void {
  const a = dtS / tauS;
  for (let t = 0; t < ticks; t++) {
    const f = t * 2 * n;
    for (let c = 0; c < n; c++) {
      const occ = frames[f + c]! >= 0.5 ? 1 : 0;
      const onset = occ === 1 && !(s[DETECTOR.prevOccupied * n + c]! >= 0.5) ? 1 : 0;
      s[DETECTOR.prevOccupied * n + c] = occ;
      const green = frames[f + n + c]! >= 0.5 ? 1 : 0;
      const sat = s[DETECTOR.satFlowVph * n + c]!;

      const flow = s[DETECTOR.flowVph * n + c]!;
      const newFlow = flow + a * ((onset * 3600) / dtS - flow);
      s[DETECTOR.flowVph * n + c] = newFlow;
      const o = s[DETECTOR.occupancy * n + c]!;
      s[DETECTOR.occupancy * n + c] = o + a * (occ - o);
      const gf = s[DETECTOR.greenFraction * n + c]!;
      const newGf = gf + a * (green - gf);
      s[DETECTOR.greenFraction * n + c] = newGf;
      s[DETECTOR.saturation * n + c] = newGf > 0.01 ? newFlow / (sat * newGf) : Number.NaN;

      s[DETECTOR.gapS * n + c] = occ === 1 ? 0 : s[DETECTOR.gapS * n + c]! + dtS;
      const since = s[DETECTOR.sinceOnsetS * n + c]! + dtS;
      if (onset === 1) {
        s[DETECTOR.headwayS * n + c] = since;
        s[DETECTOR.sinceOnsetS * n + c] = 0;
        s[DETECTOR.count * n + c] = s[DETECTOR.count * n + c]! + 1;
      } else {
        s[DETECTOR.sinceOnsetS * n + c] = since;
      }

      let q = s[DETECTOR.queueVeh * n + c]! + onset - (green * sat * dtS) / 3600;
      if (q < 0) q = 0;
      s[DETECTOR.queueVeh * n + c] = q;
    }
  }
  if (ticks > 0 && frames !== s) s.set(frames.subarray((ticks - 1) * 2 * n, ticks * 2 * n), 0);
}

/** Most phases of one intersection in the Webster and max-pressure rows. */
export const MAX_PHASES = 8;
/** Webster row: phases, lostS, cycle (out), then y, minGreen, maxGreen, green (out), 8 each. */
export const WEBSTER = {
  phases: 0,
  lostS: 1,
  cycleS: 2,
  y: 3,
  minGreenS: 11,
  maxGreenS: 19,
  greenS: 27,
} as const;
export const WEBSTER_STRIDE = 35;

/**
 * Webster's cycle for each intersection row, clamped to [cMinS, cMaxS] (Y ≥ 0.95, oversaturated:
 * cMaxS), and effective greens ∝ y within each phase's min and max: phases that would break a bound
 * are fixed at it and the rest shared again. The cycle returned is L + Σ green, so a minimum or
 * maximum that cannot be met moves the cycle, never the bounds.
 */
export function websterStep(s: Float64Array, n: number, cMinS: number, cMaxS: number): void {
  for (let c = 0; c < n; c++) {
    const r = c * WEBSTER_STRIDE;
    const phases = s[r + WEBSTER.phases]!;
    const lost = s[r + WEBSTER.lostS]!;
    let sumY = 0;
    for (let i = 0; i < phases; i++) sumY += s[r + WEBSTER.y + i]!;
    let cycle = sumY < 0.95 ? (1.5 * lost + 5) / (1 - sumY) : cMaxS;
    cycle = cycle < cMinS ? cMinS : cycle > cMaxS ? cMaxS : cycle;
    const effective = cycle - lost;
    // fixed: 0 free, 1 at its bound (kept in the green slot).
    let fixedMask = 0;
    for (let pass = 0; pass <= phases; pass++) {
      let fixedGreen = 0;
      let freeY = 0;
      let free = 0;
      for (let i = 0; i < phases; i++) {
        if ((fixedMask >> i) & 1) fixedGreen += s[r + WEBSTER.greenS + i]!;
        else {
          freeY += s[r + WEBSTER.y + i]!;
          free++;
        }
      }
      if (free === 0) break;
      const share = effective - fixedGreen;
      let changed = false;
      for (let i = 0; i < phases; i++) {
        if ((fixedMask >> i) & 1) continue;
        const g = freeY > 0 ? (share * s[r + WEBSTER.y + i]!) / freeY : share / free;
        const lo = s[r + WEBSTER.minGreenS + i]!;
        const hi = s[r + WEBSTER.maxGreenS + i]!;
        if (g < lo) {
          s[r + WEBSTER.greenS + i] = lo;
          fixedMask |= 1 << i;
          changed = true;
        } else if (g > hi) {
          s[r + WEBSTER.greenS + i] = hi;
          fixedMask |= 1 << i;
          changed = true;
        } else {
          s[r + WEBSTER.greenS + i] = g;
        }
      }
      if (!changed) break;
    }
    let total = lost;
    for (let i = 0; i < phases; i++) total += s[r + WEBSTER.greenS + i]!;
    s[r + WEBSTER.cycleS] = total;
  }
}

/** Actuated phase fields (field-major over n phases). */
export const ACTUATED = {
  elapsedS: 0,
  gapS: 1,
  minGreenS: 2,
  passageS: 3,
  maxGreenS: 4,
  decision: 5,
} as const;
export const ACTUATED_FIELDS = 6;
/** Decisions: keep green (minimum not served), extend, end by gap-out, end by max-out. */
export const ACTUATION = { minimum: 0, extend: 1, gapOut: 2, maxOut: 3 } as const;

/** For each green phase: its elapsed green and its detectors' gap decide (NEMA TS 2 terms). */
export function actuatedStep(s: Float64Array, n: number): void {
  for (let c = 0; c < n; c++) {
    const elapsed = s[ACTUATED.elapsedS * n + c]!;
    let d: number;
    if (elapsed < s[ACTUATED.minGreenS * n + c]!) d = ACTUATION.minimum;
    else if (elapsed >= s[ACTUATED.maxGreenS * n + c]!) d = ACTUATION.maxOut;
    else if (s[ACTUATED.gapS * n + c]! >= s[ACTUATED.passageS * n + c]!) d = ACTUATION.gapOut;
    else d = ACTUATION.extend;
    s[ACTUATED.decision * n + c] = d;
  }
}

/** Max-pressure movement fields (field-major over m movements of one intersection). */
export const MOVEMENT = { upstreamVeh: 0, downstreamVeh: 1, satFlowVph: 2, phaseMask: 3 } as const;
export const MOVEMENT_FIELDS = 4;

/**
 * Pressure of each of `phases` phases — Σ over its movements (bit p of phaseMask) of
 * (upstream − downstream queue) · saturation flow — into `pressure`; returns the phase with the
 * largest (the lowest index on a tie), or −1 with no phases.
 */
export function maxPressure(mov: Float64Array, m: number, pressure: Float64Array, phases: number): number {
  for (let p = 0; p < phases; p++) pressure[p] = 0;
  for (let j = 0; j < m; j++) {
    const w =
      (mov[MOVEMENT.upstreamVeh * m + j]! - mov[MOVEMENT.downstreamVeh * m + j]!) *
      mov[MOVEMENT.satFlowVph * m + j]!;
    const mask = mov[MOVEMENT.phaseMask * m + j]! | 0;
    for (let p = 0; p < phases; p++) if ((mask >> p) & 1) pressure[p] = pressure[p]! + w;
  }
  let best = -1;
  for (let p = 0; p < phases; p++) if (best < 0 || pressure[p]! > pressure[best]!) best = p;
  return best;
}

/** ITE change-interval fields (field-major over n approaches). */
export const CHANGE = { speedMps: 0, grade: 1, widthM: 2, vehicleM: 3, yellowS: 4, allRedS: 5 } as const;
export const CHANGE_FIELDS = 6;

/** ITE yellow = t + v/(2a + 2·G·g) and all-red = (W + L)/v; grade G as a fraction, uphill positive. */
export function changeIntervalStep(s: Float64Array, n: number, reactionS: number, decelMps2: number): void {
  for (let c = 0; c < n; c++) {
    const v = s[CHANGE.speedMps * n + c]!;
    s[CHANGE.yellowS * n + c] = reactionS + v / (2 * decelMps2 + 2 * s[CHANGE.grade * n + c]! * 9.81);
    s[CHANGE.allRedS * n + c] = (s[CHANGE.widthM * n + c]! + s[CHANGE.vehicleM * n + c]!) / v;
  }
}
