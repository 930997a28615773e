// How far the full-time forecasts of a site have been off, by how far ahead they looked: the
// interval around a predicted full time is read from these errors, so that a stated 80 % interval
// holds the true time about 80 % of the time (split conformal prediction, Vovk et al.,
// "Algorithmic Learning in a Random World", 2005; here online: every container that reaches full
// scores the forecasts made for it during its cycle).
//
// An error is ln(actual / predicted) of the profile-hours to full (./waste-week-profile.ts), so it
// is a ratio, comparable across fast and slow containers, and a bound drawn from it lands on the
// container's own busy hours. Errors are kept per horizon band (a forecast a day ahead errs less in
// hours than one a week ahead, and differently in ratio), the latest `capacity` of each band, from
// every container of the site: one container has too few cycles to estimate a tail. The median
// error also corrects the point forecast (it minimises the absolute error; a rate estimate that
// runs fast or slow on this site shows there first).
//
// Censoring: a container emptied before it was full never scores its forecasts, so the errors are
// those of cycles that ran to full — the same cycles on which a full time can be checked at all.

/** Upper edges of the horizon bands, hours ahead (the last band is open). */
const BANDS_HOURS = [6, 12, 24, 48, 96, 192] as const;

export interface IntervalCalibrationParams {
  /** Errors kept per band (the newest). */
  readonly capacity: number;
  /** Fewer than this in a band: its neighbours' are pooled in, then a default spread is used. */
  readonly minCount: number;
  /** σ of ln(ratio) assumed before anything was scored. */
  readonly defaultSpread: number;
}

/** Quantiles of ln(actual / predicted) for one forecast. */
export interface ErrorQuantiles {
  readonly low: number;
  readonly median: number;
  readonly high: number;
}

class Band {
  readonly values: Float64Array;
  count = 0;
  #next = 0;
  #sorted: Float64Array | undefined;

  constructor(capacity: number) {
    this.values = new Float64Array(capacity);
  }

  add(v: number): void {
    this.values[this.#next] = v;
    this.#next = (this.#next + 1) % this.values.length;
    this.count = Math.min(this.count + 1, this.values.length);
    this.#sorted = undefined;
  }

  sorted(): Float64Array {
    this.#sorted ??= this.values.slice(0, this.count).sort();
    return this.#sorted;
  }
}

export class IntervalCalibration {
  readonly #p: IntervalCalibrationParams;
  readonly #bands: Band[];

  constructor(params: IntervalCalibrationParams) {
    this.#p = params;
    this.#bands = Array.from({ length: BANDS_HOURS.length + 1 }, () => new Band(params.capacity));
  }

  /** Forecasts scored so far (up to capacity per band). */
  get count(): number {
    return this.#bands.reduce((n, b) => n + b.count, 0);
  }

  /** One scored forecast: it said `predictedHours` ahead, and was off by ln(actual/predicted). */
  add(predictedHours: number, logRatio: number): void {
    if (Number.isFinite(logRatio)) this.#bands[band(predictedHours)]!.add(logRatio);
  }

  /** The central `level` interval (and median) of the error for a forecast `predictedHours` ahead. */
  quantiles(predictedHours: number, level: number): ErrorQuantiles {
    const at = band(predictedHours);
    let values = this.#bands[at]!.sorted();
    // Too few in this band: widen to the neighbours, step by step.
    for (let w = 1; values.length < this.#p.minCount && w < this.#bands.length; w++) {
      const parts = this.#bands.slice(Math.max(0, at - w), at + w + 1).map((b) => b.sorted());
      const n = parts.reduce((s, p) => s + p.length, 0);
      if (n < this.#p.minCount) continue;
      values = new Float64Array(n);
      let o = 0;
      for (const p of parts) {
        values.set(p, o);
        o += p.length;
      }
      values.sort();
    }
    const tail = (1 - level) / 2;
    if (values.length < this.#p.minCount) {
      const z = normalQuantile(1 - tail) * this.#p.defaultSpread;
      return { low: -z, median: 0, high: z };
    }
    return { low: quantile(values, tail), median: quantile(values, 0.5), high: quantile(values, 1 - tail) };
  }
}

function band(hours: number): number {
  const i = BANDS_HOURS.findIndex((edge) => hours < edge);
  return i < 0 ? BANDS_HOURS.length : i;
}

/** Linear interpolation between order statistics (Hyndman & Fan type 7). */
function quantile(sorted: Float64Array, q: number): number {
  const x = q * (sorted.length - 1);
  const i = Math.floor(x);
  const j = Math.min(i + 1, sorted.length - 1);
  return sorted[i]! + (x - i) * (sorted[j]! - sorted[i]!);
}

/** Standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lowP = 0.02425;
  if (p < lowP) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
    );
  }
  if (p > 1 - lowP) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}
