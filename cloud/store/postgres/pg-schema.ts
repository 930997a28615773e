// The coordinator's schema on PostgreSQL: numbered migrations like the SQLite ones
// (cloud/store/migrations.ts), each in its own transaction with the bump of schema_version, run
// under an advisory lock so that coordinators starting together migrate once. Readings and
// rollups are partitioned tables (partitions by day, or month for hourly rollups, made on demand
// by pg-series.ts): retention drops a partition, never a DELETE that scans.
import type { Pool, PoolClient } from 'pg';
import { CoordinatorError, ErrorCodes } from '../../errors.js';

export const PG_MIGRATIONS: readonly string[] = [
  // 1: everything the SQLite schema holds at its version 5, in PostgreSQL's types.
  `
  CREATE TABLE edges (
    id                  TEXT PRIMARY KEY,
    district            TEXT NOT NULL,
    tags                JSONB NOT NULL DEFAULT '[]',
    software_version    TEXT NOT NULL DEFAULT '',
    registered_ms       BIGINT NOT NULL,
    last_seen_ms        BIGINT,
    highest_seq         BIGINT NOT NULL DEFAULT 0,
    outbox_pending      BIGINT NOT NULL DEFAULT 0,
    policy_version      BIGINT NOT NULL DEFAULT 0,
    devices_unavailable BIGINT NOT NULL DEFAULT 0
  );
  CREATE TABLE ingest_stats (
    edge_id                TEXT PRIMARY KEY,
    readings_received      BIGINT NOT NULL DEFAULT 0,
    events_received        BIGINT NOT NULL DEFAULT 0,
    duplicates             BIGINT NOT NULL DEFAULT 0,
    highest_seq            BIGINT NOT NULL DEFAULT 0,
    highest_contiguous_seq BIGINT NOT NULL DEFAULT 0,
    seq_ranges             TEXT NOT NULL DEFAULT '[]'
  );
  CREATE TABLE events (
    edge_id   TEXT NOT NULL,
    seq       BIGINT NOT NULL,
    code      TEXT NOT NULL,
    severity  INTEGER NOT NULL,
    device_id TEXT NOT NULL,
    message   TEXT NOT NULL,
    time_ms   BIGINT NOT NULL,
    active    BOOLEAN NOT NULL,
    PRIMARY KEY (edge_id, seq)
  );
  CREATE INDEX events_by_time ON events (time_ms);
  CREATE TABLE policies (
    version     BIGINT PRIMARY KEY,
    bundle      BYTEA NOT NULL,
    created_ms  BIGINT NOT NULL,
    rollback_of BIGINT
  );
  CREATE TABLE policy_acks (
    edge_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    applied BOOLEAN NOT NULL,
    reason  TEXT NOT NULL,
    time_ms BIGINT NOT NULL,
    PRIMARY KEY (edge_id, version)
  );
  CREATE INDEX policy_acks_by_version ON policy_acks (version);
  CREATE TABLE rollouts (
    id       BIGINT PRIMARY KEY,
    version  BIGINT NOT NULL UNIQUE,
    state    TEXT NOT NULL,
    record   JSONB NOT NULL,
    revision BIGINT NOT NULL DEFAULT 1
  );
  CREATE TABLE latest_values (
    edge_id   TEXT NOT NULL,
    device_id TEXT NOT NULL,
    metric    TEXT NOT NULL,
    last_ms   BIGINT NOT NULL,
    last      DOUBLE PRECISION NOT NULL,
    prev_ms   BIGINT,
    prev      DOUBLE PRECISION,
    PRIMARY KEY (edge_id, device_id, metric)
  );
  CREATE TABLE readings (
    edge_id   TEXT NOT NULL,
    seq       BIGINT NOT NULL,
    device_id TEXT NOT NULL,
    metric    TEXT NOT NULL,
    value     DOUBLE PRECISION NOT NULL,
    time_ms   BIGINT NOT NULL
  ) PARTITION BY RANGE (time_ms);
  CREATE TABLE rollup_15m (
    edge_id TEXT NOT NULL, device_id TEXT NOT NULL, metric TEXT NOT NULL, bucket_ms BIGINT NOT NULL,
    n BIGINT NOT NULL, sum DOUBLE PRECISION NOT NULL, min DOUBLE PRECISION NOT NULL,
    max DOUBLE PRECISION NOT NULL, first_ms BIGINT NOT NULL, first DOUBLE PRECISION NOT NULL,
    last_ms BIGINT NOT NULL, last DOUBLE PRECISION NOT NULL, increase DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (edge_id, device_id, metric, bucket_ms)
  ) PARTITION BY RANGE (bucket_ms);
  CREATE INDEX rollup_15m_by_metric ON rollup_15m (metric, bucket_ms);
  CREATE TABLE rollup_1h (LIKE rollup_15m INCLUDING DEFAULTS, PRIMARY KEY (edge_id, device_id, metric, bucket_ms))
    PARTITION BY RANGE (bucket_ms);
  CREATE INDEX rollup_1h_by_metric ON rollup_1h (metric, bucket_ms);
  -- One row per duty (the rollout gates): which coordinator holds it, until when (pg-lease.ts).
  CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_ms BIGINT NOT NULL
  );
  `,
];

/** Any number; the key of the advisory lock held while migrating. */
const MIGRATION_LOCK = 0x63616c6c; // "call"

/** Brings the database to the newest schema; refuses one newer than this code knows. */
export async function migratePg(pool: Pool, where: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await client.query('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
      const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_version');
      const current = rows[0]?.version ?? 0;
      if (current > PG_MIGRATIONS.length)
        throw new CoordinatorError(
          ErrorCodes.SCHEMA_TOO_NEW,
          `database ${where} has schema version ${current}, but this coordinator knows versions up to ` +
            `${PG_MIGRATIONS.length}; upgrade the coordinator or restore a matching backup`,
        );
      for (let version = current + 1; version <= PG_MIGRATIONS.length; version++)
        await inTransaction(client, async () => {
          await client.query(PG_MIGRATIONS[version - 1]!);
          if (version === 1)
            await client.query('INSERT INTO schema_version (version) VALUES ($1)', [version]);
          else await client.query('UPDATE schema_version SET version = $1', [version]);
        });
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}

/** Runs `fn` in a transaction on `client`: committed if it resolves, rolled back if it throws. */
export async function inTransaction<T>(client: PoolClient, fn: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await fn();
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
