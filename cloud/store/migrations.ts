// Numbered schema migrations of the coordinator database, run by the one runner
// (common/sqlite/migrations.ts) with the version kept in the schema_version table. Migration N
// takes the schema from version N-1 to N; each runs in its own transaction together with the bump
// of schema_version, so a crash half-way leaves the previous version intact. Never edit a
// migration that has shipped: add a new one.
import type Database from 'better-sqlite3';
import { migrate as runMigrations, type Migration } from '../../common/sqlite/migrations.js';

export const MIGRATIONS: readonly string[] = [
  // 1: the first schema.
  `
  CREATE TABLE edges (
    id                  TEXT PRIMARY KEY,
    district            TEXT NOT NULL,
    tags                TEXT NOT NULL DEFAULT '[]',   -- JSON array of strings
    software_version    TEXT NOT NULL DEFAULT '',
    registered_ms       INTEGER NOT NULL,
    last_seen_ms        INTEGER,                      -- last Register or Heartbeat
    -- Counters from the last heartbeat, as the edge reported them.
    highest_seq         INTEGER NOT NULL DEFAULT 0,
    outbox_pending      INTEGER NOT NULL DEFAULT 0,
    policy_version      INTEGER NOT NULL DEFAULT 0,
    devices_unavailable INTEGER NOT NULL DEFAULT 0
  ) STRICT;

  -- No foreign key to edges: telemetry may arrive before (or without) a registration, and we
  -- would rather store and show it than drop data the edge believes is delivered.
  CREATE TABLE readings (
    edge_id   TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    device_id TEXT NOT NULL,
    metric    TEXT NOT NULL,
    value     REAL NOT NULL,
    time_ms   INTEGER NOT NULL,
    PRIMARY KEY (edge_id, seq)
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE events (
    edge_id   TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    code      TEXT NOT NULL,
    severity  INTEGER NOT NULL,
    device_id TEXT NOT NULL,
    message   TEXT NOT NULL,
    time_ms   INTEGER NOT NULL,
    active    INTEGER NOT NULL,
    PRIMARY KEY (edge_id, seq)
  ) STRICT, WITHOUT ROWID;

  -- Per-edge delivery accounting. Readings and events share the edge's sequence counter, so the
  -- sequence figures (highest_seq, highest_contiguous_seq, gaps) cover both tables.
  CREATE TABLE ingest_stats (
    edge_id                TEXT PRIMARY KEY,
    readings_received      INTEGER NOT NULL DEFAULT 0,  -- reading rows stored
    events_received        INTEGER NOT NULL DEFAULT 0,  -- event rows stored
    duplicates             INTEGER NOT NULL DEFAULT 0,  -- readings/events seen again, not stored
    highest_seq            INTEGER NOT NULL DEFAULT 0,  -- highest seq stored
    highest_contiguous_seq INTEGER NOT NULL DEFAULT 0   -- every seq 1..this is stored
  ) STRICT;

  CREATE TABLE policies (
    version    INTEGER PRIMARY KEY,
    bundle     BLOB NOT NULL,       -- calle.v1.PolicyBundle, protobuf binary, version filled in
    created_ms INTEGER NOT NULL
  ) STRICT;

  -- One verdict per edge and version: a later Ack for the same pair replaces the earlier one.
  CREATE TABLE policy_acks (
    edge_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    applied INTEGER NOT NULL,
    reason  TEXT NOT NULL,
    time_ms INTEGER NOT NULL,
    PRIMARY KEY (edge_id, version)
  ) STRICT;
  `,
  // 2: enrolment (cloud/enrolment/enrolment-store.ts). Kept apart from `edges`, which holds what
  // an edge says about itself; these hold what the operator decided about it.
  `
  -- One row per edge the operator has provisioned. state: invited (token issued, never used),
  -- pending (enrolled with a token, waiting for approval), approved, revoked.
  CREATE TABLE edge_identities (
    edge_id     TEXT PRIMARY KEY,
    district    TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('invited', 'pending', 'approved', 'revoked')),
    public_key  BLOB,             -- raw Ed25519 key, 32 bytes; NULL until the edge enrols
    nats_nkey   TEXT,             -- the edge's NATS nkey user public key ("U…"), or NULL
    created_ms  INTEGER NOT NULL,
    enrolled_ms INTEGER,
    approved_ms INTEGER,
    revoked_ms  INTEGER
  ) STRICT;

  -- One-time enrolment tokens, stored only as SHA-256 hashes: a copy of the database cannot enrol.
  CREATE TABLE enrolment_tokens (
    token_hash TEXT PRIMARY KEY,  -- hex SHA-256 of the token
    edge_id    TEXT NOT NULL,     -- the only edge it may enrol
    district   TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL,
    used_ms    INTEGER            -- NULL until consumed
  ) STRICT;
  CREATE INDEX enrolment_tokens_by_edge ON enrolment_tokens (edge_id);
  `,
  // 3: how far a replica has applied each shared KV bucket (cloud/replication/mirror-progress.ts).
  `
  -- One row per resumable bucket: the last KV revision (stream sequence) whose entry is in this
  -- file, and the creation time of the bucket's stream, which tells a bucket made anew (its
  -- revisions start over) from the one the revision belongs to.
  CREATE TABLE replication_progress (
    bucket         TEXT PRIMARY KEY,
    stream_created TEXT NOT NULL,
    revision       INTEGER NOT NULL
  ) STRICT;
  `,
  // 4: staged rollout records (cloud/rollouts/rollout-store.ts), each with a revision that every
  // change bumps (compare-and-set). Before this migration the rollout store created the table
  // itself on a second connection, so it may exist already, without the revision.
  `
  CREATE TABLE IF NOT EXISTS rollouts (
    id      INTEGER PRIMARY KEY,
    version INTEGER NOT NULL UNIQUE,
    state   TEXT NOT NULL,
    record  TEXT NOT NULL            -- RolloutRecord as JSON
  ) STRICT;
  ALTER TABLE rollouts ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
  -- The rollout a version rolls back (coordinators sharing a database learn it with the version).
  ALTER TABLE policies ADD COLUMN rollback_of INTEGER;
  `,
  // 5: a year of readings (cloud/store/series-types.ts). Readings move to day tables with no key
  // (bucket-tables.ts; the rows of the old table are moved by sqlite-legacy-readings.ts); which
  // seqs an edge has delivered is kept in ingest_stats (edge-seqs.ts) instead of being asked of the
  // readings' (edge, seq) key.
  `
  -- Held seqs above highest_contiguous_seq, as JSON [[first, last], …] ranges (usually []).
  ALTER TABLE ingest_stats ADD COLUMN seq_ranges TEXT NOT NULL DEFAULT '[]';

  -- Each series' newest reading and the one before it (the NGSI-LD entities' current values).
  CREATE TABLE latest_values (
    edge_id   TEXT NOT NULL,
    device_id TEXT NOT NULL,
    metric    TEXT NOT NULL,
    last_ms   INTEGER NOT NULL,
    last      REAL NOT NULL,
    prev_ms   INTEGER,
    prev      REAL,
    PRIMARY KEY (edge_id, device_id, metric)
  ) STRICT, WITHOUT ROWID;

  -- Retention deletes events by age; rollout gates read them by time.
  CREATE INDEX events_by_time ON events (time_ms);
  `,
];

/** The schema version this code writes and understands. */
export const SCHEMA_VERSION = MIGRATIONS.length;

const NUMBERED: readonly Migration[] = MIGRATIONS.map((sql, i) => ({
  version: i + 1,
  description: `coordinator schema ${i + 1}`,
  sql,
}));

/**
 * Brings the database to SCHEMA_VERSION; refuses a database newer than that (SchemaTooNewError,
 * code CALLE_ERR_SCHEMA_TOO_NEW, the same as every calle store: common/sqlite/migrations.ts).
 */
export function migrate(db: Database.Database, file: string): void {
  runMigrations(db, file, NUMBERED, { table: 'schema_version' });
}
