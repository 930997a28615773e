// The users tables (the console's in the edge database, the dashboard's in dashboard.db), with
// their own numbered migrations tracked in their own table (`users_schema`), so that this module
// evolves without touching the host store's migration list (edge/store/migrations.ts,
// cloud/dashboard/dashboard-store.ts) and its user_version. Append only: a migration that has
// shipped is never edited.
import { migrate, type Migration } from '../sqlite/migrations.js';
import type { Db } from '../sqlite/open-database.js';

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'users, sessions and failed logins',
    sql: `
      -- One row per person (IEC 62443-4-2 CR 1.1: unique identification of human users).
      CREATE TABLE console_user (
        name        TEXT PRIMARY KEY,
        role        TEXT NOT NULL CHECK (role IN ('viewer', 'technician', 'engineer')),
        hash        TEXT NOT NULL,            -- scrypt$logN$r$p$salt$key (password-hash.ts)
        created_ms  INTEGER NOT NULL,
        updated_ms  INTEGER NOT NULL
      ) STRICT;

      -- Sessions survive a restart (a power cut must not lock a technician out mid-job). Only the
      -- SHA-256 of the cookie is stored: a copied database file opens no session.
      CREATE TABLE console_session (
        token_hash  TEXT PRIMARY KEY,
        user_name   TEXT NOT NULL REFERENCES console_user (name) ON DELETE CASCADE,
        csrf        TEXT NOT NULL,
        created_ms  INTEGER NOT NULL,
        seen_ms     INTEGER NOT NULL
      ) STRICT;

      -- Failed logins by user name (CR 1.11), kept across restarts so that rebooting the node
      -- does not reset a lockout.
      CREATE TABLE console_login_failure (
        user_name   TEXT NOT NULL,
        time_ms     INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX console_login_failure_by_user ON console_login_failure (user_name, time_ms);
    `,
  },
];

/** Brings the users tables up to date (common/sqlite/migrations.ts: same rules, same error). */
export function migrateUsers(db: Db): void {
  migrate(db, db.name, MIGRATIONS, { table: 'users_schema' });
}
