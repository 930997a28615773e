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
  // One address per field, hoisted: `base + FIELD·row + offset` in the loop costs a multiply per
  // field per container, which the engine does not move out of the loop (measured: WASM/C 1.2–1.3
  // before, wasm/bench).
  const pDistance = base + DISTANCE * row;
  const pTemperature = base + TEMPERATURE * row;
  const pDepth = base + DEPTH * row;
  const pFullAt = base + FULL_AT * row;
  const pFill = base + FILL * row;
  const pRate = base + RATE * row;
  const pTtf = base + TTF * row;
  const pTtfLow = base + TTF_LOW * row;
  const pTtfHigh = base + TTF_HIGH * row;
  const pFlag = base + FLAG * row;
  const pPending = base + PENDING * row;
  const pCycleStart = base + CYCLE_START * row;
  const pCycleHours = base + CYCLE_HOURS * row;
  const pPriorRate = base + PRIOR_RATE * row;
  const pPriorVar = base + PRIOR_VAR * row;
  const pCycles = base + CYCLES * row;
  for (let o: usize = 0; o < row; o += 8) {
    const depth = load<f64>(pDepth + o);
    let level = load<f64>(pFill + o);
    let cycleHours = load<f64>(pCycleHours + o);
    if (level == level) cycleHours += dtHours;
    const d = load<f64>(pDistance + o);
    const temp = load<f64>(pTemperature + o);
    let flag = INVALID;
    if (d >= 0 && d < noEchoCm) {
      // The sensor turned echo time into distance at cRef; the sound actually travelled at c(T).
      const dc = temp == temp ? (d * (331.3 + 0.606 * temp)) / cRef : d;
      let f = (depth - dc) / depth;
      f = f < 0 ? 0 : f > 1 ? 1 : f;
      let accept = true;
      if (level != level) {
        store<f64>(pCycleStart + o, f);
        cycleHours = 0;
      } else if (
        Math.abs(f - level) * depth > spikeCm ||
        (Math.abs(f - level) >= emptyDrop && spikeCm != Infinity)
      ) {
        const pending = load<f64>(pPending + o);
        if (!(Math.abs(f - pending) * depth <= spikeCm)) {
          accept = false;
          store<f64>(pPending + o, f);
          flag = HELD;
        }
      }
      if (accept) {
        flag = ACCEPTED;
        store<f64>(pPending + o, NaN);
        if (level == level && level - f >= emptyDrop) {
          if (cycleHours > 0) {
            const r = (level - load<f64>(pCycleStart + o)) / cycleHours;
            const cycles = load<f64>(pCycles + o);
            if (cycles == 0) {
              store<f64>(pPriorRate + o, r);
              store<f64>(pPriorVar + o, 0);
            } else {
              const prior = load<f64>(pPriorRate + o);
              const diff = r - prior;
              store<f64>(pPriorRate + o, prior + cycleWeight * diff);
              store<f64>(
                pPriorVar + o,
                (1 - cycleWeight) * (load<f64>(pPriorVar + o) + cycleWeight * diff * diff),
              );
            }
            store<f64>(pCycles + o, cycles + 1);
          }
          store<f64>(pCycleStart + o, f);
          cycleHours = 0;
          flag = EMPTIED;
        }
        level = f;
      }
    }
    store<f64>(pFill + o, level);
    store<f64>(pCycleHours + o, cycleHours);
    store<f64>(pFlag + o, flag);
  }

  // Rate and time to full: four of the kernel's six divisions and the square root, with no state
  // to carry, so they run in a second pass over the batch, two containers per f64x2 in the SIMD
  // build (the first pass is branchy per container and stays scalar). Each lane performs the
  // scalar pass's operations on the same operands, both sides of a condition computed and one
  // kept by bitselect, so the results are the same bits (wasm/waste.test.ts compares with the twin).
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) {
    const ph = f64x2.splat(priorHours);
    const zv = f64x2.splat(z);
    const zero = f64x2.splat(0);
    const half = f64x2.splat(0.5);
    const two = f64x2.splat(2);
    const inf = f64x2.splat(Infinity);
    const nan = f64x2.splat(NaN);
    for (; o + 16 <= row; o += 16) {
      const level = v128.load(pFill + o);
      const cycleHours = v128.load(pCycleHours + o);
      const rise = f64x2.sub(level, v128.load(pCycleStart + o));
      const prior = v128.load(pPriorRate + o);
      const cycles = v128.load(pCycles + o);
      const hasPrior = f64x2.gt(cycles, zero);
      const num = v128.bitselect(f64x2.add(rise, f64x2.mul(prior, ph)), rise, hasPrior);
      const den = v128.bitselect(f64x2.add(cycleHours, ph), cycleHours, hasPrior);
      const known = v128.or(hasPrior, f64x2.gt(cycleHours, zero));
      let rate = v128.bitselect(f64x2.div(num, den), nan, known);
      rate = v128.bitselect(zero, rate, f64x2.lt(rate, zero));
      v128.store(pRate + o, rate);

      const remaining = f64x2.sub(v128.load(pFullAt + o), level);
      const spread = f64x2.ge(cycles, two);
      const sigma = v128.bitselect(f64x2.sqrt(v128.load(pPriorVar + o)), f64x2.mul(half, rate), spread);
      const fast = f64x2.add(rate, f64x2.mul(zv, sigma));
      const slow = f64x2.sub(rate, f64x2.mul(zv, sigma));
      const full = f64x2.le(remaining, zero);
      const rateKnown = v128.bitselect(inf, nan, f64x2.eq(rate, rate));
      const ttf = v128.bitselect(
        f64x2.div(remaining, rate),
        v128.bitselect(inf, nan, f64x2.eq(rate, zero)),
        f64x2.gt(rate, zero),
      );
      const low = v128.bitselect(f64x2.div(remaining, fast), rateKnown, f64x2.gt(fast, zero));
      const high = v128.bitselect(f64x2.div(remaining, slow), rateKnown, f64x2.gt(slow, zero));
      v128.store(pTtf + o, v128.bitselect(zero, ttf, full));
      v128.store(pTtfLow + o, v128.bitselect(zero, low, full));
      v128.store(pTtfHigh + o, v128.bitselect(zero, high, full));
    }
  }
  for (; o < row; o += 8) {
    const level = load<f64>(pFill + o);
    const cycleHours = load<f64>(pCycleHours + o);
    const rise = level - load<f64>(pCycleStart + o);
    const prior = load<f64>(pPriorRate + o);
    const cycles = load<f64>(pCycles + o);
    let rate: f64;
    if (cycles > 0) rate = (rise + prior * priorHours) / (cycleHours + priorHours);
    else rate = cycleHours > 0 ? rise / cycleHours : NaN;
    if (rate < 0) rate = 0;
    store<f64>(pRate + o, rate);

    const remaining = load<f64>(pFullAt + o) - level;
    const sigma = cycles >= 2 ? Math.sqrt(load<f64>(pPriorVar + o)) : 0.5 * rate;
    const fast = rate + z * sigma;
    const slow = rate - z * sigma;
    if (remaining <= 0) {
      store<f64>(pTtf + o, 0);
      store<f64>(pTtfLow + o, 0);
      store<f64>(pTtfHigh + o, 0);
    } else {
      store<f64>(pTtf + o, rate > 0 ? remaining / rate : rate == 0 ? Infinity : NaN);
      store<f64>(pTtfLow + o, fast > 0 ? remaining / fast : rate == rate ? Infinity : NaN);
      store<f64>(pTtfHigh + o, slow > 0 ? remaining / slow : rate == rate ? Infinity : NaN);
    }
  }
}
