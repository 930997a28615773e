// Console sessions. The cookie carries 32 random bytes; the database keeps only their SHA-256, so
// a copied database file opens no session. A session locks after IDLE_MS without activity
// (IEC 62443-4-2 CR 2.5, session lock) and ends after MAX_AGE_MS whatever happens; the user signs
// in again. Each session has its own CSRF token (see console-auth.ts).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Db } from '../sqlite/open-database.js';
import type { Role } from './roles.js';
import { migrateUsers } from './users-schema.js';

/** CR 2.5: the console locks after 15 minutes without activity. */
export const IDLE_MS = 15 * 60_000;
/** A working shift: past this a session ends even when in use. */
export const MAX_AGE_MS = 12 * 60 * 60_000;
/**
 * Activity is written at most this often: every write is an fsync (synchronous=FULL) and a phone
 * may make several requests a second. The lock may therefore come up to this much later.
 */
const TOUCH_EVERY_MS = 30_000;

export interface Session {
  readonly user: string;
  readonly role: Role;
  readonly csrf: string;
  readonly createdMs: number;
  readonly seenMs: number;
}

export type SessionLookup =
  | { readonly ok: true; readonly session: Session }
  | { readonly ok: false; readonly reason: 'missing' | 'idle' | 'expired' };

interface Row {
  user_name: string;
  role: string;
  csrf: string;
  created_ms: number;
  seen_ms: number;
}

const digest = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** Compares two tokens in constant time; false when either is missing or the lengths differ. */
export function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class SessionStore {
  readonly #now: () => number;
  readonly #q: {
    insert: Database.Statement<[string, string, string, number, number]>;
    get: Database.Statement<[string], Row>;
    touch: Database.Statement<[number, string]>;
    remove: Database.Statement<[string]>;
    removeUser: Database.Statement<[string]>;
    prune: Database.Statement<[number, number]>;
  };

  constructor(options: { db: Db; now?: () => number }) {
    const db = options.db;
    migrateUsers(db);
    this.#now = options.now ?? Date.now;
    this.#q = {
      insert: db.prepare(
        'INSERT INTO console_session (token_hash, user_name, csrf, created_ms, seen_ms) VALUES (?, ?, ?, ?, ?)',
      ),
      get: db.prepare(
        `SELECT s.user_name, u.role, s.csrf, s.created_ms, s.seen_ms
           FROM console_session s JOIN console_user u ON u.name = s.user_name
          WHERE s.token_hash = ?`,
      ),
      touch: db.prepare('UPDATE console_session SET seen_ms = ? WHERE token_hash = ?'),
      remove: db.prepare('DELETE FROM console_session WHERE token_hash = ?'),
      removeUser: db.prepare('DELETE FROM console_session WHERE user_name = ?'),
      prune: db.prepare('DELETE FROM console_session WHERE seen_ms < ? OR created_ms < ?'),
    };
  }

  /** Opens a session; the token goes in the cookie and is not kept anywhere. */
  create(user: string): { token: string; csrf: string } {
    const now = this.#now();
    this.#q.prune.run(now - IDLE_MS, now - MAX_AGE_MS);
    const token = randomBytes(32).toString('base64url');
    const csrf = randomBytes(32).toString('base64url');
    this.#q.insert.run(digest(token), user, csrf, now, now);
    return { token, csrf };
  }

  /**
   * The live session for a cookie token. `touch` records activity (a request the user made);
   * the event stream's periodic check passes false, so an open page alone never keeps a session
   * alive. An idle or expired session is deleted: the lock cannot be undone, only signed in again.
   */
  lookup(token: string | undefined, touch: boolean): SessionLookup {
    if (!token) return { ok: false, reason: 'missing' };
    const key = digest(token);
    const row = this.#q.get.get(key);
    if (!row) return { ok: false, reason: 'missing' };
    const now = this.#now();
    if (now - row.created_ms >= MAX_AGE_MS || now - row.seen_ms >= IDLE_MS) {
      this.#q.remove.run(key);
      return { ok: false, reason: now - row.created_ms >= MAX_AGE_MS ? 'expired' : 'idle' };
    }
    let seenMs = row.seen_ms;
    if (touch && now - row.seen_ms >= TOUCH_EVERY_MS) {
      this.#q.touch.run(now, key);
      seenMs = now;
    }
    return {
      ok: true,
      session: {
        user: row.user_name,
        role: row.role as Role,
        csrf: row.csrf,
        createdMs: row.created_ms,
        seenMs,
      },
    };
  }

  end(token: string): void {
    this.#q.remove.run(digest(token));
  }

  /** Ends every session of a user (password or role changed, user removed). */
  endAllFor(user: string): void {
    this.#q.removeUser.run(user);
  }
}
