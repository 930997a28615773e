// The audit log's tables for a store that keeps nothing else before it (the dashboard's file, and
// the tests of this module): `meta` with the newest row's seq, the hash-chained `audit_log`
// (audit-chain.ts defines the hash), and the triggers that keep it append-only. The edge store
// created the same tables in its migration 3 (edge/store/migrations.ts), after its own `meta`.
//
// Hazard: a store's migration that ran this has shipped and must never change; a change to the
// audit tables is a new migration in each store, never an edit here.
import type { Migration } from '../sqlite/migrations.js';

export const AUDIT_SCHEMA_SQL = `
      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE audit_log (
        seq         INTEGER PRIMARY KEY,
        time_ms     INTEGER NOT NULL,
        actor       TEXT    NOT NULL,
        action      TEXT    NOT NULL,
        target      TEXT    NOT NULL,
        before_json TEXT,
        after_json  TEXT,
        prev_hash   TEXT    NOT NULL,
        hash        TEXT    NOT NULL
      ) STRICT;
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
      INSERT INTO meta (key, value) VALUES ('audit_last_seq', 0);
    `;

/** A file that holds only an audit log (and whatever keeps its own migrations, like users). */
export const AUDIT_ONLY_MIGRATIONS: readonly Migration[] = [
  { version: 1, description: 'meta and the hash-chained audit log', sql: AUDIT_SCHEMA_SQL },
];
