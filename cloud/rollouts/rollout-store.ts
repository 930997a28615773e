// Rollout records and the gate's view of the fleet, on a second connection to the coordinator's
// SQLite file. Rollouts keep their own table (created here, IF NOT EXISTS) rather than a numbered
// migration in cloud/store: the issue moves coordinator state to JetStream KV next, and this table
// is the part that moves first. A second connection is safe: the coordinator is single-threaded,
// so transactions of the two connections never overlap (WAL mode, set by CoordinatorDb).
//
// A record is stored as one JSON document: it is read and written whole, by one coordinator, a
// few times per stage, and its shape will change with the move to KV.
import Database from 'better-sqlite3';
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

export interface AckView {
  readonly edgeId: string;
  readonly applied: boolean;
  readonly reason: string;
}

export interface AlarmView {
  readonly edgeId: string;
  readonly code: string;
  readonly message: string;
  readonly timeMs: number;
}

export interface EdgeView {
  readonly id: string;
  readonly district: string;
  readonly tags: string[];
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

/** Events at or above this severity fail a gate (calle.v1.Severity.SEVERITY_CRITICAL). */
const CRITICAL = 3;

export class RolloutStore {
  readonly #db: Database.Database;
  readonly #s;

  constructor(file: string) {
    const db = new Database(file);
    try {
      db.pragma('busy_timeout = 5000');
      db.pragma('synchronous = FULL');
      db.exec(`CREATE TABLE IF NOT EXISTS rollouts (
        id      INTEGER PRIMARY KEY,
        version INTEGER NOT NULL UNIQUE,
        state   TEXT NOT NULL,
        record  TEXT NOT NULL            -- RolloutRecord as JSON
      ) STRICT`);
    } catch (err) {
      db.close();
      throw err;
    }
    this.#db = db;
    this.#s = {
      nextId: db.prepare('SELECT COALESCE(MAX(id), 0) + 1 FROM rollouts').pluck(),
      insert: db.prepare('INSERT INTO rollouts (id, version, state, record) VALUES (?, ?, ?, ?)'),
      update: db.prepare('UPDATE rollouts SET state = ?, record = ? WHERE id = ?'),
      put: db.prepare(`INSERT INTO rollouts (id, version, state, record) VALUES (?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET state = excluded.state, record = excluded.record`),
      get: db.prepare('SELECT record FROM rollouts WHERE id = ?').pluck(),
      all: db.prepare('SELECT record FROM rollouts ORDER BY id').pluck(),
      acks: db.prepare('SELECT edge_id AS edgeId, applied, reason FROM policy_acks WHERE version = ?'),
      // A scan of the events table from `since`: events are rare next to readings, and the gate
      // runs it once per tick for all running rollouts, not once per edge.
      alarms: db.prepare(`SELECT edge_id AS edgeId, code, message, time_ms AS timeMs FROM events
        WHERE severity >= ${CRITICAL} AND active = 1 AND time_ms >= ? ORDER BY time_ms`),
      edges: db.prepare('SELECT id, district, tags FROM edges ORDER BY id'),
      policyVersions: db
        .prepare('SELECT version FROM policies WHERE version < ? ORDER BY version DESC')
        .pluck(),
    };
  }

  /** Next rollout id; the caller inserts it in the same synchronous turn. */
  nextId(): number {
    return this.#s.nextId.get() as number;
  }

  insert(r: RolloutRecord): void {
    this.#s.insert.run(r.id, r.version, r.state, JSON.stringify(r));
  }

  update(r: RolloutRecord): void {
    this.#s.update.run(r.state, JSON.stringify(r), r.id);
  }

  /** Inserts or replaces a record (the replication mirror's copy, cloud/replication). */
  put(r: RolloutRecord): void {
    this.#s.put.run(r.id, r.version, r.state, JSON.stringify(r));
  }

  get(id: number): RolloutRecord | undefined {
    const json = this.#s.get.get(id) as string | undefined;
    return json === undefined ? undefined : upgradeRecord(JSON.parse(json));
  }

  list(): RolloutRecord[] {
    return (this.#s.all.all() as string[]).map((json) => upgradeRecord(JSON.parse(json)));
  }

  acks(version: number): AckView[] {
    return (this.#s.acks.all(version) as { edgeId: string; applied: number; reason: string }[]).map((a) => ({
      ...a,
      applied: a.applied === 1,
    }));
  }

  criticalAlarmsSince(sinceMs: number): AlarmView[] {
    return this.#s.alarms.all(sinceMs) as AlarmView[];
  }

  registeredEdges(): EdgeView[] {
    return (this.#s.edges.all() as { id: string; district: string; tags: string }[]).map((e) => ({
      ...e,
      tags: JSON.parse(e.tags) as string[],
    }));
  }

  /** Published versions below `version`, newest first. */
  versionsBelow(version: number): number[] {
    return this.#s.policyVersions.all(version) as number[];
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
