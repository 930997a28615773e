// One controller per store. A second `calle edge` on the same site file would run its own control
// loops against the same equipment: two processes driving the same signal heads (issue 13,
// finding 5). The node takes this lock before it reads a key, opens the store or starts anything,
// and holds it for its whole life.
//
// The lock is SQLite's own write lock on a small database beside the store (`<store>.lock`): the
// holder opens a transaction with BEGIN IMMEDIATE (a RESERVED lock) and never ends it. Why this:
//   - it is a POSIX fcntl() lock held by an open descriptor, so the kernel drops it when the
//     process dies in any way (kill -9, OOM, power cut): no stale lock, no pid file to judge;
//   - `fs.openSync(…, 'wx')` marks existence, not ownership, and survives a crash; a pid file
//     needs a liveness guess that pid reuse after a reboot defeats;
//   - a RESERVED lock still lets readers in, so whoever is refused can read who holds it (the
//     `holder` row: pid, host, start time, version) and name it;
//   - better-sqlite3 is already here: no native module for flock(2).
// Hazards: fcntl locks on NFS depend on the server's lock manager and are not reliable (SQLite
// says so, https://www.sqlite.org/lockingv3.html §6); a store on NFS is refused rather than run
// unguarded. POSIX locks belong to the process, and closing any descriptor of the file drops them:
// nothing else in calle opens `<store>.lock`, and nothing may.
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync, statfsSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';

/** statfs f_type of NFS (linux/magic.h NFS_SUPER_MAGIC). */
const NFS_SUPER_MAGIC = 0x6969;

export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly startedMs: number;
  readonly version: string;
}

/** The store is held by another process; the message names it. */
export class StoreLockedError extends Error {
  readonly code = 'CALLE_STORE_LOCKED';
  constructor(
    readonly store: string,
    readonly holder: LockHolder | undefined,
    detail = '',
  ) {
    super(
      `${store}: in use by another calle edge ` +
        (holder
          ? `(pid ${holder.pid} on ${holder.host}, calle ${holder.version}, started ${new Date(holder.startedMs).toISOString()})`
          : '(holder unknown)') +
        `${detail}, which holds ${store}.lock; stop it first: two controllers must never drive the same equipment`,
    );
  }
}

/** The store cannot be locked at all (NFS, unreadable lock file). */
export class StoreLockError extends Error {
  readonly code = 'CALLE_STORE_LOCK_FAILED';
}

export interface StoreLock {
  readonly file: string;
  /** Ends the transaction and closes the file: the next process may take the store. */
  release(): void;
}

interface HolderRow {
  token: string;
  pid: number;
  host: string;
  started_ms: number;
  version: string;
}

const isBusy = (err: unknown): boolean => /^SQLITE_(BUSY|LOCKED)/.test((err as { code?: string }).code ?? '');

/** Takes the store's lock or throws StoreLockedError naming the holder. Not for ':memory:'. */
export function lockStore(store: string, version: string): StoreLock {
  const file = `${store}.lock`;
  mkdirSync(dirname(file), { recursive: true });
  if (statfsSync(dirname(file)).type === NFS_SUPER_MAGIC)
    throw new StoreLockError(
      `store.path: ${store} is on NFS, where the one-controller lock cannot be trusted; put the store on a local disk`,
    );
  let db: Database.Database;
  try {
    // Private like the store beside it (it names the holder's host and pid); an existing file
    // keeps its mode. Opened for append only to create it: SQLite does the rest.
    closeSync(openSync(file, 'a', 0o600));
    // timeout 0: a held lock is an answer, not something to wait for.
    db = new Database(file, { timeout: 0 });
  } catch (err) {
    throw new StoreLockError(`${file}: cannot open the lock file: ${(err as Error).message}`);
  }
  try {
    return hold(db, store, file, version);
  } catch (err) {
    db.close();
    throw err;
  }
}

function hold(db: Database.Database, store: string, file: string, version: string): StoreLock {
  const me = { token: randomUUID(), pid: process.pid, host: hostname(), started_ms: Date.now(), version };
  const holder = (): HolderRow | undefined => {
    // A holder mid-commit has the file for a moment: wait briefly for it rather than fail to read.
    db.pragma('busy_timeout = 1000');
    try {
      return db.prepare<[], HolderRow>('SELECT * FROM holder WHERE id = 1').get();
    } catch {
      return undefined; // no table yet (its creator holds the lock), or unreadable
    } finally {
      db.pragma('busy_timeout = 0');
    }
  };
  const refused = (detail = ''): StoreLockedError => {
    const row = holder();
    return new StoreLockedError(
      store,
      row && row.token !== me.token
        ? { pid: row.pid, host: row.host, startedMs: row.started_ms, version: row.version }
        : undefined,
      detail,
    );
  };
  // The row naming the holder must be committed to be readable, and a commit ends the lock: so
  // write it, then take the lock again and check that nobody else's row landed in between (a
  // start at the same instant). Each round either keeps the lock or loses it to a named holder.
  for (let round = 0; round < 3; round++) {
    try {
      db.exec('BEGIN IMMEDIATE');
    } catch (err) {
      if (isBusy(err)) throw refused();
      throw new StoreLockError(`${file}: ${(err as Error).message}`);
    }
    db.exec(
      'CREATE TABLE IF NOT EXISTS holder (id INTEGER PRIMARY KEY CHECK (id = 1), token TEXT NOT NULL, ' +
        'pid INTEGER NOT NULL, host TEXT NOT NULL, started_ms INTEGER NOT NULL, version TEXT NOT NULL)',
    );
    const current = db.prepare<[], { token: string }>('SELECT token FROM holder WHERE id = 1').get();
    if (current?.token === me.token) {
      let released = false;
      return {
        file,
        release() {
          if (released) return;
          released = true;
          db.exec('ROLLBACK');
          db.close();
        },
      };
    }
    db.prepare(
      'INSERT OR REPLACE INTO holder (id, token, pid, host, started_ms, version) VALUES (1, ?, ?, ?, ?, ?)',
    ).run(me.token, me.pid, me.host, me.started_ms, me.version);
    // A refused process may be reading the row this instant; the commit waits for it.
    db.pragma('busy_timeout = 1000');
    db.exec('COMMIT');
    db.pragma('busy_timeout = 0');
  }
  throw refused(' (another process kept taking the lock while this one started)');
}
