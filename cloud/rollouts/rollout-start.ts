// Starting a staged rollout: the edges its target matches now, cut into stages by a hash of their
// ids (rollout-plan.ts), the version a failed gate rolls back to, and the record the rollout starts
// with (stored with its version, in the same transaction).
import { v1, type calle } from '../../proto/index.js';
import type { PolicyHistory } from '../policies/policy-history.js';
import type { PolicyDraft } from '../policies/policy-publisher.js';
import { targetMatches } from '../policies/policy-target.js';
import type { CoordinatorStore } from '../store/coordinator-store.js';
import { RolloutError, RolloutErrors } from './rollout-errors.js';
import { DEFAULT_STAGES, planStages, type StagePlan, type StageSize } from './rollout-plan.js';
import type { RolloutRecord } from './rollout-store.js';

export interface RolloutOptions {
  readonly stages?: readonly StageSize[];
  /** Quiet time after a stage's last ack before the next stage; default 60 s. */
  readonly windowMs?: number;
  /** Time a stage may take to be applied by all its edges; default 10 min. */
  readonly stageTimeoutMs?: number;
  /** Version whose content a rollback restores; default: the newest earlier one with the same target. */
  readonly rollbackTo?: number;
}

export interface Plan {
  readonly stages: StagePlan;
  readonly spec: readonly StageSize[];
  readonly rollbackTo: number | undefined;
}

/** A target in one canonical spelling: two targets are the same when these are equal. */
export const normalTarget = (t: calle.v1.PolicyTarget.$Properties | null | undefined): string =>
  JSON.stringify({
    all: t?.allEdges === true,
    districts: [...(t?.districts ?? [])].sort(),
    tags: [...(t?.tags ?? [])].sort(),
    edgeIds: [...(t?.edgeIds ?? [])].sort(),
  });

/** Checks the draft against the registry and plans its stages; throws a RolloutError if it cannot run. */
export async function planRollout(
  store: CoordinatorStore,
  history: PolicyHistory,
  draft: PolicyDraft,
  options: RolloutOptions,
): Promise<Plan> {
  const targeted = (await store.registry.listRegistered())
    .filter((e) => targetMatches(draft.target, e))
    .map((e) => e.id);
  if (targeted.length === 0)
    throw new RolloutError(
      RolloutErrors.NO_EDGES,
      'target: matches no registered edge; a staged rollout needs edges to stage',
    );
  if (options.rollbackTo !== undefined && !(await history.get(options.rollbackTo)))
    throw new RolloutError(
      RolloutErrors.BAD_ROLLBACK,
      `rollbackTo: version ${options.rollbackTo} was never published, so there is nothing to roll back to`,
    );
  const spec = options.stages ?? DEFAULT_STAGES;
  const stages = planStages(targeted, spec);
  const rollbackTo = options.rollbackTo ?? (await previousVersion(store, draft.target));
  return { stages, spec, rollbackTo };
}

/** The newest stored version with the same target: what a failed gate restores. */
async function previousVersion(
  store: CoordinatorStore,
  target: calle.v1.PolicyTarget.$Properties | null | undefined,
): Promise<number | undefined> {
  const wanted = normalTarget(target);
  const stored = await store.policies.after(0);
  for (const { version, bundle } of stored.reverse())
    if (normalTarget(v1.PolicyBundle.decode(bundle).target) === wanted) return version;
  return undefined;
}

/** The record a rollout starts with; its id is its version (unique across coordinators already). */
export function firstRecord(
  version: number,
  draft: PolicyDraft,
  options: RolloutOptions,
  { stages, spec, rollbackTo }: Plan,
  now: number,
): RolloutRecord {
  return {
    id: version,
    version,
    target: draft.target ?? null,
    spec,
    cuts: stages.cuts,
    sizes: stages.sizes,
    releasedStages: 1,
    stageStartedMs: now,
    allAppliedMs: null,
    state: 'running',
    reason: '',
    rollbackTo: rollbackTo ?? null,
    rollbackVersion: null,
    windowMs: options.windowMs ?? 60_000,
    stageTimeoutMs: options.stageTimeoutMs ?? 600_000,
    createdMs: now,
    updatedMs: now,
  };
}
