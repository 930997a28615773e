// The console's own tables in the edge database, with their own numbered migrations tracked in
// their own table (`users_schema`), so that this module evolves without touching the store's
// migration list (edge/store/migrations.ts) and the store's user_version. Append only: a
// migration that has shipped is never edited.
import type { Db } from '../store/edge-db.js';

interface UsersMigration {
  readonly version: number;
  readonly sql: string;
}

const MIGRATIONS: readonly UsersMigration[] = [
  {
    version: 1,
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

/** Brings the console tables up to date; each migration commits with its version or not at all. */
export function migrateUsers(db: Db): void {
  db.exec('CREATE TABLE IF NOT EXISTS users_schema (version INTEGER NOT NULL) STRICT');
  const row = db.prepare<[], { version: number }>('SELECT max(version) AS version FROM users_schema').get();
  const current = row?.version ?? 0;
  const known = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);
  if (current > known)
    throw new Error(`users_schema: version ${current} is newer than this calle knows (${known})`);
  for (const m of MIGRATIONS.filter((x) => x.version > current)) {
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO users_schema (version) VALUES (?)').run(m.version);
    })();
  }
}
