// Signed policy bundles and the edges' verdicts on SQLite (PolicyStore). Versions come from
// MAX(version) + 1 inside the storing transaction: one process writes this file, and better-sqlite3
// transactions are synchronous, so no two publications can interleave.
/* eslint-disable @typescript-eslint/require-await -- the store's interface is asynchronous (PostgreSQL is a round trip); here each method is one synchronous better-sqlite3 call, and `async` turns its throw into a rejection. */
import type Database from 'better-sqlite3';
import { refreshVerdict } from '../../policies/refreshed-bundles.js';
import type { RolloutRecord } from '../../rollouts/rollout-store.js';
import type { NewPolicy, PolicyStore } from '../coordinator-store.js';
import type { GroupCommitter } from '../group-committer.js';
import type {
  AckOutcome,
  PolicyAckRow,
  RefreshVerdict,
  RegistryChange,
  StoredPolicy,
} from '../store-types.js';

type AckDbRow = Omit<PolicyAckRow, 'applied'> & { applied: number };
const ackRow = (a: AckDbRow): PolicyAckRow => ({ ...a, applied: a.applied === 1 });

export class SqlitePolicies implements PolicyStore {
  readonly #db: Database.Database;
  readonly #grouped: GroupCommitter;
  readonly #changed: (change: RegistryChange) => void;
  readonly #insertRollout: (record: RolloutRecord) => void;
  readonly #s;

  constructor(
    db: Database.Database,
    grouped: GroupCommitter,
    changed: (change: RegistryChange) => void,
    insertRollout: (record: RolloutRecord) => void,
  ) {
    this.#db = db;
    this.#grouped = grouped;
    this.#changed = changed;
    this.#insertRollout = insertRollout;
    this.#s = {
      nextVersion: db.prepare('SELECT COALESCE(MAX(version), 0) + 1 FROM policies').pluck(),
      insert: db.prepare(
        'INSERT INTO policies (version, bundle, created_ms, rollback_of) VALUES (?, ?, ?, ?)',
      ),
      insertAt: db.prepare('INSERT OR IGNORE INTO policies (version, bundle, created_ms) VALUES (?, ?, ?)'),
      after: db.prepare(
        'SELECT version, bundle, rollback_of AS rollbackOf FROM policies WHERE version > ? ORDER BY version',
      ),
      get: db.prepare('SELECT version, bundle FROM policies WHERE version = ?'),
      setBundle: db.prepare('UPDATE policies SET bundle = ? WHERE version = ?'),
      edgeKnown: db.prepare('SELECT EXISTS (SELECT 1 FROM edges WHERE id = ?)').pluck(),
      exists: db.prepare('SELECT EXISTS (SELECT 1 FROM policies WHERE version = ?)').pluck(),
      upsertAck: db.prepare(`
        INSERT INTO policy_acks (edge_id, version, applied, reason, time_ms)
        VALUES (@edgeId, @version, @applied, @reason, @timeMs)
        ON CONFLICT (edge_id, version) DO UPDATE SET applied = excluded.applied,
          reason = excluded.reason, time_ms = excluded.time_ms`),
      getAck: db.prepare(`
        SELECT edge_id AS edgeId, version, applied, reason, time_ms AS timeMs
        FROM policy_acks WHERE version = ? AND edge_id = ?`),
      listAcks: db.prepare(`
        SELECT edge_id AS edgeId, version, applied, reason, time_ms AS timeMs
        FROM policy_acks WHERE version = ? ORDER BY edge_id`),
    };
  }

  async storeNext(make: (version: number) => NewPolicy, createdMs: number): Promise<number> {
    return this.#db.transaction(() => {
      const version = this.#s.nextVersion.get() as number;
      const { bundle, rollout, rollbackOf } = make(version);
      this.#s.insert.run(version, bundle, createdMs, rollbackOf ?? null);
      if (rollout) this.#insertRollout(rollout);
      return version;
    })();
  }

  async latestVersion(): Promise<number> {
    return this.latestVersionNow();
  }

  async after(version: number): Promise<StoredPolicy[]> {
    return this.#s.after.all(version) as StoredPolicy[];
  }

  async get(version: number): Promise<StoredPolicy | undefined> {
    return this.#s.get.get(version) as StoredPolicy | undefined;
  }

  async replaceRefreshed(version: number, bundle: Uint8Array): Promise<RefreshVerdict> {
    return this.replaceRefreshedNow(version, bundle);
  }

  async recordAck(ack: PolicyAckRow): Promise<AckOutcome> {
    // Checked inside the grouped write, so that they see the rows committed or queued before it.
    return this.#grouped.submit((): AckOutcome => {
      if (this.#s.edgeKnown.get(ack.edgeId) !== 1) return 'unknown-edge';
      const published = this.#s.exists.get(ack.version) === 1;
      if (ack.applied && !published) return 'unknown-version';
      this.#s.upsertAck.run({ ...ack, applied: ack.applied ? 1 : 0 });
      this.#changed({ kind: 'ack', edgeId: ack.edgeId, version: ack.version });
      return published ? 'recorded' : 'recorded-unpublished';
    });
  }

  async ack(version: number, edgeId: string): Promise<PolicyAckRow | undefined> {
    return this.ackNow(version, edgeId);
  }

  async acks(version: number): Promise<PolicyAckRow[]> {
    return (this.#s.listAcks.all(version) as AckDbRow[]).map(ackRow);
  }

  // --- synchronous, SQLite only: the KV replication of SQLite replicas (cloud/replication) -------

  latestVersionNow(): number {
    return (this.#s.nextVersion.get() as number) - 1;
  }

  ackNow(version: number, edgeId: string): PolicyAckRow | undefined {
    const a = this.#s.getAck.get(version, edgeId) as AckDbRow | undefined;
    return a && ackRow(a);
  }

  replaceRefreshedNow(version: number, bundle: Uint8Array): RefreshVerdict {
    return this.#db.transaction((): RefreshVerdict => {
      const row = this.#s.get.get(version) as StoredPolicy | undefined;
      const verdict = refreshVerdict(version, row?.bundle, bundle);
      if (verdict.replaced) this.#s.setBundle.run(bundle, version);
      return verdict;
    })();
  }

  /**
   * Stores a bundle under a version decided elsewhere (a KV create). Returns false when the version
   * is already stored (not compared: a version is written once, in KV, so both copies hold the same
   * bytes).
   */
  storeAt(version: number, bundle: Uint8Array, createdMs: number): boolean {
    return this.#s.insertAt.run(version, bundle, createdMs).changes > 0;
  }

  /** Stores another replica's copy of an ack; not reported to the change listener. */
  putReplicatedAck(ack: PolicyAckRow): void {
    this.#s.upsertAck.run({ ...ack, applied: ack.applied ? 1 : 0 });
  }
}
