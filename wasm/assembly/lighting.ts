// Lighting family: for a batch of luminaires, one call per control tick — lighting class from the
// weighting values, presence boost with hold, photocell with hysteresis, ramp limiting, DALI
// arc-power quantisation and energy.
//
// Method, sources and field layout: the TypeScript twin, wasm/lighting.ts (same operations in the
// same order; Math.log10/pow may differ from V8's by an ulp). Change both, and
// wasm/bench/reference.c. Field f of luminaire c is at base + (f·n + c)·8.

const WEIGHT_SUM: usize = 0;
const DESIGN_CLASS: usize = 1;
const SERIES: usize = 2;
const SCHEDULE: usize = 3;
const PRESENCE: usize = 4;
const LUX: usize = 5;
const RATED_W: usize = 6;
const BOOST: usize = 7;
const HOLD_S: usize = 8;
const CLASS: usize = 9;
const TARGET: usize = 10;
const LEVEL: usize = 11;
const DALI: usize = 12;
const POWER: usize = 13;
const ENERGY: usize = 14;
const HOLD_LEFT: usize = 15;
const DARK: usize = 16;
/** Fields per luminaire; the loader checks it against the twin's. */
export const LIGHTING_FIELDS: i32 = 17;

// EN 13201-2: M1..M6 average luminance (cd/m²), P1..P6 average illuminance (lx).
const M_TABLE = memory.data<f64>([2.0, 1.5, 1.0, 0.75, 0.5, 0.3]);
const P_TABLE = memory.data<f64>([15, 10, 7.5, 5, 3, 2]);

const DALI_STEP: f64 = 253.0 / 3.0;

function daliLevel(pct: f64): f64 {
  if (!(pct > 0)) return 0;
  const n = Math.round(1 + DALI_STEP * (Math.log10(pct) + 1));
  return n < 1 ? 1 : n > 254 ? 254 : n;
}

function daliPercent(n: f64): f64 {
  return n < 1 ? 0 : Math.pow(10, (n - 1) / DALI_STEP - 1);
}

/** One control tick for n luminaires, dtS seconds after the previous (parameters: LightingParams). */
export function lightingStep(
  base: usize,
  n: i32,
  dtS: f64,
  onLux: f64,
  offLux: f64,
  rampUpS: f64,
  rampDownS: f64,
): void {
  const maxUp = rampUpS > 0 ? (100 * dtS) / rampUpS : Infinity;
  const maxDown = rampDownS > 0 ? (100 * dtS) / rampDownS : Infinity;
  const mid = (onLux + offLux) * 0.5;
  const row = (<usize>n) << 3;
  for (let c: i32 = 0; c < n; c++) {
    const p = base + ((<usize>c) << 3);
    const rawDesign = load<f64>(p + DESIGN_CLASS * row);
    const design = rawDesign >= 1 ? (rawDesign <= 6 ? Math.floor(rawDesign) : 6) : 1;
    const weights = load<f64>(p + WEIGHT_SUM * row);
    let cls = weights == weights ? Math.floor(6 - weights) : design;
    cls = cls < design ? design : cls > 6 ? 6 : cls;
    store<f64>(p + CLASS * row, cls);
    const table = load<f64>(p + SERIES * row) == 1 ? P_TABLE : M_TABLE;
    const ratio =
      load<f64>(table + ((<usize>(<i32>cls - 1)) << 3)) /
      load<f64>(table + ((<usize>(<i32>design - 1)) << 3));

    let sched = load<f64>(p + SCHEDULE * row);
    if (sched != sched) sched = 100;
    let hold = load<f64>(p + HOLD_LEFT * row) - dtS;
    if (load<f64>(p + PRESENCE * row) >= 0.5) hold = load<f64>(p + HOLD_S * row);
    if (hold < 0) hold = 0;
    store<f64>(p + HOLD_LEFT * row, hold);

    let dark = load<f64>(p + DARK * row);
    const lux = load<f64>(p + LUX * row);
    if (lux == lux) {
      if (lux <= onLux) dark = 1;
      else if (lux >= offLux) dark = 0;
      else if (dark != dark) dark = lux <= mid ? 1 : 0;
    }
    store<f64>(p + DARK * row, dark);

    let target: f64 = 0;
    if (!(dark == 0)) {
      target = sched * ratio;
      const boost = load<f64>(p + BOOST * row);
      if (hold > 0 && boost > target) target = boost;
      if (target > 100) target = 100;
    }
    store<f64>(p + TARGET * row, target);

    let level = load<f64>(p + LEVEL * row);
    if (level != level) level = target;
    else {
      const d = target - level;
      level = d > maxUp ? level + maxUp : d < -maxDown ? level - maxDown : target;
    }
    store<f64>(p + LEVEL * row, level);

    const arc = daliLevel(level);
    store<f64>(p + DALI * row, arc);
    const power = (load<f64>(p + RATED_W * row) * daliPercent(arc)) / 100;
    store<f64>(p + POWER * row, power);
    store<f64>(p + ENERGY * row, load<f64>(p + ENERGY * row) + (power * dtS) / 3600);
  }
}
