// The judge of a lighting replay: how much light each group had to give at each instant, and how
// much it gave, both as a percentage of the design's maintained light (the class's EN 13201-2
// value at the design class, which a luminaire at 100 % meets at the end of its maintenance
// period). A group-minute is under-lit when any tick in it delivered less than required.
//
// Required: at night (when the built-in sunset-to-sunrise schedule lights the street), the class
// the traffic that actually passed in the trailing window demands — CEN/TR 13201-1 with the
// group's own weights, period weights and bands, the same rule the controller applies, but on
// the true counts rather than the controller's estimate, so a controller that lags a rise is
// caught. Unknown traffic (the first window, a minute missing from the counts) requires the
// design class. Groups without `adaptive` require their design class all night.
// Delivered: level × LLMF(burning hours) × dirt factor / MF for groups with maintenance data
// (the same datasheet curve the controller uses: the replay trusts the datasheet), the level
// itself otherwise.
import type { EdgeConfig, LightingGroupConfig } from '../config/edge-config.js';
import {
  classRatio,
  classSpec,
  DEFAULT_TRAFFIC_BANDS,
  otherWeightsAt,
  trafficWeight,
} from '../control/lighting-class.js';
import { LightingLoop } from '../control/lighting-loop.js';
import { CloTracker, NightHours } from '../control/lumen-maintenance.js';
import { madridOffsetMs } from '../control/madrid-time.js';

const DEFAULT_PERIOD_MIN = 15;
/** A level this much below the requirement counts (levels are rounded to 0.1 %). */
export const UNDER_LIT_TOLERANCE_PCT = 0.5;

interface GroupJudge {
  readonly cfg: LightingGroupConfig;
  readonly windowMs: number;
  /** Arrivals by tick, oldest first; NaN = unknown. */
  readonly arrivals: { t: number; n: number }[];
  readonly clo: CloTracker | undefined;
  /** LLMF × dirt / MF now (once a minute); 1 without maintenance data. */
  deliveredPerLevel: number;
}

export class RequirementJudge {
  readonly #groups: GroupJudge[];
  readonly #schedule: LightingLoop;
  readonly #startMs: number;
  #minute: number | undefined;
  #minuteOfDay = 0;

  /** `config` is the site as installed (its luminaires' real age), whatever strategy runs. */
  constructor(config: EdgeConfig, startMs: number) {
    const nights = new NightHours(config.edge.latitude, config.edge.longitude);
    this.#startMs = startMs;
    this.#schedule = new LightingLoop({
      latitude: config.edge.latitude,
      longitude: config.edge.longitude,
      engine: 'twin',
    });
    this.#groups = config.lightingGroups.map((cfg) => ({
      cfg,
      windowMs: (cfg.adaptive?.periodMin ?? DEFAULT_PERIOD_MIN) * 60_000,
      arrivals: [],
      clo: cfg.maintenance ? new CloTracker(cfg.maintenance, nights) : undefined,
      deliveredPerLevel: 1,
    }));
  }

  /** Records group `g`'s arrivals at tick `t` (NaN: unknown). */
  arrive(g: number, t: number, n: number): void {
    const j = this.#groups[g]!;
    j.arrivals.push({ t, n });
    while (j.arrivals.length > 0 && j.arrivals[0]!.t <= t - j.windowMs) j.arrivals.shift();
  }

  /** Moves the judge's clock; call once per tick before required() and delivered(). */
  advance(t: number): void {
    const minute = Math.floor(t / 60_000);
    if (minute === this.#minute) return;
    this.#minute = minute;
    const local = t + madridOffsetMs(t);
    this.#minuteOfDay = Math.floor((local % 86_400_000) / 60_000);
    for (const j of this.#groups) {
      if (!j.clo) continue;
      const m = j.cfg.maintenance!;
      const state = j.clo.at(t);
      const llmf = state.lumenFraction ?? m.lumenMaintenance.at(-1)!.fraction;
      j.deliveredPerLevel = (llmf * m.dirtFactor) / m.factor;
    }
  }

  /** Required light of group `g` at `t`, % of design maintained light; 0 by day. */
  required(g: number, t: number): number {
    if (this.#schedule.decide(t).day === true) return 0;
    const j = this.#groups[g]!;
    const a = j.cfg.adaptive;
    if (!a || t - this.#startMs < j.windowMs) return 100;
    let vehicles = 0;
    for (const x of j.arrivals) vehicles += x.n;
    if (Number.isNaN(vehicles)) return 100;
    const flow = (vehicles * 3_600_000) / j.windowMs;
    const spec = classSpec(j.cfg.lightingClass);
    const sum =
      otherWeightsAt(a, this.#minuteOfDay).weights +
      trafficWeight(flow, a.capacityVehPerHour, a.trafficBands ?? DEFAULT_TRAFFIC_BANDS);
    const cls = Math.min(6, Math.max(spec.number, Math.floor(6 - sum)));
    return 100 * classRatio(spec.series, spec.number, cls);
  }

  /** Light group `g` gives at a mean commanded level, % of design maintained light. */
  delivered(g: number, levelPct: number): number {
    return levelPct * this.#groups[g]!.deliveredPerLevel;
  }
}
