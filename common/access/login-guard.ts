// Limits on failed logins (IEC 62443-4-2 CR 1.11, unsuccessful login attempts): after
// MAX_FAILURES failures for one user name within WINDOW_MS, that name is locked until the oldest
// of those failures is WINDOW_MS old — even the right password is refused meanwhile. Failures are
// stored in the edge database so that a reboot does not reset the count, and kept for unknown
// names too, so that the answer never tells whether a name exists.
//
// Separately, each client address may try at most PER_ADDRESS_PER_MIN logins a minute (held in
// memory: it only slows a password sprayer across many names, and a restart resetting it is fine).
// Hazard: a lockout by name lets anyone lock a technician out for 15 minutes by guessing wrong on
// purpose; CR 1.11 accepts that trade, and the cabinet's network is not the open internet.
import type Database from 'better-sqlite3';
import type { Db } from '../sqlite/open-database.js';
import { migrateUsers } from './users-schema.js';

export const MAX_FAILURES = 5;
export const WINDOW_MS = 15 * 60_000;
export const PER_ADDRESS_PER_MIN = 20;

export type LoginGate =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly reason: 'locked' | 'rate'; readonly retryAfterS: number };

export class LoginGuard {
  readonly #now: () => number;
  readonly #byAddress = new Map<string, number[]>();
  readonly #q: {
    recent: Database.Statement<[string, number], { time_ms: number }>;
    insert: Database.Statement<[string, number]>;
    clear: Database.Statement<[string]>;
    prune: Database.Statement<[number]>;
  };

  constructor(options: { db: Db; now?: () => number }) {
    migrateUsers(options.db);
    this.#now = options.now ?? Date.now;
    const db = options.db;
    this.#q = {
      recent: db.prepare(
        'SELECT time_ms FROM console_login_failure WHERE user_name = ? AND time_ms > ? ORDER BY time_ms',
      ),
      insert: db.prepare('INSERT INTO console_login_failure (user_name, time_ms) VALUES (?, ?)'),
      clear: db.prepare('DELETE FROM console_login_failure WHERE user_name = ?'),
      prune: db.prepare('DELETE FROM console_login_failure WHERE time_ms <= ?'),
    };
  }

  /** Whether a login attempt may even be checked; counts the attempt against the address. */
  admit(name: string, address: string): LoginGate {
    const now = this.#now();
    const failures = this.#q.recent.all(name, now - WINDOW_MS);
    if (failures.length >= MAX_FAILURES) {
      const unlockMs = failures[failures.length - MAX_FAILURES]!.time_ms + WINDOW_MS;
      return {
        allowed: false,
        reason: 'locked',
        retryAfterS: Math.max(1, Math.ceil((unlockMs - now) / 1000)),
      };
    }
    const attempts = (this.#byAddress.get(address) ?? []).filter((t) => t > now - 60_000);
    if (attempts.length >= PER_ADDRESS_PER_MIN) {
      this.#byAddress.set(address, attempts);
      return {
        allowed: false,
        reason: 'rate',
        retryAfterS: Math.max(1, Math.ceil((attempts[0]! + 60_000 - now) / 1000)),
      };
    }
    attempts.push(now);
    this.#byAddress.set(address, attempts);
    // Bound the map: a scan of addresses must not grow memory without limit.
    if (this.#byAddress.size > 10_000) this.#byAddress.clear();
    return { allowed: true };
  }

  /** Records a failure; returns true when this failure locked the name. */
  failed(name: string): boolean {
    const now = this.#now();
    this.#q.prune.run(now - WINDOW_MS);
    this.#q.insert.run(name, now);
    return this.#q.recent.all(name, now - WINDOW_MS).length === MAX_FAILURES;
  }

  succeeded(name: string): void {
    this.#q.clear.run(name);
  }
}
