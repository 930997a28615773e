// Waste family: ultrasonic distance to fill level, reading rejection, emptying detection, fill
// rate and time to full, for a batch of containers, one reading each per call.
//
// The method, its sources and the field layout are documented in the TypeScript twin,
// wasm/waste.ts, which performs the same floating-point operations in the same order; the
// estimator was chosen by measurement (wasm/bench/waste-predictor-eval.ts). Change both, and
// wasm/bench/reference.c.
//
// Layout: one f64 array of n per field, field f at base + f·n·8 (field numbers below).

const DISTANCE: usize = 0;
const TEMPERATURE: usize = 1;
const DEPTH: usize = 2;
const FULL_AT: usize = 3;
const FILL: usize = 4;
const RATE: usize = 5;
const TTF: usize = 6;
const TTF_LOW: usize = 7;
const TTF_HIGH: usize = 8;
const FLAG: usize = 9;
const PENDING: usize = 10;
const CYCLE_START: usize = 11;
const CYCLE_HOURS: usize = 12;
const PRIOR_RATE: usize = 13;
const PRIOR_VAR: usize = 14;
const CYCLES: usize = 15;
/** Fields per container; the loader checks it against the twin's. */
export const WASTE_FIELDS: i32 = 16;

const ACCEPTED: f64 = 0;
const INVALID: f64 = 1;
const HELD: f64 = 2;
const EMPTIED: f64 = 3;

/**
 * One reading per container, `dtHours` after the previous call. Parameters as WasteParams in
 * wasm/waste.ts.
 */
export function wasteStep(
  base: usize,
  n: i32,
  dtHours: f64,
  noEchoCm: f64,
  spikeCm: f64,
  emptyDrop: f64,
  priorHours: f64,
  refTempC: f64,
  z: f64,
  cycleWeight: f64,
): void {
  const cRef = 331.3 + 0.606 * refTempC;
  const row = (<usize>n) << 3;
  for (let c: i32 = 0; c < n; c++) {
    const p = base + ((<usize>c) << 3);
    const depth = load<f64>(p + DEPTH * row);
    let level = load<f64>(p + FILL * row);
    let cycleHours = load<f64>(p + CYCLE_HOURS * row);
    if (level == level) cycleHours += dtHours;
    const d = load<f64>(p + DISTANCE * row);
    const temp = load<f64>(p + TEMPERATURE * row);
    let flag = INVALID;
    if (d >= 0 && d < noEchoCm) {
      // The sensor turned echo time into distance at cRef; the sound actually travelled at c(T).
      const dc = temp == temp ? (d * (331.3 + 0.606 * temp)) / cRef : d;
      let f = (depth - dc) / depth;
      f = f < 0 ? 0 : f > 1 ? 1 : f;
      let accept = true;
      if (level != level) {
        store<f64>(p + CYCLE_START * row, f);
        cycleHours = 0;
      } else if (Math.abs(f - level) * depth > spikeCm) {
        const pending = load<f64>(p + PENDING * row);
        if (!(Math.abs(f - pending) * depth <= spikeCm)) {
          accept = false;
          store<f64>(p + PENDING * row, f);
          flag = HELD;
        }
      }
      if (accept) {
        flag = ACCEPTED;
        store<f64>(p + PENDING * row, NaN);
        if (level == level && level - f >= emptyDrop) {
          if (cycleHours > 0) {
            const r = (level - load<f64>(p + CYCLE_START * row)) / cycleHours;
            const cycles = load<f64>(p + CYCLES * row);
            if (cycles == 0) {
              store<f64>(p + PRIOR_RATE * row, r);
              store<f64>(p + PRIOR_VAR * row, 0);
            } else {
              const prior = load<f64>(p + PRIOR_RATE * row);
              const diff = r - prior;
              store<f64>(p + PRIOR_RATE * row, prior + cycleWeight * diff);
              store<f64>(
                p + PRIOR_VAR * row,
                (1 - cycleWeight) * (load<f64>(p + PRIOR_VAR * row) + cycleWeight * diff * diff),
              );
            }
            store<f64>(p + CYCLES * row, cycles + 1);
          }
          store<f64>(p + CYCLE_START * row, f);
          cycleHours = 0;
          flag = EMPTIED;
        }
        level = f;
      }
    }
    store<f64>(p + FILL * row, level);
    store<f64>(p + CYCLE_HOURS * row, cycleHours);
    store<f64>(p + FLAG * row, flag);

    const rise = level - load<f64>(p + CYCLE_START * row);
    const prior = load<f64>(p + PRIOR_RATE * row);
    const cycles = load<f64>(p + CYCLES * row);
    let rate: f64;
    if (cycles > 0) rate = (rise + prior * priorHours) / (cycleHours + priorHours);
    else rate = cycleHours > 0 ? rise / cycleHours : NaN;
    if (rate < 0) rate = 0;
    store<f64>(p + RATE * row, rate);

    const remaining = load<f64>(p + FULL_AT * row) - level;
    const sigma = cycles >= 2 ? Math.sqrt(load<f64>(p + PRIOR_VAR * row)) : 0.5 * rate;
    const fast = rate + z * sigma;
    const slow = rate - z * sigma;
    if (remaining <= 0) {
      store<f64>(p + TTF * row, 0);
      store<f64>(p + TTF_LOW * row, 0);
      store<f64>(p + TTF_HIGH * row, 0);
    } else {
      store<f64>(p + TTF * row, rate > 0 ? remaining / rate : rate == 0 ? Infinity : NaN);
      store<f64>(p + TTF_LOW * row, fast > 0 ? remaining / fast : rate == rate ? Infinity : NaN);
      store<f64>(p + TTF_HIGH * row, slow > 0 ? remaining / slow : rate == rate ? Infinity : NaN);
    }
  }
}
