// Decides each lighting group's level: the astronomical clock (on from sunset to sunrise), the
// active policy's steps within the night, and a presence boost from detectors. Every decision
// carries the rule that made it, for the console. When anything it depends on is unknown — a
// clock that was never set, a day without sunrise or sunset, a schedule that fails to resolve —
// lights fail ON at 100 %: a dark street with people on it is the failure that must not happen.
import { sunTimes } from '../../wasm/solar.js';
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
  /** Which rule decided it, for example "schedule: 00:30 → 50 %". */
  readonly reason: string;
}

const stepLabel = (s: LightingStep): string =>
  HHMM_PATTERN.test(s.at) ? s.at : `${s.at}${s.offsetMin >= 0 ? '+' : ''}${s.offsetMin}`;

export interface LightingLoopOptions {
  latitude: number;
  longitude: number;
}

export class LightingLoop {
  readonly #lat: number;
  readonly #lon: number;
  #settings: LightingSettings = DEFAULT_LIGHTING;
  #fromPolicy = false;
  /** Last presence per group: when, and which detector. */
  readonly #presence = new Map<string, { atMs: number; source: string }>();
  readonly #sunCache = new Map<number, { sunriseMs: number; sunsetMs: number }>();

  constructor(opts: LightingLoopOptions) {
    this.#lat = opts.latitude;
    this.#lon = opts.longitude;
  }

  /** Replaces the settings (a validated policy section), or returns to the built-in default. */
  setSettings(settings: LightingSettings | undefined): void {
    this.#settings = settings ?? DEFAULT_LIGHTING;
    this.#fromPolicy = settings !== undefined;
  }

  get settings(): LightingSettings {
    return this.#settings;
  }

  /** Records a detection for a group (a vehicle counted by one of its detectors). */
  notePresence(groupId: string, atMs: number, source: string): void {
    this.#presence.set(groupId, { atMs, source });
  }

  /** The level a group should have at `nowMs`. Never throws: any failure decides 100 %. */
  decide(groupId: string, nowMs: number): LightingDecision {
    try {
      return this.#decide(groupId, nowMs);
    } catch (err) {
      return {
        levelPct: 100,
        reason: `fail-on: schedule unknown (${err instanceof Error ? err.message : String(err)})`,
      };
    }
  }

  #decide(groupId: string, nowMs: number): LightingDecision {
    if (!(nowMs >= CLOCK_SANE_AFTER_MS))
      return { levelPct: 100, reason: 'fail-on: clock not set (before 2020)' };
    const night = this.#nightAround(nowMs);
    if (night === 'unknown')
      return { levelPct: 100, reason: 'fail-on: no sunrise/sunset for this place and day' };
    if (night.kind === 'day') return { levelPct: 0, reason: night.reason };

    const source = this.#fromPolicy ? 'schedule' : 'default';
    const resolved = this.#settings.steps
      .map((s, i) => ({ s, i, t: this.#resolve(s, night.sunsetMs, night.sunriseMs) }))
      .sort((a, b) => a.t - b.t || a.i - b.i);
    let decision: LightingDecision = {
      levelPct: 100,
      reason: `${source}: night, before the first step → 100 %`,
    };
    for (const r of resolved) {
      if (r.t > nowMs) break;
      decision = { levelPct: r.s.levelPct, reason: `${source}: ${stepLabel(r.s)} → ${r.s.levelPct} %` };
    }

    const { presenceLevelPct, presenceHoldS } = this.#settings;
    const seen = this.#presence.get(groupId);
    if (
      seen &&
      presenceLevelPct > decision.levelPct &&
      nowMs - seen.atMs <= presenceHoldS * 1000 &&
      nowMs >= seen.atMs
    ) {
      const ago = Math.round((nowMs - seen.atMs) / 1000);
      return {
        levelPct: presenceLevelPct,
        reason: `presence: ${seen.source} ${ago} s ago (hold ${presenceHoldS} s) → ${presenceLevelPct} %; ${decision.reason}`,
      };
    }
    return decision;
  }

  /**
   * The night containing `nowMs` (its sunset and next sunrise, widened by steps anchored before
   * sunset or after sunrise), or the reason it is day.
   */
  #nightAround(
    nowMs: number,
  ): 'unknown' | { kind: 'day'; reason: string } | { kind: 'night'; sunsetMs: number; sunriseMs: number } {
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
      reason: `day: sunrise ${madridHHMM(cur.sunriseMs)}, sunset ${madridHHMM(cur.sunsetMs)} (Madrid) → off`,
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
      const t = sunTimes(this.#lat, this.#lon, dayMs);
      s = { sunriseMs: t.sunriseMs, sunsetMs: t.sunsetMs };
      if (this.#sunCache.size > 8) this.#sunCache.clear();
      this.#sunCache.set(dayMs, s);
    }
    return s;
  }
}
