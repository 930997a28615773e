// The signal planner: runs an intersection's stages in order, with every change between stages
// timed from the model (each leaving group's yellow or pedestrian clearance, then the intergreen
// to each entering group). WHEN a stage ends and WHICH stage comes next is the mode's decision
// (stage-decisions.ts: fixed-time, actuated, adaptive); HOW it changes is here, the same for all
// modes, and correct by construction: a group never leaves green before its minimum, never
// leaves yellow before its change interval, never enters green before every intergreen from a
// conflicting group has run. The supervisor checks all of it again independently.
//
// Leaving groups end together: each one's green ends early by (longest change − its own change),
// so a pedestrian clearance longer than the vehicle yellow runs during the end of the vehicles'
// green (a flashing-green pedestrian head while vehicles still have green, as on Madrid's
// crossings) and all leaving groups reach red at once. A fixed-time cycle is then exactly
// Σ greens + Σ transitions, as the site file states it.
//
// Intervals are timed from the tick that entered them: a late tick lengthens an interval instead
// of shortening the next one below its minimum. Plan, timing and mode changes wait for the next
// cycle boundary (entering a stage at or before the current one in stage order).
import type { SignalMode } from '../config/edge-config.js';
import { DetectorCalls, type DetectorReadings } from './detector-calls.js';
import { ModelIndex, modelProblems, sToMs, type IntersectionModel } from './intersection-model.js';
import type { PlanStep, PlanTiming, ProposedAspect } from './signal-plan.js';
import { deciderFor, type StageContext, type StageDecider } from './stage-decisions.js';
import { part, type ReasonPart } from '../../common/reasons/reason.js';
import { planText } from '../../common/reasons/reason-catalogue.js';

export interface PlannerSettings {
  readonly mode: SignalMode;
  readonly passageS: number;
  readonly adaptEveryCycles: number;
}

/** What the model does not say but the decisions use. */
export interface PlannerOptions {
  /**
   * [yielding, priority] pairs the model treats as compatible: the yielding group runs permissive
   * (minor green) while the other is green (sumo-net-model.ts `permissive`).
   */
  readonly permissive?: readonly (readonly [string, string])[];
}

type Phase =
  | { kind: 'startup' }
  | { kind: 'green'; stage: number; startMs: number }
  | { kind: 'clearing'; from: number; to: number; endGreenMs: Map<string, number>; why: string }
  /** Drained for a manual flash: every group red, yellows run out; nothing more is proposed. */
  | { kind: 'held' };

export class StagePlanner {
  #index: ModelIndex;
  #timing: PlanTiming;
  #settings: PlannerSettings;
  #decider: StageDecider;
  #pending: { timing?: PlanTiming; index?: ModelIndex; settings?: PlannerSettings } = {};
  readonly #calls: DetectorCalls;
  readonly #detectors: readonly string[];
  #phase: Phase = { kind: 'startup' };
  /** A manual flash was asked for: end the stage (minimum green kept) and hold all red. */
  #draining = false;
  #startMs = 0;
  #cycles = 0;
  readonly #aspect = new Map<string, ProposedAspect>();
  readonly #sinceMs = new Map<string, number>();
  readonly #greenStartMs = new Map<string, number>();
  readonly #greenEndMs = new Map<string, number>();
  /** Group → the groups it yields to when both are green. */
  readonly #yieldsTo = new Map<string, Set<string>>();

  constructor(
    model: IntersectionModel,
    timing: PlanTiming,
    settings: PlannerSettings,
    nowMs: number,
    opts: PlannerOptions = {},
  ) {
    for (const [y, p] of opts.permissive ?? [])
      (this.#yieldsTo.get(y) ?? this.#yieldsTo.set(y, new Set()).get(y)!).add(p);
    this.#index = checkedPlan(model, timing);
    this.#timing = timing;
    this.#settings = settings;
    this.#decider = deciderFor(settings, timing);
    this.#calls = new DetectorCalls(nowMs);
    this.#detectors = [...new Set(model.groups.flatMap((g) => g.detectors))];
    this.restart(nowMs);
  }

  get mode(): SignalMode {
    return (this.#pending.settings ?? this.#settings).mode;
  }

  get timing(): PlanTiming {
    return this.#pending.timing ?? this.#timing;
  }

  /** True while new timing waits for the next cycle boundary. */
  get timingPending(): boolean {
    return this.#pending.timing !== undefined;
  }

  /** Completed cycles since start (adaptive re-optimises every few). */
  get cycles(): number {
    return this.#cycles;
  }

  /** Queues new timing and its model (same groups and conflicts); both apply at the next boundary. */
  setTiming(timing: PlanTiming, model: IntersectionModel): void {
    this.#pending.index = checkedPlan(model, timing);
    this.#pending.timing = timing;
  }

  /** Queues a new mode (and its actuation settings) for the next cycle boundary. */
  setSettings(settings: PlannerSettings): void {
    this.#pending.settings = settings;
  }

  /**
   * Ends the running stage as any stage change would (minimum green, yellow or clearance), then
   * holds every group red instead of entering the next stage: the way into a manual flash. Only
   * restart() undoes it.
   */
  drain(): void {
    this.#draining = true;
  }

  /** Every group is red with its yellow complete, and stays so: the supervisor may flash. */
  get drained(): boolean {
    return this.#phase.kind === 'held';
  }

  /**
   * Starts again from all red, as the supervisor does: after a latch is cleared as if every group
   * had just ended its yellow; after a manual flash (`fullIntergreen`) as if every group had just
   * ended its green, so the first green waits the whole intergreen.
   */
  restart(nowMs: number, fullIntergreen = false): void {
    this.#draining = false;
    this.#phase = { kind: 'startup' };
    this.#startMs = nowMs;
    for (const g of this.#index.model.groups) {
      this.#aspect.set(g.id, 'red');
      this.#sinceMs.set(g.id, nowMs);
      this.#greenEndMs.set(g.id, nowMs - (fullIntergreen ? 0 : sToMs(g.changeS)));
    }
  }

  /** Advances the intersection and returns what every group should show. */
  step(nowMs: number, readings: DetectorReadings = new Map()): PlanStep {
    this.#calls.update(nowMs, this.#detectors, readings);
    let applied: PlanStep['timingApplied'];
    let model: IntersectionModel | undefined;
    const ph = this.#phase;
    if (this.#draining) this.#drainStep(nowMs);
    else if (ph.kind === 'startup') {
      if (nowMs - this.#startMs >= 1000 && this.#mayEnter(this.#timing.stages[0]!.groups, nowMs)) {
        ({ applied, model } = this.#enter(0, undefined, nowMs));
      }
    } else if (ph.kind === 'green') {
      const d = this.#decider.decide(this.#context(ph.stage, ph.startMs, nowMs));
      if (d && d.next !== ph.stage && nowMs >= this.#earliestEndMs(ph.stage, d.next)) {
        const leaving = this.#leaving(ph.stage, d.next);
        const longest = Math.max(
          this.#index.model.yellowS,
          ...leaving.map((g) => this.#index.group(g).changeS),
        );
        const endGreenMs = new Map(
          leaving.map((g) => [g, nowMs + sToMs(longest) - sToMs(this.#index.group(g).changeS)]),
        );
        this.#phase = { kind: 'clearing', from: ph.stage, to: d.next, endGreenMs, why: d.why };
      }
    }
    if (this.#phase.kind === 'clearing') {
      const cl = this.#phase;
      if (this.#draining) {
        // Groups that were to stay green into the next stage leave too, with the same lead.
        for (const [g, a] of this.#aspect)
          if (a === 'green' && !cl.endGreenMs.has(g)) cl.endGreenMs.set(g, nowMs);
      }
      for (const [g, endMs] of cl.endGreenMs) {
        const group = this.#index.group(g);
        const a = this.#aspect.get(g);
        if (a === 'green' && nowMs >= endMs && nowMs - this.#greenStartMs.get(g)! >= sToMs(group.minGreenS)) {
          this.#set(g, 'yellow', nowMs);
        } else if (a === 'yellow' && nowMs - this.#sinceMs.get(g)! >= sToMs(group.changeS)) {
          this.#set(g, 'red', nowMs);
        }
      }
      const allRed = [...cl.endGreenMs.keys()].every((g) => this.#aspect.get(g) === 'red');
      if (allRed && this.#draining) {
        if ([...this.#aspect.values()].every((a) => a === 'red')) this.#phase = { kind: 'held' };
      } else if (allRed && this.#mayEnter(this.#timing.stages[cl.to]!.groups, nowMs)) {
        ({ applied, model } = this.#enter(cl.to, cl.from, nowMs));
      }
    }
    return {
      aspects: Object.fromEntries(this.#aspect),
      ...labelled(this.#label()),
      ...(applied ? { timingApplied: applied } : {}),
      ...(model ? { modelApplied: model } : {}),
    };
  }

  /** While draining: start the clearing of the green stage once its minimum greens allow it. */
  #drainStep(nowMs: number): void {
    const ph = this.#phase;
    if (ph.kind === 'startup') {
      this.#phase = { kind: 'held' };
    } else if (ph.kind === 'green') {
      const leaving = this.#timing.stages[ph.stage]!.groups.filter((g) => this.#aspect.get(g) === 'green');
      const longest = Math.max(
        this.#index.model.yellowS,
        ...leaving.map((g) => this.#index.group(g).changeS),
      );
      // Each leaving group's green ends early by (longest change − its own): all reach red together,
      // and none before its minimum green (checked again in the clearing step).
      const endGreenMs = new Map(
        leaving.map((g) => [g, nowMs + sToMs(longest) - sToMs(this.#index.group(g).changeS)]),
      );
      this.#phase = { kind: 'clearing', from: ph.stage, to: ph.stage, endGreenMs, why: 'manual flash' };
    }
  }

  #set(g: string, a: ProposedAspect, nowMs: number): void {
    if (this.#aspect.get(g) === 'green') this.#greenEndMs.set(g, nowMs);
    if (a === 'green') this.#greenStartMs.set(g, nowMs);
    this.#aspect.set(g, a);
    this.#sinceMs.set(g, nowMs);
  }

  /** Every entering group is red-cleared: each conflicting group red for its full intergreen. */
  #mayEnter(groups: readonly string[], nowMs: number): boolean {
    return groups.every(
      (h) =>
        this.#aspect.get(h) === 'green' ||
        [...this.#index.conflictsOf(h)].every(
          (c) =>
            this.#aspect.get(c) === 'red' &&
            nowMs - this.#greenEndMs.get(c)! >= this.#index.intergreenMs(c, h),
        ),
    );
  }

  #enter(
    stage: number,
    from: number | undefined,
    nowMs: number,
  ): { applied?: PlanTiming; model?: IntersectionModel } {
    for (const g of this.#timing.stages[stage]!.groups)
      if (this.#aspect.get(g) !== 'green') this.#set(g, 'green', nowMs);
    this.#phase = { kind: 'green', stage, startMs: nowMs };
    if (from !== undefined && stage > from) return {};
    // A cycle boundary: queued changes take effect now, after this step was decided under the old.
    this.#cycles += from === undefined ? 0 : 1;
    const out: { applied?: PlanTiming; model?: IntersectionModel } = {};
    const p = this.#pending;
    this.#pending = {};
    if (p.timing && p.index) {
      this.#timing = p.timing;
      this.#index = p.index;
      out.applied = p.timing;
      out.model = p.index.model;
    }
    if (p.settings) {
      this.#settings = p.settings;
      this.#decider = deciderFor(p.settings, this.#timing);
    } else if (p.timing) {
      this.#decider.setTiming?.(this.#timing);
    }
    this.#decider.onCycle?.(this.#context(stage, nowMs, nowMs));
    return out;
  }

  #leaving(from: number, to: number): string[] {
    const next = new Set(this.#timing.stages[to]!.groups);
    return this.#timing.stages[from]!.groups.filter((g) => !next.has(g));
  }

  /** The earliest a change from→to may be decided so every leaving group has had its minimum green. */
  #earliestEndMs(from: number, to: number): number {
    const leaving = this.#leaving(from, to);
    const longest = Math.max(this.#index.model.yellowS, ...leaving.map((g) => this.#index.group(g).changeS));
    let t = -Infinity;
    for (const g of leaving) {
      const group = this.#index.group(g);
      t = Math.max(
        t,
        this.#greenStartMs.get(g)! + sToMs(group.minGreenS) - sToMs(longest) + sToMs(group.changeS),
      );
    }
    return t;
  }

  #context(stage: number, stageStartMs: number, nowMs: number): StageContext {
    const lead = (from: number, to: number): number => {
      const leaving = this.#leaving(from, to);
      return sToMs(Math.max(this.#index.model.yellowS, ...leaving.map((g) => this.#index.group(g).changeS)));
    };
    return {
      nowMs,
      stage,
      stageStartMs,
      stages: this.#timing.stages,
      index: this.#index,
      calls: this.#calls,
      passageS: this.#settings.passageS,
      adaptEveryCycles: this.#settings.adaptEveryCycles,
      cycles: this.#cycles,
      isGreen: (g) => this.#aspect.get(g) === 'green',
      hasCall: (g) => {
        const dets = this.#index.group(g).detectors;
        if (dets.length === 0) return true; // recall: no detectors (pedestrian heads have no buttons yet)
        const since = this.#greenEndMs.get(g)!;
        return dets.some((d) => (this.#calls.lastSeenMs(d) ?? -Infinity) > since || this.#calls.failed(d));
      },
      earliestEndMs: (to) => this.#earliestEndMs(stage, to),
      demand: (g) => {
        let n = 0;
        for (const d of this.#index.group(g).detectors) {
          if (this.#calls.failed(d)) n += 1;
          else n += Math.max(this.#calls.queue(d) ?? 0, this.#calls.occupied(d) ? 1 : 0);
        }
        return n;
      },
      yieldsIn: (g, s) => {
        const to = this.#yieldsTo.get(g);
        return to !== undefined && this.#timing.stages[s]!.groups.some((h) => to.has(h));
      },
      nominalEndMs: (to, greenS) =>
        stageStartMs + sToMs(greenS + this.#index.model.yellowS) - lead(stage, to),
      maxEndMs: (to) => {
        let t = Infinity;
        for (const g of this.#leaving(stage, to)) {
          const group = this.#index.group(g);
          t = Math.min(
            t,
            this.#greenStartMs.get(g)! + sToMs(group.maxGreenS) - lead(stage, to) + sToMs(group.changeS),
          );
        }
        return t;
      },
    };
  }

  /** What the plan does now, coded (common/reasons/); `label` is its English without "plan: ". */
  #label(): ReasonPart {
    const ph = this.#phase;
    const n = this.#timing.stages.length;
    const mode = this.#settings.mode === 'fixed-time' ? '' : this.#settings.mode;
    if (ph.kind === 'startup') return part('signal.startup');
    if (ph.kind === 'held') return part('signal.held');
    const stage = ph.kind === 'green' ? ph.stage : ph.from;
    const groups = this.#timing.stages[stage]!.groups.join(', ');
    const at = { stage: stage + 1, of: n, groups, mode };
    if (ph.kind === 'green') return part('signal.stage', { ...at, interval: 'green', why: '' });
    const leaving = [...ph.endGreenMs.keys()].map((g) => this.#aspect.get(g));
    const kind = leaving.includes('yellow') ? 'yellow' : leaving.includes('green') ? 'clearance' : 'all-red';
    return part('signal.stage', { ...at, interval: kind, why: kind === 'all-red' ? '' : ph.why });
  }
}

/** A plan step's label in English and coded. */
function labelled(code: ReasonPart): { label: string; labelCode: ReasonPart } {
  return { label: planText(code.code, code.params), labelCode: code };
}

/** The model must be usable and no stage may hold two conflicting groups. Throws a RangeError. */
function checkedPlan(model: IntersectionModel, timing: PlanTiming): ModelIndex {
  const problems = modelProblems(model);
  const index = new ModelIndex(model);
  if (timing.stages.length === 0) problems.push('the plan has no stage');
  timing.stages.forEach((s, i) => {
    for (const [k, a] of s.groups.entries()) {
      if (!index.byId.has(a)) problems.push(`stage ${i + 1}: unknown group "${a}"`);
      for (const b of s.groups.slice(k + 1))
        if (index.conflict(a, b)) problems.push(`stage ${i + 1}: conflicting groups "${a}" and "${b}"`);
    }
  });
  if (problems.length > 0) throw new RangeError(`unusable signal plan: ${problems.join('; ')}`);
  return index;
}
