// Opens the edge's SQLite file: WAL, FULL synchronous commits, numbered migrations.
//
// Why synchronous=FULL: better-sqlite3 builds SQLite so that WAL defaults to NORMAL, under which a
// commit can roll back after a power cut (REFERENCE.md §6). The outbox promises that a reading it
// accepted is never lost, and the applied policy is what a cold boot runs, so every commit must
// reach the disk before we call it done. A street cabinet loses power far more often than a
// data centre does.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { EDGE_MIGRATIONS, type Migration } from './migrations.js';

export type Db = Database.Database;

/** Raised when the file was written by a newer calle than this one. */
export class SchemaTooNewError extends Error {
  readonly code = 'CALLE_SCHEMA_TOO_NEW';
  constructor(
    readonly file: string,
    readonly found: number,
    readonly known: number,
  ) {
    super(
      `${file}: database schema version ${found} is newer than this calle knows (${known}); ` +
        'run the calle version that wrote it, or restore a backup',
    );
  }
}

/** Opens (creating if needed) a SQLite file and brings its schema up to date. */
export function openDatabase(file: string, migrations: readonly Migration[] = EDGE_MIGRATIONS): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    // A second process (a backup, the CLI) may hold the lock briefly; wait rather than fail.
    db.pragma('busy_timeout = 5000');
    migrate(db, file, migrations);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

function migrate(db: Db, file: string, migrations: readonly Migration[]): void {
  const known = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > known) throw new SchemaTooNewError(file, current, known);
  const pending = migrations.filter((m) => m.version > current).sort((a, b) => a.version - b.version);
  for (const m of pending) {
    // Each migration and its version bump commit together, or not at all.
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
}
