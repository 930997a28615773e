// The lighting schedule: the astronomical clock (on from sunset to sunrise) and the active
// policy's steps within the night. It gives the schedule's level and the rule that made it; the
// group controller (lighting-controller.ts) adds class, presence, photocell, ramps and overrides.
// When anything it depends on is unknown — a clock that was never set, a day without sunrise or
// sunset, a schedule that fails to resolve — it decides 100 % and says "fail-on": a dark street
// with people on it is the failure that must not happen.
//
// Sun times come from the WASM core's solar kernel (one row, allocated once) or its TypeScript
// twin; both give the same times within 1 s (wasm/solar.test.ts), and they are cached per day.
import { WasmSolar, type Engine } from '../../wasm/core.js';
import { sunTimes } from '../../wasm/solar.js';
import { englishOf, part, type ReasonPart } from '../../common/reasons/reason.js';
import { HHMM_PATTERN, madridHHMM, nextMadridTime } from './madrid-time.js';

const DAY_MS = 86_400_000;
const MIN_MS = 60_000;
/** Before this the clock has not been set (an RTC-less board boots in 1970). */
export const CLOCK_SANE_AFTER_MS = Date.UTC(2020, 0, 1);
/**
 * Clock-time steps are taken in the 24 h starting this long before sunset, so "22:00" is this
 * evening and "06:00" next morning whatever the season (Madrid sunset: 17:50–21:50 local).
 */
const CLOCK_WINDOW_BEFORE_SUNSET_MS = 4 * 60 * MIN_MS;

/** One step, as in calle.v1.LightingStep. */
export interface LightingStep {
  /** "sunset", "sunrise" or a Madrid "HH:MM". */
  readonly at: string;
  /** Minutes after the anchor (negative = before); ignored for clock times. */
  readonly offsetMin: number;
  readonly levelPct: number;
}

export interface LightingSettings {
  readonly steps: readonly LightingStep[];
  /** Minimum level while presence is held; 0 = no presence boost. */
  readonly presenceLevelPct: number;
  readonly presenceHoldS: number;
}

/**
 * The built-in behaviour before any policy: 100 % from sunset to sunrise. Deliberately no
 * midnight dimming: the node cannot know the road's class or traffic, and EN 13201 must never
 * be undercut by a default; dimming is a policy the city authors.
 */
export const DEFAULT_LIGHTING: LightingSettings = {
  steps: [{ at: 'sunset', offsetMin: 0, levelPct: 100 }],
  presenceLevelPct: 0,
  presenceHoldS: 0,
};

export interface LightingDecision {
  readonly levelPct: number;
  /** Which rule decided it, for example "schedule: 00:30 → 50 %" (English of reasonCode). */
  readonly reason: string;
  /** The same as one coded part (common/reasons/). */
  readonly reasonCode: ReasonPart;
  /** True when the level is the fail-on 100 %: nothing may dim it (class, photocell). */
  readonly failOn?: boolean;
  /** True between sunrise and sunset (as widened by the steps): off, and no presence boost. */
  readonly day?: boolean;
}

/** A step's anchor as its reason shows it: "00:30", or "sunset" with the offset "+0". */
const stepAt = (s: LightingStep): { at: string; offset: string } =>
  HHMM_PATTERN.test(s.at)
    ? { at: s.at, offset: '' }
    : { at: s.at, offset: `${s.offsetMin >= 0 ? '+' : ''}${s.offsetMin}` };

/** A decision's reason, coded and in English. */
const decided = (code: ReasonPart): { reason: string; reasonCode: ReasonPart } => ({
  reason: englishOf([code]),
  reasonCode: code,
});

export interface LightingLoopOptions {
  latitude: number;
  longitude: number;
  /** Solar kernel: 'wasm' (default) or its TypeScript 'twin'. */
  engine?: Engine;
}

export class LightingLoop {
  readonly #lat: number;
  readonly #lon: number;
  readonly #solar: WasmSolar | undefined;
  #settings: LightingSettings = DEFAULT_LIGHTING;
  #fromPolicy = false;
  readonly #sunCache = new Map<number, { sunriseMs: number; sunsetMs: number }>();
  /** The last decision and the minute it was made in: steps resolve to minutes at best. */
  #last: { minute: number; decision: LightingDecision } | undefined;

  constructor(opts: LightingLoopOptions) {
    this.#lat = opts.latitude;
    this.#lon = opts.longitude;
    this.#solar = (opts.engine ?? 'wasm') === 'wasm' ? new WasmSolar(1) : undefined;
  }

  /** Replaces the settings (a validated policy section), or returns to the built-in default. */
  setSettings(settings: LightingSettings | undefined): void {
    this.#settings = settings ?? DEFAULT_LIGHTING;
    this.#fromPolicy = settings !== undefined;
    this.#last = undefined;
  }

  get settings(): LightingSettings {
    return this.#settings;
  }

  /**
   * The schedule's level at `nowMs`. Never throws: any failure decides 100 %. Steps and sun
   * times resolve to whole minutes, so the decision is recomputed once a minute (and after
   * setSettings), not on every tick: the Madrid-time conversions are the costly part.
   */
  decide(nowMs: number): LightingDecision {
    const minute = Math.floor(nowMs / MIN_MS);
    if (this.#last?.minute === minute) return this.#last.decision;
    let decision: LightingDecision;
    try {
      decision = this.#decide(nowMs);
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      decision = { levelPct: 100, ...decided(part('light.failOn.schedule', { detail })), failOn: true };
    }
    this.#last = { minute, decision };
    return decision;
  }

  #decide(nowMs: number): LightingDecision {
    if (!(nowMs >= CLOCK_SANE_AFTER_MS))
      return { levelPct: 100, ...decided(part('light.failOn.clock')), failOn: true };
    const night = this.#nightAround(nowMs);
    if (night === 'unknown') return { levelPct: 100, ...decided(part('light.failOn.sun')), failOn: true };
    if (night.kind === 'day') return { levelPct: 0, ...decided(night.reason), day: true };

    const source = this.#fromPolicy ? 'schedule' : 'default';
    const resolved = this.#settings.steps
      .map((s, i) => ({ s, i, t: this.#resolve(s, night.sunsetMs, night.sunriseMs) }))
      .sort((a, b) => a.t - b.t || a.i - b.i);
    let decision: LightingDecision = {
      levelPct: 100,
      ...decided(part('light.beforeFirst', { rule: source })),
    };
    for (const r of resolved) {
      if (r.t > nowMs) break;
      const level = r.s.levelPct;
      decision = { levelPct: level, ...decided(part('light.step', { rule: source, ...stepAt(r.s), level })) };
    }
    return decision;
  }

  /**
   * The night containing `nowMs` (its sunset and next sunrise, widened by steps anchored before
   * sunset or after sunrise), or the reason it is day.
   */
  #nightAround(
    nowMs: number,
  ):
    'unknown' | { kind: 'day'; reason: ReasonPart } | { kind: 'night'; sunsetMs: number; sunriseMs: number } {
    const today = Math.floor(nowMs / DAY_MS) * DAY_MS;
    const [prev, cur, next] = [this.#sun(today - DAY_MS), this.#sun(today), this.#sun(today + DAY_MS)];
    if ([prev, cur, next].some((s) => Number.isNaN(s.sunriseMs) || Number.isNaN(s.sunsetMs)))
      return 'unknown';
    for (const [sunsetMs, sunriseMs] of [
      [prev.sunsetMs, cur.sunriseMs],
      [cur.sunsetMs, next.sunriseMs],
    ] as const) {
      let start = sunsetMs;
      let end = sunriseMs;
      for (const s of this.#settings.steps) {
        if (s.at === 'sunset') start = Math.min(start, sunsetMs + s.offsetMin * MIN_MS);
        if (s.at === 'sunrise') end = Math.max(end, sunriseMs + s.offsetMin * MIN_MS);
      }
      if (nowMs >= start && nowMs < end) return { kind: 'night', sunsetMs, sunriseMs };
    }
    return {
      kind: 'day',
      reason: part('light.day', { sunrise: madridHHMM(cur.sunriseMs), sunset: madridHHMM(cur.sunsetMs) }),
    };
  }

  #resolve(step: LightingStep, sunsetMs: number, sunriseMs: number): number {
    if (step.at === 'sunset') return sunsetMs + step.offsetMin * MIN_MS;
    if (step.at === 'sunrise') return sunriseMs + step.offsetMin * MIN_MS;
    return nextMadridTime(sunsetMs - CLOCK_WINDOW_BEFORE_SUNSET_MS, step.at);
  }

  #sun(dayMs: number): { sunriseMs: number; sunsetMs: number } {
    let s = this.#sunCache.get(dayMs);
    if (!s) {
      if (this.#solar) {
        this.#solar.set(0, this.#lat, this.#lon, dayMs);
        this.#solar.compute(1);
        s = { sunriseMs: this.#solar.outputs[0]!, sunsetMs: this.#solar.outputs[1]! };
      } else {
        const t = sunTimes(this.#lat, this.#lon, dayMs);
        s = { sunriseMs: t.sunriseMs, sunsetMs: t.sunsetMs };
      }
      if (this.#sunCache.size > 8) this.#sunCache.clear();
      this.#sunCache.set(dayMs, s);
    }
    return s;
  }
}
