// calle's adaptive stage choice (issue 14): a stage is chosen by the demand it would serve and
// ended by queue pressure, with every decision's reason given.
//
// Which stage next — of the stages that would serve demand anew, the one with the most demand
// (max-pressure's choice, Varaiya 2013, on the approach side only); a stage with none is skipped.
// A group that runs permissive in a stage (a left filtering through opposing traffic) counts at
// PERMISSIVE_WEIGHT there, as it discharges only through gaps, and in full in the stage that
// protects it; a left running permissive now calls its protected stage with PROTECT_CALL_VEH
// waiting (protected/permissive phasing decided by demand, REFERENCE §2).
// Demand that has waited counts a little more (WAIT_WEIGHT_S), which breaks ties toward the
// longer wait. A group waiting longer than MAX_WAIT_S (its call since its green ended) is served next,
// whatever the pressures say: the starvation bound.
//
// When the green ends — after every leaving group's minimum green, the first of:
// - max-out: a leaving group's maximum green (the planner's bound);
// - gap-out: every leaving vehicle group gapped (detector-calls.ts: zone empty, loop passage);
// - bay overflow: a group running permissive here has BAY_FULL_VEH halting on its detectors,
//   and a stage protecting it is waiting: act before its queue blocks the through lanes;
// - pressure: the demand waiting elsewhere is PRESSURE_RATIO × the demand still passing here;
// - starvation: a group waited MAX_WAIT_S.
// With no demand anywhere else the stage rests in green.
//
// The planner times every change (minimum green, yellow, intergreens) and the supervisor checks
// it: nothing here can make a change unsafe, only early or late.
import type { SignalMode } from '../config/edge-config.js';
import { gappedOut, type StageContext, type StageDecider } from './stage-decisions.js';
import { sToMs } from './intersection-model.js';

/** A permissive left's demand, relative to a protected one (it discharges only through gaps). */
export const PERMISSIVE_WEIGHT = 0.3;
/** Longest a called group waits before it is served next (s); about two long cycles. */
export const MAX_WAIT_S = 120;
/**
 * A group's demand counts once more for every this many seconds it has waited (s). Mild on
 * purpose: it mostly breaks ties (equal whole-vehicle demands are common) toward the longer wait;
 * 30 s and 120 s helped 2way-single-intersection but cost the tuning nets (mean 1.21 against 1.13).
 */
export const WAIT_WEIGHT_S = 600;
/** Vehicles waiting on a permissive left that call its protected stage. */
export const PROTECT_CALL_VEH = 1;
/** Halting vehicles on a permissive group's detectors that means its bay is about to overflow. */
export const BAY_FULL_VEH = 4;
/** Waiting demand elsewhere, relative to passing demand here, that ends a green. */
export const PRESSURE_RATIO = 8;
/** …and never before this much green (s): a short green wastes its start-up lost time. */
export const PRESSURE_MIN_GREEN_S = 15;

interface Choice {
  readonly stage: number;
  readonly score: number;
  /** Set when chosen because this group waited too long. */
  readonly starved?: string;
}

export class PressureDecider implements StageDecider {
  readonly mode: SignalMode = 'adaptive';
  /** Since when each red vehicle or pedestrian group has had a call. */
  readonly #waitingSince = new Map<string, number>();

  decide(ctx: StageContext): { next: number; why: string } | undefined {
    this.#track(ctx);
    const best = this.#choose(ctx);
    if (best === undefined) return undefined; // no demand elsewhere: rest in green
    const next = best.stage;
    if (ctx.nowMs < ctx.earliestEndMs(next)) return undefined;
    if (best.starved !== undefined)
      return {
        next,
        why: `starvation: ${best.starved} waited ${Math.round((ctx.nowMs - this.#waitingSince.get(best.starved)!) / 1000)} s`,
      };
    if (ctx.nowMs >= ctx.maxEndMs(next)) return { next, why: 'max-out' };
    if (gappedOut(ctx, next)) return { next, why: 'gap-out' };
    const overflow = this.#overflowing(ctx, next);
    if (overflow !== undefined) return { next, why: `bay overflow: ${overflow}` };
    const here = this.#passing(ctx, next);
    const greenS = (ctx.nowMs - ctx.stageStartMs) / 1000;
    if (greenS >= PRESSURE_MIN_GREEN_S && best.score >= PRESSURE_RATIO * Math.max(1, here))
      return { next, why: `pressure: ${best.score.toFixed(1)} waiting vs ${here} passing` };
    return undefined;
  }

  /** Waiting times: a group's wait starts with its first call while not green. */
  #track(ctx: StageContext): void {
    for (const g of ctx.index.ids) {
      if (ctx.isGreen(g) || !ctx.hasCall(g)) this.#waitingSince.delete(g);
      else if (!this.#waitingSince.has(g)) this.#waitingSince.set(g, ctx.nowMs);
    }
  }

  /**
   * The stage to go to next: of those that would serve demand anew, the one with the most demand
   * (max-pressure's choice, Varaiya 2013, on the approach side); stages with none are skipped. A
   * starving group's stage comes first. Measured on the tuning nets (issue 14): this free order
   * beat the plan's cyclic order with skipping (mean 1.14 against 1.40 × the fair baseline).
   */
  #choose(ctx: StageContext): Choice | undefined {
    const n = ctx.stages.length;
    let starved: string | undefined;
    for (const [g, since] of this.#waitingSince)
      if (
        ctx.nowMs - since >= sToMs(MAX_WAIT_S) &&
        (starved === undefined || since < this.#waitingSince.get(starved)!)
      )
        starved = g;
    let best: Choice | undefined;
    for (let k = 1; k < n; k++) {
      const i = (ctx.stage + k) % n;
      const score = this.#score(ctx, i);
      if (score === undefined) continue;
      if (starved !== undefined && ctx.stages[i]!.groups.includes(starved))
        return { stage: i, score, starved };
      if (best === undefined || score > best.score) best = { stage: i, score };
    }
    return best;
  }

  /**
   * Demand stage `i` would serve, or undefined when it would serve nobody new: no called group
   * that is red now, nor a group green only permissive now, protected in `i`, with at least
   * PROTECT_CALL_VEH waiting.
   */
  #score(ctx: StageContext, i: number): number | undefined {
    let fresh = false;
    let score = 0;
    for (const g of ctx.stages[i]!.groups) {
      const called = ctx.hasCall(g);
      const vehicle = ctx.index.group(g).kind === 'vehicle';
      const d = vehicle ? Math.max(ctx.demand(g), called ? 1 : 0) : 0;
      if (called && !ctx.isGreen(g)) fresh = true;
      else if (ctx.isGreen(g) && ctx.yieldsIn(g, ctx.stage) && !ctx.yieldsIn(g, i) && d >= PROTECT_CALL_VEH)
        fresh = true;
      // Demand that has waited longer weighs more, so one approach's stages cannot take turns
      // while another waits (pure max-pressure ping-pongs between the two stages of a busy road).
      const since = this.#waitingSince.get(g);
      const aged = since === undefined ? d : d * (1 + (ctx.nowMs - since) / sToMs(WAIT_WEIGHT_S));
      score += ctx.yieldsIn(g, i) ? PERMISSIVE_WEIGHT * aged : aged;
    }
    return fresh ? score : undefined;
  }

  /** A group permissive in the current stage whose queue fills its bay, protected in `next`. */
  #overflowing(ctx: StageContext, next: number): string | undefined {
    for (const g of ctx.stages[ctx.stage]!.groups) {
      if (!ctx.yieldsIn(g, ctx.stage) || ctx.yieldsIn(g, next) || !ctx.stages[next]!.groups.includes(g))
        continue;
      if (ctx.demand(g) >= BAY_FULL_VEH) return `${g} has ${ctx.demand(g)} waiting`;
    }
    return undefined;
  }

  /** Demand still passing on the leaving vehicle groups that run protected here. */
  #passing(ctx: StageContext, next: number): number {
    const stay = new Set(ctx.stages[next]!.groups);
    let here = 0;
    for (const g of ctx.stages[ctx.stage]!.groups)
      if (!stay.has(g) && ctx.index.group(g).kind === 'vehicle' && !ctx.yieldsIn(g, ctx.stage))
        here += ctx.demand(g);
    return here;
  }
}
