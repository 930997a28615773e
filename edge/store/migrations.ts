// The edge database's schema, as numbered migrations. Append only: a migration that has shipped
// is never edited, because nodes in the street already ran it. The schema version is SQLite's
// user_version; common/sqlite/migrations.ts runs them.
import type { Migration } from '../../common/sqlite/migrations.js';

export const EDGE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'outbox, sequence counter, applied policies',
    sql: `
      -- Small key/value facts that must survive restarts (the next sequence number).
      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value INTEGER NOT NULL
      ) STRICT;
      INSERT INTO meta (key, value) VALUES ('next_seq', 1);

      -- The transactional outbox. A row is one NATS message, immutable once written, so a re-send
      -- after a lost ack is byte-identical and carries the same message id. Deleted only after
      -- JetStream acknowledged it.
      CREATE TABLE outbox (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        subject    TEXT    NOT NULL,
        priority   INTEGER NOT NULL,      -- 0 = alarms and events first, 1 = bulk telemetry
        first_seq  INTEGER NOT NULL,
        last_seq   INTEGER NOT NULL,
        payload    BLOB    NOT NULL,      -- calle.v1.TelemetryBatch or calle.v1.Event, protobuf
        created_ms INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX outbox_by_priority ON outbox (priority, id);

      -- Every policy bundle this node applied, newest last. The newest is what a cold boot
      -- without network runs.
      CREATE TABLE applied_policy (
        version    INTEGER PRIMARY KEY,
        bundle     BLOB    NOT NULL,      -- calle.v1.PolicyBundle, protobuf, as received
        applied_ms INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 2,
    description: 'outbox: three priority classes (alarms, events, telemetry)',
    // Was 0 = events and alarms, 1 = telemetry. Rows already queued cannot be told apart without
    // decoding them, so old events all become plain events (still ahead of telemetry); only new
    // alarms get class 0. The outbox_by_priority index stays valid.
    sql: `
      UPDATE outbox SET priority = priority + 1;
    `,
  },
  {
    version: 3,
    description: 'hash-chained audit log',
    // Who did what to what, and the state before and after (IEC 62443-4-2 CR 2.8: auditable events
    // with fixed fields; CR 3.9: protected audit records). Each row carries the SHA-256 of the
    // previous row, so an edit, a deletion or a reordering breaks the chain (common/audit/audit-chain.ts
    // defines the hash). The triggers stop the node's own code from changing history; someone with
    // the file can drop them, and the chain is what catches that. meta.audit_last_seq records the
    // newest row, so a cut-off tail is caught too.
    sql: `
      CREATE TABLE audit_log (
        seq         INTEGER PRIMARY KEY,   -- 1, 2, 3… with no gaps
        time_ms     INTEGER NOT NULL,      -- milliseconds since the Unix epoch
        actor       TEXT    NOT NULL,      -- a user name, or "system", "coordinator", "supervisor"
        action      TEXT    NOT NULL,      -- dotted code, for example "policy.applied"
        target      TEXT    NOT NULL,      -- what it acted on, for example "policy:7", "lum-03"
        before_json TEXT,                  -- canonical JSON, or NULL
        after_json  TEXT,                  -- canonical JSON, or NULL
        prev_hash   TEXT    NOT NULL,      -- hex SHA-256 of the previous row; 64 zeros for seq 1
        hash        TEXT    NOT NULL       -- hex SHA-256 of this row's canonical encoding
      ) STRICT;
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
      INSERT INTO meta (key, value) VALUES ('audit_last_seq', 0);
    `,
  },
  {
    version: 4,
    description: 'ids of remote commands carried out, against replays',
    // A signed command is valid until it expires (at most COMMAND_MAX_LIFETIME_MS after issue,
    // edge/commands/command-guard.ts). Its id is kept until then, across restarts: a command
    // replayed after a reboot inside its lifetime is still refused. Expired ids are pruned.
    sql: `
      CREATE TABLE command_ids (
        id         TEXT PRIMARY KEY,
        expires_ms INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
    `,
  },
];
