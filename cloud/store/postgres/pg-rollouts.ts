// Rollout records on PostgreSQL (RolloutRecordStore): a change is `UPDATE … WHERE revision = $n`,
// so of two coordinators changing the same record from the same revision exactly one succeeds.
import type { Pool } from 'pg';
import {
  upgradeRecord,
  type RevisedRecord,
  type RolloutRecord,
  type RolloutRecordStore,
} from '../../rollouts/rollout-store.js';

export class PgRollouts implements RolloutRecordStore {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async get(id: number): Promise<RevisedRecord | undefined> {
    const { rows } = await this.#pool.query<{ record: unknown; revision: number }>(
      'SELECT record, revision FROM rollouts WHERE id = $1',
      [id],
    );
    const row = rows[0];
    return row && { record: upgradeRecord(row.record), revision: row.revision };
  }

  async list(): Promise<RevisedRecord[]> {
    const { rows } = await this.#pool.query<{ record: unknown; revision: number }>(
      'SELECT record, revision FROM rollouts ORDER BY id',
    );
    return rows.map((r) => ({ record: upgradeRecord(r.record), revision: r.revision }));
  }

  async compareAndSet(record: RolloutRecord, revision: number): Promise<number | undefined> {
    const { rows } = await this.#pool.query<{ revision: number }>(
      `UPDATE rollouts SET state = $2, record = $3, revision = revision + 1
       WHERE id = $1 AND revision = $4 RETURNING revision`,
      [record.id, record.state, JSON.stringify(record), revision],
    );
    return rows[0]?.revision;
  }
}
