// A staged rollout's record, and the part of the coordinator's store that keeps them (implemented
// by each backend: cloud/store/sqlite/sqlite-rollouts.ts, cloud/store/postgres/pg-rollouts.ts).
// A record is one JSON document, read and written whole a few times per stage. Every change is a
// compare-and-set on the record's revision, so an operator's halt and the gate's stage release,
// made on two coordinators sharing one database, can never overwrite each other.
import { MAX_STAGE_HASH, stageHash, type StageSize } from './rollout-plan.js';

/** superseded: a newer version for the same target was published; this rollout's gate stopped. */
export type RolloutState = 'running' | 'completed' | 'halted' | 'rolled_back' | 'superseded';

export interface RolloutRecord {
  readonly id: number;
  /** The policy version this rollout delivers. */
  readonly version: number;
  readonly target: unknown;
  readonly spec: readonly StageSize[];
  /**
   * Each stage's highest edge-id hash (rollout-plan.ts): an edge's stage is a function of its id,
   * so the record stays a few hundred bytes at any fleet size and carries no edge list.
   */
  readonly cuts: readonly number[];
  /** Edges per stage when the rollout started, for the operator. */
  readonly sizes: readonly number[];
  /** Stages delivered so far (1 = the first stage only). */
  releasedStages: number;
  /** When the current (last released) stage was released. */
  stageStartedMs: number;
  /** When every edge of the current stage had applied it; the alarm window runs from here. */
  allAppliedMs: number | null;
  state: RolloutState;
  /** Why the rollout halted or rolled back, in the operator's words. */
  reason: string;
  /** Version whose content a rollback republishes (null: nothing to go back to). */
  readonly rollbackTo: number | null;
  /** The version a rollback published. */
  rollbackVersion: number | null;
  readonly windowMs: number;
  readonly stageTimeoutMs: number;
  readonly createdMs: number;
  updatedMs: number;
}

/** A record with the revision a compare-and-set must name to change it. */
export interface RevisedRecord {
  readonly record: RolloutRecord;
  readonly revision: number;
}

/**
 * The records in the store. New records are stored with their policy version, in the same
 * transaction (PolicyStore.storeNext): the gate must exist before any edge can be offered the version.
 */
export interface RolloutRecordStore {
  get(id: number): Promise<RevisedRecord | undefined>;
  /** Every record, by id. */
  list(): Promise<RevisedRecord[]>;
  /**
   * Replaces the record if its stored revision is still `revision`. Resolves with the new revision,
   * or undefined when another writer changed it first (or it does not exist).
   */
  compareAndSet(record: RolloutRecord, revision: number): Promise<number | undefined>;
}

/**
 * A record as stored, upgraded: records written before stages became hash cuts list their edge ids
 * per stage. Each stage's cut becomes the highest hash of the edges listed up to it, so no edge
 * that was released moves to a later, held stage (some may move earlier and receive the version
 * sooner, which a running gate tolerates: their acks count where their hash puts them).
 */
export function upgradeRecord(stored: unknown): RolloutRecord {
  const r = stored as RolloutRecord & { stages?: readonly (readonly string[])[] };
  if (r.cuts || !r.stages) return r;
  const { stages, ...rest } = r;
  let highest = 0;
  const cuts = stages.map((ids) => (highest = Math.max(highest, ...ids.map(stageHash))));
  if (cuts.length > 0) cuts[cuts.length - 1] = MAX_STAGE_HASH;
  return { ...rest, cuts, sizes: stages.map((ids) => ids.length) };
}
