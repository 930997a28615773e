// The fleet registry on PostgreSQL (RegistryStore). Each write is one statement (its own
// transaction): PostgreSQL groups concurrent commits itself (commit_delay aside, every commit's
// WAL flush carries whatever else is ready), so no group committer is needed here.
import type { Pool } from 'pg';
import type { RegistryStore } from '../coordinator-store.js';
import type {
  EdgeHeartbeat,
  EdgeRecord,
  EdgeRegistration,
  EdgeStatusRow,
  EdgeView,
  FleetEdge,
  IngestStats,
} from '../store-types.js';
import { pgStatsColumns } from './pg-stats.js';

export class PgRegistry implements RegistryStore {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async register(r: EdgeRegistration): Promise<void> {
    await this.#pool.query(
      `INSERT INTO edges (id, district, tags, software_version, registered_ms, last_seen_ms)
       VALUES ($1, $2, $3, $4, $5, $5)
       ON CONFLICT (id) DO UPDATE SET district = excluded.district, tags = excluded.tags,
         software_version = excluded.software_version, last_seen_ms = excluded.last_seen_ms`,
      [r.id, r.district, JSON.stringify(r.tags), r.softwareVersion, r.nowMs],
    );
  }

  async heartbeat(h: EdgeHeartbeat): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      `UPDATE edges SET last_seen_ms = $2, highest_seq = $3, outbox_pending = $4, policy_version = $5,
         devices_unavailable = $6 WHERE id = $1`,
      [h.id, h.nowMs, h.highestSeq, h.outboxPending, h.policyVersion, h.devicesUnavailable],
    );
    return (rowCount ?? 0) > 0;
  }

  async get(id: string): Promise<EdgeRecord | undefined> {
    const { rows } = await this.#pool.query<EdgeRecord>(
      `SELECT id, district, tags, software_version AS "softwareVersion", registered_ms AS "registeredMs",
         last_seen_ms AS "lastSeenMs", policy_version AS "policyVersion" FROM edges WHERE id = $1`,
      [id],
    );
    return rows[0];
  }

  async listStatus(): Promise<EdgeStatusRow[]> {
    type Row = IngestStats & Pick<EdgeStatusRow, 'id' | 'district' | 'lastSeenMs' | 'policyVersion'>;
    // Ordered as SQLite orders them (byte order, "C"), whatever the database's collation.
    const { rows } = await this.#pool.query<Row>(`
      SELECT * FROM (
        SELECT e.id, e.district, e.last_seen_ms AS "lastSeenMs", e.policy_version AS "policyVersion",
          ${pgStatsColumns('s')}
        FROM edges e LEFT JOIN ingest_stats s ON s.edge_id = e.id
        UNION ALL
        SELECT s.edge_id, NULL, NULL, 0, ${pgStatsColumns('s')}
        FROM ingest_stats s WHERE NOT EXISTS (SELECT 1 FROM edges e WHERE e.id = s.edge_id)
      ) u ORDER BY u.id COLLATE "C"`);
    return rows.map(({ id, district, lastSeenMs, policyVersion, ...stats }) => ({
      id,
      district,
      lastSeenMs,
      policyVersion,
      stats,
    }));
  }

  async listRegistered(): Promise<EdgeView[]> {
    const { rows } = await this.#pool.query<EdgeView>(
      'SELECT id, district, tags FROM edges ORDER BY id COLLATE "C"',
    );
    return rows;
  }

  async fleet(): Promise<FleetEdge[]> {
    const { rows } = await this.#pool.query<FleetEdge>(`
      SELECT * FROM (
        SELECT e.id, e.district, e.tags, e.software_version AS "softwareVersion",
          e.last_seen_ms AS "lastSeenMs", e.outbox_pending AS "outboxPending",
          GREATEST(e.policy_version, COALESCE(
            (SELECT MAX(a.version) FROM policy_acks a WHERE a.edge_id = e.id AND a.applied), 0)) AS "policyVersion",
          e.devices_unavailable AS "devicesUnavailable",
          COALESCE(s.readings_received, 0) AS "readingsReceived"
        FROM edges e LEFT JOIN ingest_stats s ON s.edge_id = e.id
        UNION ALL
        SELECT s.edge_id, '', '[]'::jsonb, '', NULL, 0, 0, 0, s.readings_received
        FROM ingest_stats s WHERE NOT EXISTS (SELECT 1 FROM edges e WHERE e.id = s.edge_id)
      ) u ORDER BY u.district COLLATE "C", u.id COLLATE "C"`);
    return rows;
  }
}
