// The edge database's schema, as numbered migrations. Append only: a migration that has shipped
// is never edited, because nodes in the street already ran it. The schema version is SQLite's
// user_version.

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

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
];
