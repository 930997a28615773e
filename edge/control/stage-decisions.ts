// When a stage ends and which stage follows, per mode. These only decide; the stage planner
// times the change and never ends a green before its minimum, whatever they say.
//
// - fixed-time: each stage for its planned green, in order.
// - actuated (NEMA TS2 style, per stage): after the earliest end (every leaving group's minimum
//   green), the stage gaps out once each leaving vehicle group's detectors have been quiet for
//   the passage time, or maxes out at the leaving groups' maximum green. Stages with no call are
//   skipped; with no call anywhere else the stage rests in green. A group without detectors (and
//   every pedestrian group, which has no push button here) is on recall: always called, and
//   never gaps out, so it runs to its maximum.
// - adaptive: stages chosen and ended by queue pressure (pressure-decider.ts).
// Gaps fit the detector (detector-calls.ts): a presence zone gaps out when empty for
// PRESENCE_GAP_S, a point loop a passage time after its last vehicle.
import type { SignalMode } from '../config/edge-config.js';
import { PRESENCE_GAP_S, type DetectorCalls } from './detector-calls.js';
import { sToMs, type ModelIndex } from './intersection-model.js';
import { PressureDecider } from './pressure-decider.js';
import type { PlanTiming } from './signal-plan.js';
import { websterPlan } from './webster.js';

/** Saturation flow per lane, vehicles per hour of green (the usual planning value). */
export const SATURATION_VPH_PER_LANE = 1800;
/** Adaptive cycle bounds (REFERENCE §2: "for example 30–120 s"). */
export const ADAPTIVE_CYCLE_S = { min: 30, max: 120 } as const;

export interface StageContext {
  readonly nowMs: number;
  readonly stage: number;
  readonly stageStartMs: number;
  readonly stages: PlanTiming['stages'];
  readonly index: ModelIndex;
  readonly calls: DetectorCalls;
  readonly passageS: number;
  readonly adaptEveryCycles: number;
  /** Completed cycles. */
  readonly cycles: number;
  isGreen(group: string): boolean;
  /** A vehicle was seen on the group's detectors since its green ended (or it is on recall). */
  hasCall(group: string): boolean;
  /** Earliest time a change to `next` may be decided (minimum greens). */
  earliestEndMs(next: number): number;
  /** Decision time that gives this stage `greenS` of green before a change to `next`. */
  nominalEndMs(next: number, greenS: number): number;
  /** Latest decision time within the leaving groups' maximum greens (Infinity if none leave). */
  maxEndMs(next: number): number;
  /**
   * Vehicles waiting or passing on the group's detectors now: the halting count where a zone
   * reports one, else 1 per occupied detector; a failed detector counts 1 (it calls).
   */
  demand(group: string): number;
  /** The group runs permissive in stage `stage`: it yields to another group of that stage. */
  yieldsIn(group: string, stage: number): boolean;
}

export interface StageDecider {
  readonly mode: SignalMode;
  /** The stage to change to, now, and why; undefined to stay green. */
  decide(ctx: StageContext): { next: number; why: string } | undefined;
  /** At each cycle boundary, after queued changes were applied. */
  onCycle?(ctx: StageContext): void;
  /** New site timing (from a policy). */
  setTiming?(timing: PlanTiming): void;
}

export function deciderFor(settings: { mode: SignalMode }, _timing: PlanTiming): StageDecider {
  switch (settings.mode) {
    case 'fixed-time':
      return fixedTime;
    case 'actuated':
      return new Actuated();
    case 'adaptive':
      return new PressureDecider();
  }
}

const fixedTime: StageDecider = {
  mode: 'fixed-time',
  decide(ctx) {
    const next = (ctx.stage + 1) % ctx.stages.length;
    const end = ctx.nominalEndMs(next, ctx.stages[ctx.stage]!.greenS);
    return ctx.nowMs >= end ? { next, why: 'end of planned green' } : undefined;
  },
};

class Actuated implements StageDecider {
  readonly mode: SignalMode = 'actuated';

  decide(ctx: StageContext): { next: number; why: string } | undefined {
    const next = nextCalled(ctx);
    if (next === undefined) return undefined; // no conflicting call: rest in green
    if (ctx.nowMs < ctx.earliestEndMs(next)) return undefined;
    if (ctx.nowMs >= this.maxEndMs(ctx, next)) return { next, why: 'max-out' };
    return gappedOut(ctx, next) ? { next, why: 'gap-out' } : undefined;
  }

  maxEndMs(ctx: StageContext, next: number): number {
    return ctx.maxEndMs(next);
  }
}

/**
 * The previous adaptive mode (issue 7): actuated, each stage's maximum from Webster's cycle and
 * split re-computed every few cycles from the counted flows. Kept for comparison; not selected by
 * any mode now.
 */
export class WebsterAdaptive extends Actuated {
  override readonly mode: SignalMode = 'adaptive';
  #greens: number[];

  constructor(timing: PlanTiming) {
    super();
    this.#greens = timing.stages.map((s) => s.greenS);
  }

  /** The Webster greens now in force, per stage (seconds). */
  get greens(): readonly number[] {
    return this.#greens;
  }

  override maxEndMs(ctx: StageContext, next: number): number {
    return Math.min(ctx.maxEndMs(next), ctx.nominalEndMs(next, this.#greens[ctx.stage]!));
  }

  setTiming(timing: PlanTiming): void {
    this.#greens = timing.stages.map((s) => s.greenS);
  }

  onCycle(ctx: StageContext): void {
    if (ctx.cycles === 0 || ctx.cycles % Math.max(1, ctx.adaptEveryCycles) !== 0) return;
    const { counts, windowS } = ctx.calls.takeCounts(ctx.nowMs);
    if (!(windowS > 0)) return;
    const m = ctx.index.model;
    const n = ctx.stages.length;
    // Critical flow ratio of a stage: its busiest detector lane among its vehicle groups.
    const ratios = ctx.stages.map((s) =>
      Math.max(
        0,
        ...s.groups.flatMap((g) =>
          ctx.index.group(g).kind === 'vehicle'
            ? ctx.index
                .group(g)
                .detectors.map((d) => ((counts.get(d) ?? 0) * 3600) / windowS / SATURATION_VPH_PER_LANE)
            : [],
        ),
      ),
    );
    const lostS = ctx.stages.reduce((t, _, i) => t + transitionS(ctx.index, ctx.stages, i, (i + 1) % n), 0);
    // Each stage's minimum: every group's minimum green plus the part of its change that runs
    // inside the stage (a pedestrian clearance longer than the yellow).
    const minGreens = ctx.stages.map((s) =>
      Math.max(...s.groups.map((g) => ctx.index.group(g).minGreenS + ctx.index.group(g).changeS - m.yellowS)),
    );
    this.#greens = websterPlan(lostS, ratios, minGreens, ADAPTIVE_CYCLE_S.min, ADAPTIVE_CYCLE_S.max).greens;
  }
}

/**
 * Seconds from the planned end of stage `from`'s green to the start of stage `to`'s: the vehicle
 * yellow, or longer where an intergreen needs it. Webster's lost time is the sum over a cycle.
 */
export function transitionS(
  index: ModelIndex,
  stages: PlanTiming['stages'],
  from: number,
  to: number,
): number {
  const y = index.model.yellowS;
  const entering = stages[to]!.groups.filter((g) => !stages[from]!.groups.includes(g));
  let t = y;
  for (const c of stages[from]!.groups.filter((g) => !stages[to]!.groups.includes(g))) {
    for (const h of entering) {
      if (index.conflict(c, h)) t = Math.max(t, y - index.group(c).changeS + index.intergreenMs(c, h) / 1000);
    }
  }
  return t;
}

/**
 * The first stage after the current one, in order, with a call on a group it would serve anew: a
 * group not already green, or one green only permissive now that the stage protects. (Without
 * the second, a protected-left stage was never served while its lefts ran permissive in the
 * through stage, issue 14.)
 */
function nextCalled(ctx: StageContext): number | undefined {
  const n = ctx.stages.length;
  for (let k = 1; k < n; k++) {
    const i = (ctx.stage + k) % n;
    const fresh = (g: string): boolean =>
      !ctx.isGreen(g) || (ctx.yieldsIn(g, ctx.stage) && !ctx.yieldsIn(g, i));
    if (ctx.stages[i]!.groups.some((g) => fresh(g) && ctx.hasCall(g))) return i;
  }
  return undefined;
}

/**
 * Every leaving vehicle group with detectors has gone its gap without a vehicle: a presence zone
 * empty for PRESENCE_GAP_S, a point loop a passage time since its last vehicle.
 */
export function gappedOut(ctx: StageContext, next: number): boolean {
  const stay = new Set(ctx.stages[next]!.groups);
  const watched = ctx.stages[ctx.stage]!.groups.filter(
    (g) => !stay.has(g) && ctx.index.group(g).kind === 'vehicle' && ctx.index.group(g).detectors.length > 0,
  );
  if (watched.length === 0) return false; // on recall: runs to its maximum
  return watched.every((g) => ctx.index.group(g).detectors.every((d) => detectorGapped(ctx, d)));
}

/** One detector's gap, by its kind; a failed detector never gaps (it calls, NEMA recall). */
export function detectorGapped(ctx: StageContext, d: string): boolean {
  if (ctx.calls.failed(d)) return false;
  const gapMs = sToMs(ctx.calls.kind(d) === 'presence' ? PRESENCE_GAP_S : ctx.passageS);
  const seen = Math.max(ctx.calls.lastSeenMs(d) ?? -Infinity, ctx.stageStartMs);
  return ctx.nowMs - seen >= gapMs;
}
