// Opens a calle SQLite file: WAL, FULL synchronous commits, numbered migrations (migrations.ts).
// The edge store, the energy ledger and the dashboard's file open here; each passes its own list.
//
// Why synchronous=FULL: better-sqlite3 builds SQLite so that WAL defaults to NORMAL, under which a
// commit can roll back after a power cut (REFERENCE.md §6). The outbox promises that a reading it
// accepted is never lost, and the applied policy is what a cold boot runs, so every commit must
// reach the disk before we call it done. A street cabinet loses power far more often than a
// data centre does.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { migrate, type Migration, type VersionRecord } from './migrations.js';

export type Db = Database.Database;

/** Opens (creating if needed) a SQLite file and brings its schema up to `migrations`. */
export function openDatabase(
  file: string,
  migrations: readonly Migration[],
  record: VersionRecord = 'user_version',
): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    // A second process (a backup, the CLI) may hold the lock briefly; wait rather than fail.
    db.pragma('busy_timeout = 5000');
    migrate(db, file, migrations, record);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
