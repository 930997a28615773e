// Signed policy bundles and the edges' verdicts on PostgreSQL (PolicyStore). A version is taken
// as MAX(version) + 1 and inserted; the primary key lets only one of two coordinators insert it,
// and the loser takes the next (storeNext's `make` is called again, so the bundle is signed with
// the version that is stored). This replaces the KV create of SQLite replicas.
import type { Pool } from 'pg';
import { refreshVerdict } from '../../policies/refreshed-bundles.js';
import type { NewPolicy, PolicyStore } from '../coordinator-store.js';
import type { AckOutcome, PolicyAckRow, RefreshVerdict, StoredPolicy } from '../store-types.js';
import { inTransaction } from './pg-schema.js';

const UNIQUE_VIOLATION = '23505';
/** Versions tried before giving up (each lost to another coordinator publishing at the same time). */
const MAX_ATTEMPTS = 50;

const isUniqueViolation = (err: unknown): boolean =>
  (err as { code?: string } | null)?.code === UNIQUE_VIOLATION;

export class PgPolicies implements PolicyStore {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async storeNext(make: (version: number) => NewPolicy, createdMs: number): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.#pool.connect();
      try {
        return await inTransaction(client, async () => {
          const { rows } = await client.query<{ next: number }>(
            'SELECT COALESCE(MAX(version), 0) + 1 AS next FROM policies',
          );
          const version = rows[0]!.next;
          const { bundle, rollout, rollbackOf } = make(version);
          await client.query(
            'INSERT INTO policies (version, bundle, created_ms, rollback_of) VALUES ($1, $2, $3, $4)',
            [version, Buffer.from(bundle), createdMs, rollbackOf ?? null],
          );
          if (rollout)
            await client.query(
              'INSERT INTO rollouts (id, version, state, record, revision) VALUES ($1, $2, $3, $4, 1)',
              [rollout.id, rollout.version, rollout.state, JSON.stringify(rollout)],
            );
          return version;
        });
      } catch (err) {
        if (!isUniqueViolation(err) || attempt >= MAX_ATTEMPTS) throw err;
      } finally {
        client.release();
      }
    }
  }

  async latestVersion(): Promise<number> {
    const { rows } = await this.#pool.query<{ v: number }>(
      'SELECT COALESCE(MAX(version), 0) AS v FROM policies',
    );
    return rows[0]!.v;
  }

  async after(version: number): Promise<StoredPolicy[]> {
    const { rows } = await this.#pool.query<StoredPolicy>(
      'SELECT version, bundle, rollback_of AS "rollbackOf" FROM policies WHERE version > $1 ORDER BY version',
      [version],
    );
    return rows;
  }

  async get(version: number): Promise<StoredPolicy | undefined> {
    const { rows } = await this.#pool.query<StoredPolicy>(
      'SELECT version, bundle FROM policies WHERE version = $1',
      [version],
    );
    return rows[0];
  }

  async replaceRefreshed(version: number, bundle: Uint8Array): Promise<RefreshVerdict> {
    const client = await this.#pool.connect();
    try {
      return await inTransaction(client, async () => {
        // FOR UPDATE: the check and the write see the same row, whoever else refreshes.
        const { rows } = await client.query<{ bundle: Buffer }>(
          'SELECT bundle FROM policies WHERE version = $1 FOR UPDATE',
          [version],
        );
        const verdict = refreshVerdict(version, rows[0]?.bundle, bundle);
        if (verdict.replaced)
          await client.query('UPDATE policies SET bundle = $2 WHERE version = $1', [
            version,
            Buffer.from(bundle),
          ]);
        return verdict;
      });
    } finally {
      client.release();
    }
  }

  async recordAck(ack: PolicyAckRow): Promise<AckOutcome> {
    // One statement: the checks see the rows committed before it.
    const { rows } = await this.#pool.query<{ edge: boolean; published: boolean; recorded: boolean }>(
      `WITH known AS (
         SELECT EXISTS (SELECT 1 FROM edges WHERE id = $1) AS edge,
                EXISTS (SELECT 1 FROM policies WHERE version = $2) AS published),
       written AS (
         INSERT INTO policy_acks (edge_id, version, applied, reason, time_ms)
         SELECT $1, $2, $3, $4, $5 FROM known WHERE edge AND (published OR NOT $3)
         ON CONFLICT (edge_id, version) DO UPDATE SET applied = excluded.applied,
           reason = excluded.reason, time_ms = excluded.time_ms
         RETURNING 1)
       SELECT edge, published, EXISTS (SELECT 1 FROM written) AS recorded FROM known`,
      [ack.edgeId, ack.version, ack.applied, ack.reason, ack.timeMs],
    );
    const r = rows[0]!;
    if (!r.edge) return 'unknown-edge';
    if (!r.recorded) return 'unknown-version';
    return r.published ? 'recorded' : 'recorded-unpublished';
  }

  async ack(version: number, edgeId: string): Promise<PolicyAckRow | undefined> {
    const { rows } = await this.#pool.query<PolicyAckRow>(
      `SELECT edge_id AS "edgeId", version, applied, reason, time_ms AS "timeMs"
       FROM policy_acks WHERE version = $1 AND edge_id = $2`,
      [version, edgeId],
    );
    return rows[0];
  }

  async acks(version: number): Promise<PolicyAckRow[]> {
    const { rows } = await this.#pool.query<PolicyAckRow>(
      `SELECT edge_id AS "edgeId", version, applied, reason, time_ms AS "timeMs"
       FROM policy_acks WHERE version = $1 ORDER BY edge_id COLLATE "C"`,
      [version],
    );
    return rows;
  }
}
