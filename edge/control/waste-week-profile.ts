// When in the week a container fills: a factor per hour of the week (mean 1 over the week), the
// product of an hour-of-day factor and a day-of-week factor, learned from the container's own rises.
//
// Why factored: a full 168-hour table gets one sample per hour a week, too few to learn within a
// season; 24 + 7 factors get seven and twenty-four. Each factor is the rate seen in its hours over
// the container's mean rate, shrunk toward 1 by `shrinkHours` of pseudo-exposure, so a new
// container starts flat and a quiet hour is not learned from two readings. Old data fades with a
// time constant (`memoryHours`), so a container whose use changes (a new shop, the school
// holidays) relearns its week.
//
// A rise between two readings is spread over the hours between them in proportion to the current
// factors: with hourly readings each hour is learned on its own; with daily ones the day-of-week
// factors are learned and the hour-of-day factors stay as they are (flat), which is all that daily
// data can tell. Times are the site clock's (UTC plus `utcOffsetMinutes`); a daylight-saving
// change shifts the learned hours by one for half the year, which the learning absorbs in weeks.

const HOUR_MS = 3_600_000;
const WEEK_HOURS = 168;
/** 1970-01-01 was a Thursday: hour 0 of the epoch is hour 72 of a week starting on Monday. */
const EPOCH_HOUR_OF_WEEK = 72;
/** No hour is ever quite dead (a late walker, a blown bag): a floor keeps every hour counting. */
const MIN_FACTOR = 0.02;

export interface WeekProfileParams {
  /** Pseudo-hours of exposure pulling each hour-of-day factor toward 1. */
  readonly hourShrinkHours: number;
  /** Pseudo-hours pulling each day-of-week factor toward 1. */
  readonly dayShrinkHours: number;
  /** Time constant of forgetting, hours. */
  readonly memoryHours: number;
  /** Site clock = UTC + this. */
  readonly utcOffsetMinutes: number;
}

export class WeekProfile {
  readonly #p: WeekProfileParams;
  /** Rise attributed to each hour of the week (fill fraction), and hours observed there. */
  readonly #rise = new Float64Array(WEEK_HOURS);
  readonly #hours = new Float64Array(WEEK_HOURS);
  readonly #factor = new Float64Array(WEEK_HOURS).fill(1);
  /** Σ of the factors: profile-hours in a week (168 but for the floor). */
  #weekSum = WEEK_HOURS;
  #dirty = false;
  #decayedToHour: number | undefined;

  constructor(params: WeekProfileParams) {
    this.#p = params;
  }

  /** Hours since the epoch on the site clock. */
  #hour(timeMs: number): number {
    return (timeMs + this.#p.utcOffsetMinutes * 60_000) / HOUR_MS;
  }

  /** The factor of the hour of the week holding `timeMs`. */
  factorAt(timeMs: number): number {
    return this.#factors()[bucket(Math.floor(this.#hour(timeMs)))]!;
  }

  /** Profile-hours between two times: Σ factor × hours (equal to the hours for a flat profile). */
  exposure(fromMs: number, toMs: number): number {
    const f = this.#factors();
    let sum = 0;
    let h = this.#hour(fromMs);
    const end = this.#hour(toMs);
    while (h < end) {
      const next = Math.min(Math.floor(h) + 1, end);
      sum += (next - h) * f[bucket(Math.floor(h))]!;
      h = next;
    }
    return sum;
  }

  /**
   * Hours from `fromMs` until `amount` profile-hours have passed, or Infinity beyond `limitHours`.
   * Whole weeks are skipped at once (each holds the same profile-hours), so the walk is at most
   * two weeks of hours.
   */
  hoursUntil(fromMs: number, amount: number, limitHours: number): number {
    if (!(amount > 0)) return 0;
    const f = this.#factors();
    const start = this.#hour(fromMs);
    const weeks = Math.max(0, Math.floor(amount / this.#weekSum) - 1);
    if (weeks * WEEK_HOURS > limitHours) return Number.POSITIVE_INFINITY;
    let left = amount - weeks * this.#weekSum;
    let h = start + weeks * WEEK_HOURS;
    for (;;) {
      if (h - start > limitHours) return Number.POSITIVE_INFINITY;
      const next = Math.floor(h) + 1;
      const rate = f[bucket(Math.floor(h))]!;
      const piece = (next - h) * rate;
      if (piece >= left) return h + left / rate - start;
      left -= piece;
      h = next;
    }
  }

  /** Learns a rise of `rise` (fill fraction) between two readings. */
  learn(fromMs: number, toMs: number, rise: number): void {
    if (!(toMs > fromMs) || !Number.isFinite(rise)) return;
    this.#decay(this.#hour(toMs));
    const f = this.#factors();
    const total = this.exposure(fromMs, toMs);
    if (!(total > 0)) return;
    let h = this.#hour(fromMs);
    const end = this.#hour(toMs);
    while (h < end) {
      const next = Math.min(Math.floor(h) + 1, end);
      const b = bucket(Math.floor(h));
      this.#rise[b]! += (rise * (next - h) * f[b]!) / total;
      this.#hours[b]! += next - h;
      h = next;
    }
    this.#dirty = true;
  }

  /** Fades what was learned by e^(−Δt/memory), once per whole hour of data time. */
  #decay(hour: number): void {
    const now = Math.floor(hour);
    const last = this.#decayedToHour;
    this.#decayedToHour = now;
    if (last === undefined || now <= last) return;
    const k = Math.exp(-(now - last) / this.#p.memoryHours);
    for (let b = 0; b < WEEK_HOURS; b++) {
      this.#rise[b]! *= k;
      this.#hours[b]! *= k;
    }
  }

  #factors(): Float64Array {
    if (!this.#dirty) return this.#factor;
    this.#dirty = false;
    const riseH = new Float64Array(24);
    const hoursH = new Float64Array(24);
    const riseD = new Float64Array(7);
    const hoursD = new Float64Array(7);
    let rise = 0;
    let hours = 0;
    for (let b = 0; b < WEEK_HOURS; b++) {
      const h = b % 24;
      const d = (b - h) / 24;
      riseH[h]! += this.#rise[b]!;
      hoursH[h]! += this.#hours[b]!;
      riseD[d]! += this.#rise[b]!;
      hoursD[d]! += this.#hours[b]!;
      rise += this.#rise[b]!;
      hours += this.#hours[b]!;
    }
    const mean = rise / hours;
    if (!(mean > 0) || hours < 24) {
      this.#factor.fill(1);
      this.#weekSum = WEEK_HOURS;
      return this.#factor;
    }
    const shrunk = (r: number, t: number, k: number) => Math.max(MIN_FACTOR, (r + k * mean) / (t + k) / mean);
    let sum = 0;
    for (let b = 0; b < WEEK_HOURS; b++) {
      const h = b % 24;
      const d = (b - h) / 24;
      const f =
        shrunk(riseH[h]!, hoursH[h]!, this.#p.hourShrinkHours) *
        shrunk(riseD[d]!, hoursD[d]!, this.#p.dayShrinkHours);
      this.#factor[b] = f;
      sum += f;
    }
    this.#weekSum = 0;
    for (let b = 0; b < WEEK_HOURS; b++) {
      this.#factor[b] = Math.max(MIN_FACTOR, (this.#factor[b]! * WEEK_HOURS) / sum);
      this.#weekSum += this.#factor[b]!;
    }
    return this.#factor;
  }
}

function bucket(hour: number): number {
  return (((hour + EPOCH_HOUR_OF_WEEK) % WEEK_HOURS) + WEEK_HOURS) % WEEK_HOURS;
}
