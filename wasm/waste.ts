// Waste family: the TypeScript twin of wasm/assembly/waste.ts — ultrasonic distance to fill level,
// reading rejection, emptying detection, fill rate and time to full, for a batch of containers,
// one reading each per call. Same order of floating-point operations as the kernel (the tests
// hold them equal within 1e-12 relative); change both, and wasm/bench/reference.c.
//
// Sources: REFERENCE §4 — speed of sound 331.3 + 0.606·T m/s; "no echo" reported at the top of
// the range (254 cm; anything ≥ 250 cm is treated as no echo); isolated spikes ~1.35 % of readings;
// emptying detection matters most (Rutqvist et al.). The rate estimator was chosen by measurement
// on the shared data (wasm/bench/waste-predictor-eval.ts): the rise since the last emptying over the
// time since, shrunk toward the container's own mean rate over past cycles with a weight of
// `priorHours` — the current cycle's average absorbs bursts, the prior carries the first hours after
// an emptying (REFERENCE §4: per-site means beat naive rates where collection follows fullness).
//
// What the edge publishes as a container's full time is no longer this kernel's: the forecaster of
// edge/control/waste-forecast.ts takes the kernel's fill and emptyings and learns each container's
// week, rate prior and the site's forecast errors (issue 17; per-container tables of 168 hours and
// site-wide error quantiles are state this batch layout does not hold, and the forecast runs once
// per reading, not per sample). The rate and time to full below remain the cycle-mean estimator,
// the reference that wasm/bench compares the engines on.
//
// Layout: one f64 array of n per field, fields in the order of WASTE; the kernel takes the address
// of field 0 and finds field f at base + f·n·8.

/** Fields of a waste batch (inputs, parameters, outputs, state). */
export const WASTE = {
  /** in: measured distance from the sensor, cm, as the sensor computed it (at refTempC). NaN: none. */
  distanceCm: 0,
  /** in: air temperature at the sensor, °C; NaN: no compensation. */
  temperatureC: 1,
  /** param: distance from the sensor to the container's bottom, cm. */
  depthCm: 2,
  /** param: fill fraction (0–1) at which the container counts as full. */
  fullAt: 3,
  /** out/state: accepted fill fraction 0–1; NaN until the first valid reading. */
  fill: 4,
  /** out: fill rate, fraction per hour (≥ 0); NaN while unknown. */
  rate: 5,
  /** out: hours until `fullAt`; 0 when full already, Infinity with no rise. */
  ttfHours: 6,
  /** out: prediction interval of ttfHours (z·σ of the rate across past cycles). */
  ttfLowHours: 7,
  ttfHighHours: 8,
  /** out: what this call's reading did: see WASTE_FLAG. */
  flag: 9,
  // state
  pending: 10,
  cycleStart: 11,
  cycleHours: 12,
  priorRate: 13,
  priorVar: 14,
  cycles: 15,
} as const;
export const WASTE_FIELDS = 16;

export const WASTE_FLAG = {
  accepted: 0,
  /** no reading, "no echo" (≥ noEchoCm) or a value outside 0..noEchoCm: ignored. */
  invalid: 1,
  /** a jump larger than spikeCm, held until the next reading confirms it. */
  held: 2,
  /** accepted, and the fill dropped by emptyDrop or more: an emptying. */
  emptied: 3,
} as const;

export interface WasteParams {
  /** Distances at or beyond this are "no echo" (cm); 250 for the common 254 cm top-of-range value. */
  noEchoCm: number;
  /**
   * A change larger than this (cm), or a drop of emptyDrop or more, must be confirmed by the next
   * reading; Infinity disables holding (a processed feed whose values are already checked).
   */
  spikeCm: number;
  /** A drop of at least this fill fraction is an emptying. */
  emptyDrop: number;
  /** Weight of the prior rate, in hours of the current cycle. */
  priorHours: number;
  /** Temperature (°C) at which the sensor's distance is right. */
  refTempC: number;
  /** z of the interval (1.645: a central 90 % interval for a normal rate). */
  z: number;
  /** Weight of a finished cycle in the running mean and variance of rates, (0, 1]. */
  cycleWeight: number;
}

export const DEFAULT_WASTE_PARAMS: WasteParams = {
  noEchoCm: 250,
  spikeCm: 15,
  // 0.3 missed the emptyings of half-full containers (recall 0.75–0.87 on the simulated district
  // and the HIL sensor model); 0.1 with confirmation: recall ≥ 0.98, precision ≥ 0.98
  // (edge/bench/waste-bench.ts). 10 % is 15 cm in a 150 cm container: the spike threshold.
  emptyDrop: 0.1,
  priorHours: 48,
  refTempC: 20,
  z: 1.645,
  cycleWeight: 0.3,
};

/** One reading per container; `dtHours` since the previous call. `s` is the field-major batch. */
export function wasteStep(s: Float64Array, n: number, dtHours: number, p: WasteParams): void {
  const cRef = 331.3 + 0.606 * p.refTempC;
  for (let c = 0; c < n; c++) {
    const depth = s[WASTE.depthCm * n + c]!;
    let level = s[WASTE.fill * n + c]!;
    let cycleHours = s[WASTE.cycleHours * n + c]!;
    if (level === level) cycleHours += dtHours;
    const d = s[WASTE.distanceCm * n + c]!;
    const temp = s[WASTE.temperatureC * n + c]!;
    let flag: number = WASTE_FLAG.invalid;
    if (d >= 0 && d < p.noEchoCm) {
      // The sensor turned echo time into distance at cRef; the sound actually travelled at c(T).
      const dc = temp === temp ? (d * (331.3 + 0.606 * temp)) / cRef : d;
      let f = (depth - dc) / depth;
      f = f < 0 ? 0 : f > 1 ? 1 : f;
      let accept = true;
      if (level !== level) {
        s[WASTE.cycleStart * n + c] = f;
        cycleHours = 0;
      } else if (
        Math.abs(f - level) * depth > p.spikeCm ||
        (Math.abs(f - level) >= p.emptyDrop && p.spikeCm !== Infinity)
      ) {
        // A jump, or a change as large as an emptying (which may be fewer cm than a jump): held
        // until the next reading confirms it, unless holding is off (spikeCm Infinity). Rises too:
        // an unconfirmed rise that falls back would otherwise read as an emptying.
        const pending = s[WASTE.pending * n + c]!;
        // Confirmed when the previous reading was held near this one; otherwise hold this one.
        if (!(Math.abs(f - pending) * depth <= p.spikeCm)) {
          accept = false;
          s[WASTE.pending * n + c] = f;
          flag = WASTE_FLAG.held;
        }
      }
      if (accept) {
        flag = WASTE_FLAG.accepted;
        s[WASTE.pending * n + c] = Number.NaN;
        if (level === level && level - f >= p.emptyDrop) {
          // Emptying: the cycle that ends gives one rate sample for the prior.
          if (cycleHours > 0) {
            const r = (level - s[WASTE.cycleStart * n + c]!) / cycleHours;
            const cycles = s[WASTE.cycles * n + c]!;
            if (cycles === 0) {
              s[WASTE.priorRate * n + c] = r;
              s[WASTE.priorVar * n + c] = 0;
            } else {
              const prior = s[WASTE.priorRate * n + c]!;
              const diff = r - prior;
              s[WASTE.priorRate * n + c] = prior + p.cycleWeight * diff;
              s[WASTE.priorVar * n + c] =
                (1 - p.cycleWeight) * (s[WASTE.priorVar * n + c]! + p.cycleWeight * diff * diff);
            }
            s[WASTE.cycles * n + c] = cycles + 1;
          }
          s[WASTE.cycleStart * n + c] = f;
          cycleHours = 0;
          flag = WASTE_FLAG.emptied;
        }
        level = f;
      }
    }
    s[WASTE.fill * n + c] = level;
    s[WASTE.cycleHours * n + c] = cycleHours;
    s[WASTE.flag * n + c] = flag;

    // Rate: the cycle's rise over its duration, shrunk toward the prior.
    const rise = level - s[WASTE.cycleStart * n + c]!;
    const prior = s[WASTE.priorRate * n + c]!;
    const cycles = s[WASTE.cycles * n + c]!;
    let rate: number;
    if (cycles > 0) rate = (rise + prior * p.priorHours) / (cycleHours + p.priorHours);
    else rate = cycleHours > 0 ? rise / cycleHours : Number.NaN;
    if (rate < 0) rate = 0;
    s[WASTE.rate * n + c] = rate;

    // Time to full, and its interval from the spread of past cycles' rates (half the rate when
    // fewer than two cycles have been seen).
    const remaining = s[WASTE.fullAt * n + c]! - level;
    const sigma = cycles >= 2 ? Math.sqrt(s[WASTE.priorVar * n + c]!) : 0.5 * rate;
    const fast = rate + p.z * sigma;
    const slow = rate - p.z * sigma;
    if (remaining <= 0) {
      s[WASTE.ttfHours * n + c] = 0;
      s[WASTE.ttfLowHours * n + c] = 0;
      s[WASTE.ttfHighHours * n + c] = 0;
    } else {
      s[WASTE.ttfHours * n + c] = rate > 0 ? remaining / rate : rate === 0 ? Infinity : Number.NaN;
      s[WASTE.ttfLowHours * n + c] = fast > 0 ? remaining / fast : rate === rate ? Infinity : Number.NaN;
      s[WASTE.ttfHighHours * n + c] = slow > 0 ? remaining / slow : rate === rate ? Infinity : Number.NaN;
    }
  }
}
