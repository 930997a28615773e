// The safety-relevant description of one intersection: its signal groups with their minimum and
// maximum greens and change intervals, which pairs conflict, and the intergreen for every ordered
// conflicting pair. Built from the site configuration (or a SUMO net, sumo-net-model.ts), checked
// once, then shared by the planner (which must respect it by construction) and the supervisor
// (which refuses anything that does not).
//
// Sources (REFERENCE §2): yellow 3–6 s (ITE change interval; an MMU flags < 2.7 s); pedestrian walk
// ≥ 7 s and clearance = crossing length / 1.07 m/s (3.5 ft/s), rounded up to whole seconds.
// Intergreen (RiLSA "Zwischenzeit", EN 12675 intergreen): end of the clearing group's green to
// the start of the entering group's green; by default the clearing group's change interval plus
// the all-red.
import type { IntersectionConfig, SignalPlanConfig } from '../config/edge-config.js';

/** Yellow never below 3 s, whatever the policy says (an MMU flags less than 2.7 s). */
export const MIN_YELLOW_S = 3;
/** Pedestrian walk of at least 7 s (REFERENCE §2). */
export const MIN_WALK_S = 7;
/** Design walking speed for the clearance interval, m/s (3.5 ft/s, REFERENCE §2). */
export const PED_CLEARANCE_SPEED_MS = 1.07;

export interface ModelGroup {
  readonly id: string;
  readonly kind: 'vehicle' | 'pedestrian';
  /** Shortest green (for a pedestrian group: the walk). */
  readonly minGreenS: number;
  /** Longest green an actuated or adaptive planner may give (the planner's business). */
  readonly maxGreenS: number;
  /**
   * Length of the group's yellow aspect: the vehicle yellow, or for a pedestrian group the
   * clearance (flashing green on Spanish heads), never below MIN_YELLOW_S.
   */
  readonly changeS: number;
  /** Detector device ids that call and extend this group (empty: on recall). */
  readonly detectors: readonly string[];
}

export interface IntersectionModel {
  readonly groups: readonly ModelGroup[];
  /** Pairs that may never show green or yellow together. */
  readonly conflicts: readonly (readonly [string, string])[];
  /** Intergreen per ordered conflicting pair, key `from>to`, seconds. Complete for every conflict. */
  readonly intergreenS: Readonly<Record<string, number>>;
  /** The vehicle yellow of the plan. */
  readonly yellowS: number;
  readonly allRedS: number;
}

/** Pedestrian clearance for a crossing, whole seconds, never below the yellow floor. */
export function pedestrianClearanceS(crossingM: number): number {
  return Math.max(MIN_YELLOW_S, Math.ceil(crossingM / PED_CLEARANCE_SPEED_MS));
}

/**
 * The model of a configured intersection under a plan's timing (the site's, or one a policy
 * gives). Per-group settings override the plan's: minGreenS (never below the plan's), maxGreenS
 * (default: the longest stage green that holds the group), walkS, crossingM.
 */
export function modelFromConfig(
  cfg: IntersectionConfig,
  plan: SignalPlanConfig = cfg.plan,
): IntersectionModel {
  const groups = cfg.signalGroups.map((g): ModelGroup => {
    const ped = g.kind === 'pedestrian';
    const minGreenS = Math.max(plan.minGreenS, g.minGreenS ?? 0, ped ? (g.walkS ?? MIN_WALK_S) : 0);
    const planMax = Math.max(0, ...plan.stages.filter((s) => s.groups.includes(g.id)).map((s) => s.greenS));
    return {
      id: g.id,
      kind: g.kind,
      minGreenS,
      maxGreenS: Math.max(minGreenS, g.maxGreenS ?? planMax),
      // Without a crossing length the clearance falls back to the vehicle yellow (the old rule).
      changeS:
        ped && g.crossingM !== undefined
          ? Math.max(plan.yellowS, pedestrianClearanceS(g.crossingM))
          : plan.yellowS,
      detectors: g.detectors ?? [],
    };
  });
  const change = new Map(groups.map((g) => [g.id, g.changeS]));
  const intergreenS: Record<string, number> = {};
  for (const [a, b] of cfg.conflicts) {
    intergreenS[`${a}>${b}`] = (change.get(a) ?? plan.yellowS) + plan.allRedS;
    intergreenS[`${b}>${a}`] = (change.get(b) ?? plan.yellowS) + plan.allRedS;
  }
  for (const x of cfg.intergreen ?? []) intergreenS[`${x.from}>${x.to}`] = x.s;
  return { groups, conflicts: cfg.conflicts, intergreenS, yellowS: plan.yellowS, allRedS: plan.allRedS };
}

/**
 * Everything that makes a model unusable, as sentences naming the item. The supervisor refuses
 * such a model outright; the config loader reports the same problems at start.
 */
export function modelProblems(m: IntersectionModel): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  const finite = (v: number): boolean => typeof v === 'number' && Number.isFinite(v);
  if (!(finite(m.yellowS) && m.yellowS >= MIN_YELLOW_S))
    problems.push(`yellow ${m.yellowS} s is below ${MIN_YELLOW_S} s`);
  if (!(finite(m.allRedS) && m.allRedS >= 0)) problems.push(`all-red ${m.allRedS} s must be ≥ 0`);
  for (const g of m.groups) {
    if (ids.has(g.id)) problems.push(`group "${g.id}": duplicate id`);
    ids.add(g.id);
    if (!(finite(g.minGreenS) && g.minGreenS > 0))
      problems.push(`group "${g.id}": min green ${g.minGreenS} s must be > 0`);
    if (g.kind === 'pedestrian' && !(g.minGreenS >= MIN_WALK_S))
      problems.push(`group "${g.id}": walk ${g.minGreenS} s is below ${MIN_WALK_S} s`);
    if (!(finite(g.maxGreenS) && g.maxGreenS >= g.minGreenS))
      problems.push(`group "${g.id}": max green ${g.maxGreenS} s is below its min green ${g.minGreenS} s`);
    if (!(finite(g.changeS) && g.changeS >= MIN_YELLOW_S))
      problems.push(`group "${g.id}": yellow/clearance ${g.changeS} s is below ${MIN_YELLOW_S} s`);
  }
  const change = new Map(m.groups.map((g) => [g.id, g.changeS]));
  const conflicting = new Set<string>();
  for (const [a, b] of m.conflicts) {
    if (!ids.has(a) || !ids.has(b)) problems.push(`conflict ["${a}", "${b}"]: unknown group`);
    else if (a === b) problems.push(`conflict ["${a}", "${b}"]: a group cannot conflict with itself`);
    conflicting.add(`${a}>${b}`).add(`${b}>${a}`);
  }
  for (const key of conflicting) {
    const [from, to] = key.split('>') as [string, string];
    const s = m.intergreenS[key];
    if (s === undefined || !finite(s)) problems.push(`intergreen ${from} → ${to}: missing`);
    else if (change.has(from) && s < change.get(from)!)
      problems.push(
        `intergreen ${from} → ${to}: ${s} s is shorter than the yellow/clearance ${change.get(from)} s of "${from}"`,
      );
  }
  for (const key of Object.keys(m.intergreenS)) {
    if (!conflicting.has(key))
      problems.push(`intergreen ${key.replace('>', ' → ')}: the groups do not conflict`);
  }
  return problems;
}

/** Fast lookups over a checked model, shared by the planner and the supervisor. */
export class ModelIndex {
  readonly model: IntersectionModel;
  readonly ids: readonly string[];
  readonly byId: ReadonlyMap<string, ModelGroup>;
  readonly #conflicts: Map<string, Set<string>>;

  constructor(model: IntersectionModel) {
    this.model = model;
    this.ids = model.groups.map((g) => g.id);
    this.byId = new Map(model.groups.map((g) => [g.id, g]));
    this.#conflicts = new Map(this.ids.map((g) => [g, new Set<string>()]));
    for (const [a, b] of model.conflicts) {
      this.#conflicts.get(a)?.add(b);
      this.#conflicts.get(b)?.add(a);
    }
  }

  group(id: string): ModelGroup {
    return this.byId.get(id)!;
  }

  conflictsOf(id: string): ReadonlySet<string> {
    return this.#conflicts.get(id) ?? new Set();
  }

  conflict(a: string, b: string): boolean {
    return this.#conflicts.get(a)?.has(b) ?? false;
  }

  /** Intergreen from `from` (clearing) to `to` (entering), ms. */
  intergreenMs(from: string, to: string): number {
    return sToMs(this.model.intergreenS[`${from}>${to}`] ?? 0);
  }
}

/**
 * Seconds to whole milliseconds. The planner and the supervisor compare durations in ms through
 * this one function, so a rounding difference can never make a correct planner trip.
 */
export const sToMs = (s: number): number => Math.round(s * 1000);
