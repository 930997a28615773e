// A signal plan's timing: stages in order with their greens, the yellow, all-red and minimum
// green. The site file gives one (the built-in fixed-time default, REFERENCE §2); a policy may
// re-time it. The planner that runs it is stage-planner.ts; it only proposes — the supervisor
// decides what the heads show.
import type { IntersectionModel } from './intersection-model.js';
import type { ReasonPart } from '../../common/reasons/reason.js';

/** What the planner may propose for one signal group. */
export type ProposedAspect = 'red' | 'yellow' | 'green';

export interface PlanTiming {
  readonly stages: readonly { readonly groups: readonly string[]; readonly greenS: number }[];
  readonly yellowS: number;
  readonly allRedS: number;
  readonly minGreenS: number;
  readonly cycleS: number;
}

export interface PlanStep {
  readonly aspects: Readonly<Record<string, ProposedAspect>>;
  /** What the plan is doing, for the console: "stage 2/2 green (veh-ns, walk-ns)". */
  readonly label: string;
  /** The same, coded (signal.startup, signal.held or signal.stage, common/reasons/). */
  readonly labelCode: ReasonPart;
  /** Set on the step where a pending timing took effect (at a cycle boundary). */
  readonly timingApplied?: PlanTiming;
  /** The model that goes with timingApplied: the supervisor switches to it after this step. */
  readonly modelApplied?: IntersectionModel;
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
