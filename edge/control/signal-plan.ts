// A fixed-time signal plan: stages in order, each green for its time, then yellow for the groups
// that leave and all-red before the next stage's groups start. This is the planner of the
// built-in default (REFERENCE §2, "signals on a fixed-time plan"); it only proposes — the
// supervisor decides what the heads show.
//
// Intervals are timed from the tick that entered them, not from a nominal schedule: a late tick
// then lengthens an interval instead of shortening the next one below its minimum (which the
// supervisor would rightly treat as a violation). The cycle drifts by at most one tick per
// interval; a coordinated corridor would need a reference clock, which is not this plan's job.

/** What the planner may propose for one signal group. */
export type ProposedAspect = 'red' | 'yellow' | 'green';

export interface PlanTiming {
  readonly stages: readonly { readonly groups: readonly string[]; readonly greenS: number }[];
  readonly yellowS: number;
  readonly allRedS: number;
  readonly minGreenS: number;
  readonly cycleS: number;
}

type Interval = { kind: 'startup' } | { kind: 'green' | 'yellow' | 'all-red'; stage: number };

export interface PlanStep {
  readonly aspects: Readonly<Record<string, ProposedAspect>>;
  /** What the plan is doing, for the console: "stage 2/2 green (veh-ns, walk-ns)". */
  readonly label: string;
  /** Set on the step where a pending timing took effect (at the start of stage 1). */
  readonly timingApplied?: PlanTiming;
}

/**
 * Scales a plan's greens to a new cycle length, keeping their proportions (a policy sets the cycle
 * and the intervals; the site's stage split stays). Returns the problem when a green would fall
 * below the minimum.
 */
export function retime(
  base: PlanTiming,
  t: { cycleS: number; yellowS: number; allRedS: number; minGreenS: number },
): PlanTiming | string {
  const lost = base.stages.length * (t.yellowS + t.allRedS);
  const greens = base.stages.reduce((s, x) => s + x.greenS, 0);
  const available = t.cycleS - lost;
  const stages = base.stages.map((s) => ({
    groups: s.groups,
    greenS: Math.floor((s.greenS * available) / greens),
  }));
  const shortest = Math.min(...stages.map((s) => s.greenS));
  if (shortest < t.minGreenS) {
    return `a ${t.cycleS} s cycle leaves ${shortest} s of green for a stage, below min_green_s ${t.minGreenS}`;
  }
  // Give the rounding remainder to the first stage so the cycle is exact.
  const first = stages[0]!;
  stages[0] = {
    groups: first.groups,
    greenS: first.greenS + available - stages.reduce((s, x) => s + x.greenS, 0),
  };
  return { ...t, stages };
}

export class FixedTimePlan {
  readonly #groups: readonly string[];
  #timing: PlanTiming;
  #pending: PlanTiming | undefined;
  #interval: Interval = { kind: 'startup' };
  #enteredMs: number;

  constructor(groups: readonly string[], timing: PlanTiming, nowMs: number) {
    this.#groups = groups;
    this.#timing = timing;
    this.#enteredMs = nowMs;
  }

  get timing(): PlanTiming {
    return this.#pending ?? this.#timing;
  }

  /** Queues new timing; it takes effect when the plan next starts stage 1 (a cycle boundary). */
  setTiming(timing: PlanTiming): void {
    this.#pending = timing;
  }

  /** Starts again from an all-red start-up interval, for example after a latch is cleared. */
  restart(nowMs: number): void {
    this.#interval = { kind: 'startup' };
    this.#enteredMs = nowMs;
  }

  /** Advances at most one interval and returns what every group should show. */
  step(nowMs: number): PlanStep {
    let applied: PlanTiming | undefined;
    if (nowMs - this.#enteredMs >= this.#durationMs(this.#interval)) {
      this.#interval = this.#next(this.#interval);
      this.#enteredMs = nowMs;
      if (this.#interval.kind === 'green' && this.#interval.stage === 0 && this.#pending) {
        this.#timing = this.#pending;
        applied = this.#pending;
        this.#pending = undefined;
      }
    }
    return {
      aspects: this.#aspects(this.#interval),
      label: this.#label(this.#interval),
      ...(applied ? { timingApplied: applied } : {}),
    };
  }

  #durationMs(iv: Interval): number {
    const t = this.#timing;
    switch (iv.kind) {
      case 'startup':
        return Math.max(t.allRedS, 1) * 1000;
      case 'green':
        return t.stages[iv.stage]!.greenS * 1000;
      case 'yellow':
        return t.yellowS * 1000;
      case 'all-red':
        return t.allRedS * 1000;
    }
  }

  #next(iv: Interval): Interval {
    const n = this.#timing.stages.length;
    switch (iv.kind) {
      case 'startup':
        return { kind: 'green', stage: 0 };
      case 'green':
        return { kind: 'yellow', stage: iv.stage };
      case 'yellow':
        return this.#timing.allRedS > 0
          ? { kind: 'all-red', stage: iv.stage }
          : { kind: 'green', stage: (iv.stage + 1) % n };
      case 'all-red':
        return { kind: 'green', stage: (iv.stage + 1) % n };
    }
  }

  #aspects(iv: Interval): Record<string, ProposedAspect> {
    const out: Record<string, ProposedAspect> = Object.fromEntries(
      this.#groups.map((g) => [g, 'red' as const]),
    );
    if (iv.kind === 'startup') return out;
    const stages = this.#timing.stages;
    const current = new Set(stages[iv.stage]!.groups);
    const next = new Set(stages[(iv.stage + 1) % stages.length]!.groups);
    for (const g of current) {
      // A group in both this stage and the next keeps its green through the change.
      out[g] = iv.kind === 'green' || next.has(g) ? 'green' : iv.kind === 'yellow' ? 'yellow' : 'red';
    }
    return out;
  }

  #label(iv: Interval): string {
    if (iv.kind === 'startup') return 'start-up all-red';
    const stages = this.#timing.stages;
    return `stage ${iv.stage + 1}/${stages.length} ${iv.kind} (${stages[iv.stage]!.groups.join(', ')})`;
  }
}
