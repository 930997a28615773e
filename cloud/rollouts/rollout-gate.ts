// A rollout stage's health gate as one decision: given the record, the registered edges, the
// verdicts on its version and the critical alarms since the stage was released, what happens now.
// Deterministic, time passed in, no I/O: the manager (rollout-manager.ts) reads and writes, this
// file decides (the planner proposes, the manager disposes).
import type { calle } from '../../proto/index.js';
import { targetMatches } from '../policies/policy-target.js';
import type { AlarmRow, EdgeView, PolicyAckRow } from '../store/store-types.js';
import { stageOf } from './rollout-plan.js';
import type { RolloutRecord } from './rollout-store.js';

export type GateDecision =
  /** Nothing to do yet: edges still applying, or inside the quiet window. */
  | { readonly kind: 'wait' }
  /** Halt and roll back, for this reason (the operator reads it). */
  | { readonly kind: 'fail'; readonly reason: string }
  /** Record this change: all applied (the window starts), the next stage released, or completed. */
  | { readonly kind: 'save'; readonly change: Partial<RolloutRecord> };

export interface GateInputs {
  readonly record: RolloutRecord;
  readonly edges: readonly EdgeView[];
  readonly acks: readonly PolicyAckRow[];
  readonly alarms: readonly AlarmRow[];
  readonly nowMs: number;
}

const listSome = (ids: readonly string[]): string =>
  ids.length <= 5 ? ids.join(', ') : `${ids.slice(0, 5).join(', ')} and ${ids.length - 5} more`;

export function decideGate({ record: r, edges, acks: allAcks, alarms, nowMs }: GateInputs): GateDecision {
  const stageNo = r.releasedStages;
  const target = r.target as calle.v1.PolicyTarget.$Properties;
  const targeted = new Set(edges.filter((e) => targetMatches(target, e)).map((e) => e.id));
  const isReleased = (id: string): boolean => targeted.has(id) && stageOf(r.cuts, id) <= stageNo;
  const acks = allAcks.filter((a) => isReleased(a.edgeId));
  const refused = acks.find((a) => !a.applied);
  if (refused)
    return {
      kind: 'fail',
      reason: `stage ${stageNo}: edge ${refused.edgeId} refused version ${r.version}: ${refused.reason}`,
    };
  const alarm = alarms.find((a) => a.timeMs >= r.stageStartedMs && isReleased(a.edgeId));
  if (alarm)
    return {
      kind: 'fail',
      reason: `stage ${stageNo}: critical alarm ${alarm.code} on edge ${alarm.edgeId}: ${alarm.message}`,
    };
  const applied = new Set(acks.map((a) => a.edgeId));
  const pending = [...targeted].filter((id) => stageOf(r.cuts, id) === stageNo && !applied.has(id));
  if (pending.length > 0) {
    if (nowMs - r.stageStartedMs < r.stageTimeoutMs) return { kind: 'wait' };
    return {
      kind: 'fail',
      reason: `stage ${stageNo} timed out after ${r.stageTimeoutMs} ms; not applied on ${listSome(pending)}`,
    };
  }
  if (r.allAppliedMs === null) return { kind: 'save', change: { allAppliedMs: nowMs } };
  if (nowMs - r.allAppliedMs < r.windowMs) return { kind: 'wait' };
  if (stageNo >= r.cuts.length) return { kind: 'save', change: { state: 'completed' } };
  return { kind: 'save', change: { releasedStages: stageNo + 1, stageStartedMs: nowMs, allAppliedMs: null } };
}
