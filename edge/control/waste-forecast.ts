// When each container of a site will be full, with a calibrated interval: the forecaster behind
// the waste controller (./waste-controller.ts) and `calle waste predict`. It takes what the WASM
// kernel made of each reading (fill, emptying; wasm/waste.ts) and learns, per container:
//   - when in the week it fills (./waste-week-profile.ts), so that a bin at 75 % at 22:00 is not
//     forecast full at 03:00 when nobody passes by night;
//   - its mean rate, as a prior updated after each emptying from the cycle that ended (a running
//     mean over cycles), combined with the current cycle's rise: the cycle's own evidence counts in
//     proportion to its profile-hours, the prior as `priorHours` of them (a gamma–Poisson style
//     shrinkage; REFERENCE §4: per-site means beat naive rates where collection follows
//     fullness);
// and, for the site, how far its forecasts have been off (./waste-interval-calibration.ts), which
// sets the interval and corrects the point forecast's median.
//
// Temperature: the kernel corrects each distance for the speed of sound when the sensor reports
// its temperature (wasm/waste.ts). Without that, a 15 °C day–night swing moves a reading ~2.7 cm
// per metre, a daily ripple that the hour-of-day profile would learn as use; with it, none.
//
// Small, deterministic, time passed in, no I/O.
import { IntervalCalibration, type IntervalCalibrationParams } from './waste-interval-calibration.js';
import { WeekProfile, type WeekProfileParams } from './waste-week-profile.js';

/** Above this fill the container cannot show its rate (it overflows): its hours are not learned. */
const SATURATED = 0.97;
/** A finished cycle shorter than this (profile-hours) says nothing reliable about the rate. */
const MIN_CYCLE_EXPOSURE = 6;
/**
 * Forecasts kept per container per cycle awaiting their score. When full, every other one is
 * dropped and the rest keep coming at half the rate, so a long cycle is still sampled from start
 * to end in at most 12 KB per container (the store grows as a cycle lengthens: a site's
 * containers do not all hold three weeks of forecasts at once).
 */
const MAX_OPEN = 512;
/** ln(actual/predicted) is taken over at least this many profile-hours (a forecast of "now"). */
const MIN_SCORED_EXPOSURE = 0.5;

export interface WasteForecastParams extends WeekProfileParams, IntervalCalibrationParams {
  /** Central probability of the interval around the full time, in (0, 1). */
  readonly level: number;
  /** Weight of the container's prior rate, in profile-hours of the current cycle. */
  readonly priorHours: number;
  /** Weight of a finished cycle in the prior's running mean, (0, 1]. */
  readonly cycleWeight: number;
  /** Forecasts further ahead than this are "not within the horizon": no time is given. */
  readonly horizonHours: number;
}

export const DEFAULT_FORECAST_PARAMS: WasteForecastParams = {
  level: 0.8,
  // Chosen on the tuning seeds and bins of edge/bench/waste-bench.ts (24–1000 tried; 200 best or
  // within 2 % of best on each of the three tuning sets).
  priorHours: 200,
  cycleWeight: 0.3,
  horizonHours: 60 * 24,
  hourShrinkHours: 24,
  dayShrinkHours: 48,
  memoryHours: 8 * 168,
  utcOffsetMinutes: 0,
  capacity: 4000,
  minCount: 40,
  defaultSpread: 0.6,
};

/** Hours from the forecast's time; absent: unknown (no rate yet) or beyond the horizon. */
export interface WasteForecast {
  readonly ttfHours?: number;
  readonly lowHours?: number;
  readonly highHours?: number;
  /** Mean fill rate over the week, fraction per hour. */
  readonly ratePerHour?: number;
}

/** What the kernel made of a reading (wasm/waste.ts WASTE_FLAG names). */
export type ReadingOutcome = 'accepted' | 'invalid' | 'held' | 'emptied';

/** The forecasts of the current cycle awaiting its full time: clock, profile-hours, hours ahead. */
class OpenForecasts {
  #v = new Float64Array(3 * 32);
  length = 0;
  /** Keep one forecast in `stride`; doubles each time the store fills. */
  #stride = 1;
  #skipped = 0;

  push(clock: number, amount: number, hours: number): void {
    if (++this.#skipped < this.#stride) return;
    this.#skipped = 0;
    if (3 * this.length === this.#v.length && this.length < MAX_OPEN) {
      const grown = new Float64Array(2 * this.#v.length);
      grown.set(this.#v);
      this.#v = grown;
    }
    if (this.length === MAX_OPEN) {
      for (let i = 0; i < MAX_OPEN / 2; i++) this.#v.copyWithin(3 * i, 6 * i, 6 * i + 3);
      this.length = MAX_OPEN / 2;
      this.#stride *= 2;
    }
    this.#v.set([clock, amount, hours], 3 * this.length++);
  }

  forEach(f: (clock: number, amount: number, hours: number) => void): void {
    for (let i = 0; i < this.length; i++) f(this.#v[3 * i]!, this.#v[3 * i + 1]!, this.#v[3 * i + 2]!);
  }

  clear(): void {
    this.length = 0;
    this.#stride = 1;
    this.#skipped = 0;
  }
}

class ContainerState {
  readonly profile: WeekProfile;
  /** Time of the last update, and profile-hours elapsed since the first (the container's clock). */
  lastMs: number | undefined;
  clock = 0;
  /** Last accepted fill and its time. */
  fill = Number.NaN;
  fillMs = 0;
  cycleStartFill = Number.NaN;
  cycleExposure = 0;
  prior = Number.NaN;
  cycles = 0;
  crossed = false;
  readonly open = new OpenForecasts();

  constructor(p: WeekProfileParams) {
    this.profile = new WeekProfile(p);
  }
}

export class WasteForecaster {
  readonly params: WasteForecastParams;
  readonly calibration: IntervalCalibration;
  readonly #c: ContainerState[];

  constructor(containers: number, params: Partial<WasteForecastParams> = {}) {
    const p = { ...DEFAULT_FORECAST_PARAMS, ...params };
    const check = (ok: boolean, key: keyof WasteForecastParams, want: string) => {
      if (!ok) throw new Error(`waste forecast: ${key} must be ${want}, got ${String(p[key])}`);
    };
    check(p.level > 0 && p.level < 1, 'level', 'in (0, 1)');
    check(p.priorHours >= 0 && Number.isFinite(p.priorHours), 'priorHours', 'a finite number ≥ 0');
    check(p.cycleWeight > 0 && p.cycleWeight <= 1, 'cycleWeight', 'in (0, 1]');
    check(p.horizonHours > 0, 'horizonHours', '> 0');
    check(p.memoryHours > 0, 'memoryHours', '> 0');
    check(Number.isInteger(p.capacity) && p.capacity > 0, 'capacity', 'a positive integer');
    this.params = Object.freeze(p);
    this.calibration = new IntervalCalibration(p);
    this.#c = Array.from({ length: containers }, () => new ContainerState(p));
  }

  /**
   * One reading of container `i` at `timeMs` as the kernel took it (`fill`: its accepted fill,
   * NaN before the first), and the forecast of when it reaches `threshold`, made from the
   * readings up to this one.
   */
  update(i: number, timeMs: number, fill: number, outcome: ReadingOutcome, threshold: number): WasteForecast {
    const s = this.#c[i]!;
    if (s.lastMs !== undefined && timeMs > s.lastMs) s.clock += s.profile.exposure(s.lastMs, timeMs);
    s.lastMs = Math.max(timeMs, s.lastMs ?? timeMs);
    if (outcome === 'emptied') this.#endCycle(s, fill, timeMs);
    else if (outcome === 'accepted') this.#learn(s, fill, timeMs);
    if (s.fill !== s.fill) return {};
    if (!s.crossed && s.fill >= threshold) this.#score(s);
    return this.#forecast(s, timeMs, threshold);
  }

  /**
   * The fill container `i` is expected to have at `atMs` (after its last update), from its rate and
   * week: what a collection round passing then would find. NaN while the rate is unknown.
   */
  expectedFill(i: number, atMs: number): number {
    const s = this.#c[i]!;
    const rate = s.fill === s.fill ? this.#rate(s) : Number.NaN;
    if (rate !== rate || s.lastMs === undefined) return Number.NaN;
    return Math.min(1, s.fill + rate * s.profile.exposure(s.lastMs, Math.max(atMs, s.lastMs)));
  }

  #learn(s: ContainerState, fill: number, timeMs: number): void {
    if (s.fill === s.fill && timeMs > s.fillMs && s.fill < SATURATED) {
      s.cycleExposure += s.profile.exposure(s.fillMs, timeMs);
      s.profile.learn(s.fillMs, timeMs, fill - s.fill);
    }
    if (s.cycleStartFill !== s.cycleStartFill) s.cycleStartFill = fill;
    s.fill = fill;
    s.fillMs = timeMs;
  }

  /** An emptying: the cycle that ended updates the prior; its unscored forecasts are dropped. */
  #endCycle(s: ContainerState, fill: number, timeMs: number): void {
    if (s.cycleExposure >= MIN_CYCLE_EXPOSURE && s.cycleStartFill === s.cycleStartFill) {
      const rate = Math.max(0, s.fill - s.cycleStartFill) / s.cycleExposure;
      s.prior = s.cycles === 0 ? rate : s.prior + this.params.cycleWeight * (rate - s.prior);
      s.cycles++;
    }
    s.cycleStartFill = fill;
    s.cycleExposure = 0;
    s.crossed = false;
    s.open.clear();
    s.fill = fill;
    s.fillMs = timeMs;
  }

  /** The container reached full: every forecast of this cycle is scored. */
  #score(s: ContainerState): void {
    s.crossed = true;
    s.open.forEach((clock, amount, hours) => {
      const actual = Math.max(MIN_SCORED_EXPOSURE, s.clock - clock);
      this.calibration.add(hours, Math.log(actual / amount));
    });
    s.open.clear();
  }

  /**
   * The rate per profile-hour: the cycle's rise, shrunk toward the prior. Before a first cycle has
   * ended there is no prior: the site's other containers are no guide (a paper bank beside a
   * glass bank fills at its own pace; borrowing their median made no difference on the tuning
   * sets and misled the fixture's paper container by a day).
   */
  #rate(s: ContainerState): number {
    const rise = Math.max(0, s.fill - s.cycleStartFill);
    if (s.cycles > 0)
      return (rise + s.prior * this.params.priorHours) / (s.cycleExposure + this.params.priorHours);
    return s.cycleExposure >= 1 ? rise / s.cycleExposure : Number.NaN;
  }

  #forecast(s: ContainerState, timeMs: number, threshold: number): WasteForecast {
    const rate = this.#rate(s);
    if (rate !== rate) return {};
    const ratePerHour = rate;
    const remaining = threshold - s.fill;
    if (remaining <= 0) return { ttfHours: 0, lowHours: 0, highHours: 0, ratePerHour };
    if (!(rate > 0)) return { ratePerHour };
    const p = this.params;
    const amount = Math.max(MIN_SCORED_EXPOSURE, remaining / rate);
    const hours = (a: number) => s.profile.hoursUntil(timeMs, a, p.horizonHours);
    const raw = hours(amount);
    const q = this.calibration.quantiles(raw, p.level);
    if (!s.crossed && Number.isFinite(raw)) s.open.push(s.clock, amount, raw);
    const out: { -readonly [K in keyof WasteForecast]: WasteForecast[K] } = { ratePerHour };
    const at = hours(amount * Math.exp(q.median));
    const low = hours(amount * Math.exp(q.low));
    const high = hours(amount * Math.exp(q.high));
    if (Number.isFinite(at)) out.ttfHours = at;
    if (Number.isFinite(low)) out.lowHours = low;
    if (Number.isFinite(high)) out.highHours = high;
    return out;
  }
}
