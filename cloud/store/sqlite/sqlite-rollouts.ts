// Rollout records on SQLite (RolloutRecordStore): one JSON document per rollout with a revision
// that every change bumps, so a change names the revision it was decided on (compare-and-set).
/* eslint-disable @typescript-eslint/require-await -- the store's interface is asynchronous (PostgreSQL is a round trip); here each method is one synchronous better-sqlite3 call, and `async` turns its throw into a rejection. */
import type Database from 'better-sqlite3';
import {
  upgradeRecord,
  type RevisedRecord,
  type RolloutRecord,
  type RolloutRecordStore,
} from '../../rollouts/rollout-store.js';

interface Row {
  readonly record: string;
  readonly revision: number;
}

const revised = (row: Row): RevisedRecord => ({
  record: upgradeRecord(JSON.parse(row.record)),
  revision: row.revision,
});

export class SqliteRollouts implements RolloutRecordStore {
  readonly #s;

  constructor(db: Database.Database) {
    this.#s = {
      insert: db.prepare(
        'INSERT INTO rollouts (id, version, state, record, revision) VALUES (?, ?, ?, ?, 1)',
      ),
      cas: db.prepare(
        'UPDATE rollouts SET state = ?, record = ?, revision = revision + 1 WHERE id = ? AND revision = ?',
      ),
      put: db.prepare(`INSERT INTO rollouts (id, version, state, record, revision) VALUES (?, ?, ?, ?, 1)
        ON CONFLICT (id) DO UPDATE SET state = excluded.state, record = excluded.record,
          revision = rollouts.revision + 1`),
      get: db.prepare('SELECT record, revision FROM rollouts WHERE id = ?'),
      all: db.prepare('SELECT record, revision FROM rollouts ORDER BY id'),
    };
  }

  async get(id: number): Promise<RevisedRecord | undefined> {
    return this.getNow(id);
  }

  async list(): Promise<RevisedRecord[]> {
    return (this.#s.all.all() as Row[]).map(revised);
  }

  async compareAndSet(record: RolloutRecord, revision: number): Promise<number | undefined> {
    const changed = this.#s.cas.run(record.state, JSON.stringify(record), record.id, revision).changes;
    return changed > 0 ? revision + 1 : undefined;
  }

  /** A new record, inside the transaction that stores its policy version (SqlitePolicies.storeNext). */
  insertNow(record: RolloutRecord): void {
    this.#s.insert.run(record.id, record.version, record.state, JSON.stringify(record));
  }

  getNow(id: number): RevisedRecord | undefined {
    const row = this.#s.get.get(id) as Row | undefined;
    return row && revised(row);
  }

  /** Inserts or replaces a record (the KV mirror's copy of SQLite replicas, cloud/replication). */
  put(record: RolloutRecord): void {
    this.#s.put.run(record.id, record.version, record.state, JSON.stringify(record));
  }
}
