// Lighting family: the TypeScript twin of wasm/assembly/lighting.ts — for a batch of luminaires,
// one call per control tick: lighting class from the weighting values, presence boost with hold,
// photocell with hysteresis, ramp limiting, DALI arc-power quantisation and energy. Same operations
// in the same order as the kernel; Math.log10/pow may differ from AssemblyScript's by an ulp, so
// the tests compare within 1e-9 relative. Change both, and wasm/bench/reference.c.
//
// Sources (REFERENCE §3): CEN/TR 13201-1 — lighting class number = 6 − Σ weighting values; a
// fractional result is taken to the brighter class (floor), since a street must never run below
// the class its traffic needs (BRIEF). EN 13201-2 average luminance of M1..M6 (cd/m²) and average
// illuminance of P1..P6 (lx) give the level of a class relative to the design class (M3→M4 75 %,
// M3→M5 50 %, P4→P6 40 %). DALI (IEC 62386-102) logarithmic arc-power curve:
// P(n) = 10^((n − 1)/(253/3) − 1) % for n = 1..254 (0.1 %..100 %), 0 = off. Electrical power is
// taken as proportional to arc power (an approximation; D4i drivers report the real figure).
//
// Fail-safe: an unknown schedule level (NaN) means 100 %; no photocell reading with no previous
// state means dark (lights ON); unknown weights mean the design class.

/** Fields of a lighting batch, each an f64 array of n (field-major, like the kernel). */
export const LIGHTING = {
  /** in: Σ of the CEN/TR 13201-1 weighting values for the road now (policy + traffic volume). */
  weightSum: 0,
  /** param: design class number 1..6 (the class that gets 100 % of the schedule level). */
  designClass: 1,
  /** param: 0 for the M series (motorised traffic), 1 for P (pedestrian and low speed). */
  series: 2,
  /** in: the schedule's level, % (NaN: unknown → 100 %). */
  schedulePct: 3,
  /** in: presence detected this tick (0/1). */
  presence: 4,
  /** in: ambient illuminance from the photocell, lx (NaN: no reading). */
  lux: 5,
  /** param: rated power at 100 %, W. */
  ratedW: 6,
  /** param: level while presence is held, %. */
  boostPct: 7,
  /** param: how long a presence holds the boost, s. */
  holdS: 8,
  /** out: lighting class number now (1..6). */
  lightingClass: 9,
  /** out: the level asked for before ramp limiting, %. */
  targetPct: 10,
  /** out/state: the level after ramp limiting, %. */
  levelPct: 11,
  /** out: DALI arc-power level 0..254 to send. */
  daliLevel: 12,
  /** out: power now, W (from the quantised DALI level). */
  powerW: 13,
  /** out/state: energy since start, Wh. */
  energyWh: 14,
  /** state: boost hold left, s. */
  holdLeftS: 15,
  /** state: photocell says dark (1), light (0), unknown (NaN). */
  dark: 16,
} as const;
export const LIGHTING_FIELDS = 17;

/** EN 13201-2: average maintained luminance of M1..M6 (cd/m²) and illuminance of P1..P6 (lx). */
export const M_LUMINANCE = [2.0, 1.5, 1.0, 0.75, 0.5, 0.3];
export const P_ILLUMINANCE = [15, 10, 7.5, 5, 3, 2];

export interface LightingParams {
  /** Photocell: dark at or below this illuminance, lx. */
  onLux: number;
  /** Photocell: light at or above this illuminance, lx (above onLux). */
  offLux: number;
  /** Seconds for a full 0→100 % rise (TALQ ramp-up time); 0 = no limit. */
  rampUpS: number;
  /** Seconds for a full 100→0 % fall; 0 = no limit. */
  rampDownS: number;
}

export const DEFAULT_LIGHTING_PARAMS: LightingParams = { onLux: 30, offLux: 60, rampUpS: 2, rampDownS: 10 };

const DALI_STEP = 253 / 3;

/** DALI arc-power level (0..254) for a level in %: 0 is off, the rest rounds on the log curve. */
export function daliLevel(pct: number): number {
  if (!(pct > 0)) return 0;
  const n = Math.round(1 + DALI_STEP * (Math.log10(pct) + 1));
  return n < 1 ? 1 : n > 254 ? 254 : n;
}

/** Arc power in % for a DALI level (0 → 0). */
export function daliPercent(n: number): number {
  return n < 1 ? 0 : Math.pow(10, (n - 1) / DALI_STEP - 1);
}

/** DALI fade time for fade-time code N (1..15): 0.5·√(2^N) s, 0.7 s to 90.5 s (IEC 62386-102). */
export function daliFadeTimeS(code: number): number {
  return 0.5 * Math.sqrt(2 ** code);
}

/** One control tick for n luminaires, dtS seconds after the previous. `s` is the field-major batch. */
export function lightingStep(s: Float64Array, n: number, dtS: number, p: LightingParams): void {
  const maxUp = p.rampUpS > 0 ? (100 * dtS) / p.rampUpS : Infinity;
  const maxDown = p.rampDownS > 0 ? (100 * dtS) / p.rampDownS : Infinity;
  const mid = (p.onLux + p.offLux) * 0.5;
  for (let c = 0; c < n; c++) {
    // Clamped so a bad parameter cannot index outside the tables (NaN → 1, the brightest).
    const rawDesign = s[LIGHTING.designClass * n + c]!;
    const design = rawDesign >= 1 ? (rawDesign <= 6 ? Math.floor(rawDesign) : 6) : 1;
    const weights = s[LIGHTING.weightSum * n + c]!;
    let cls = weights === weights ? Math.floor(6 - weights) : design;
    cls = cls < design ? design : cls > 6 ? 6 : cls;
    s[LIGHTING.lightingClass * n + c] = cls;
    const table = s[LIGHTING.series * n + c]! === 1 ? P_ILLUMINANCE : M_LUMINANCE;
    const ratio = table[cls - 1]! / table[design - 1]!;

    let sched = s[LIGHTING.schedulePct * n + c]!;
    if (sched !== sched) sched = 100;
    let hold = s[LIGHTING.holdLeftS * n + c]! - dtS;
    if (s[LIGHTING.presence * n + c]! >= 0.5) hold = s[LIGHTING.holdS * n + c]!;
    if (hold < 0) hold = 0;
    s[LIGHTING.holdLeftS * n + c] = hold;

    let dark = s[LIGHTING.dark * n + c]!;
    const lux = s[LIGHTING.lux * n + c]!;
    if (lux === lux) {
      if (lux <= p.onLux) dark = 1;
      else if (lux >= p.offLux) dark = 0;
      else if (dark !== dark) dark = lux <= mid ? 1 : 0;
    }
    s[LIGHTING.dark * n + c] = dark;

    let target = 0;
    if (!(dark === 0)) {
      target = sched * ratio;
      const boost = s[LIGHTING.boostPct * n + c]!;
      if (hold > 0 && boost > target) target = boost;
      if (target > 100) target = 100;
    }
    s[LIGHTING.targetPct * n + c] = target;

    let level = s[LIGHTING.levelPct * n + c]!;
    if (level !== level) level = target;
    else {
      const d = target - level;
      level = d > maxUp ? level + maxUp : d < -maxDown ? level - maxDown : target;
    }
    s[LIGHTING.levelPct * n + c] = level;

    const arc = daliLevel(level);
    s[LIGHTING.daliLevel * n + c] = arc;
    const power = (s[LIGHTING.ratedW * n + c]! * daliPercent(arc)) / 100;
    s[LIGHTING.powerW * n + c] = power;
    s[LIGHTING.energyWh * n + c] = s[LIGHTING.energyWh * n + c]! + (power * dtS) / 3600;
  }
}
