// The console's local users (IEC 62443-4-2 CR 1.1: each person has their own identity; ETSI EN
// 303 645 §5.1: there is no default password — the first engineer is created from the command line
// or with the one-time setup token, see setup-token.ts). Every change is an audit row with who did
// it and the state before and after; password hashes never enter the audit log, only the fact
// that a password changed.
import type Database from 'better-sqlite3';
import type { AuditLog } from '../audit/audit-log.js';
import type { Db } from '../sqlite/open-database.js';
import {
  decoyHash,
  hashParams,
  hashPassword,
  passwordProblem,
  SCRYPT_PARAMS,
  verifyPassword,
} from './password-hash.js';
import { isRole, ROLES, type Role } from './roles.js';
import { UserError } from './user-error.js';
import { migrateUsers } from './users-schema.js';

export interface UserSummary {
  readonly name: string;
  readonly role: Role;
  readonly createdMs: number;
  readonly updatedMs: number;
}

interface UserRow {
  name: string;
  role: string;
  hash: string;
  created_ms: number;
  updated_ms: number;
}

/** Lower-case letters, digits, dot, dash, underscore; starts with a letter; 2–32 characters. */
const NAME = /^[a-z][a-z0-9._-]{1,31}$/;

export interface UserStoreOptions {
  readonly db: Db;
  /** Where changes are recorded; the CLI and the console share the node's log. */
  readonly audit: AuditLog;
  readonly now?: () => number;
}

function summary(row: UserRow): UserSummary {
  return { name: row.name, role: row.role as Role, createdMs: row.created_ms, updatedMs: row.updated_ms };
}

export class UserStore {
  readonly #audit: AuditLog;
  readonly #now: () => number;
  readonly #q: {
    get: Database.Statement<[string], UserRow>;
    list: Database.Statement<[], UserRow>;
    count: Database.Statement<[], { n: number }>;
    engineers: Database.Statement<[], { n: number }>;
    insert: Database.Statement<[string, string, string, number, number]>;
    setHash: Database.Statement<[string, number, string]>;
    setRole: Database.Statement<[string, number, string]>;
    remove: Database.Statement<[string]>;
  };

  constructor(options: UserStoreOptions) {
    const db = options.db;
    migrateUsers(db);
    this.#audit = options.audit;
    this.#now = options.now ?? Date.now;
    this.#q = {
      get: db.prepare('SELECT * FROM console_user WHERE name = ?'),
      list: db.prepare('SELECT * FROM console_user ORDER BY name'),
      count: db.prepare('SELECT count(*) AS n FROM console_user'),
      engineers: db.prepare("SELECT count(*) AS n FROM console_user WHERE role = 'engineer'"),
      insert: db.prepare(
        'INSERT INTO console_user (name, role, hash, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?)',
      ),
      setHash: db.prepare('UPDATE console_user SET hash = ?, updated_ms = ? WHERE name = ?'),
      setRole: db.prepare('UPDATE console_user SET role = ?, updated_ms = ? WHERE name = ?'),
      remove: db.prepare('DELETE FROM console_user WHERE name = ?'),
    };
  }

  count(): number {
    return this.#q.count.get()?.n ?? 0;
  }

  get(name: string): UserSummary | undefined {
    const row = this.#q.get.get(name);
    return row ? summary(row) : undefined;
  }

  list(): UserSummary[] {
    return this.#q.list.all().map(summary);
  }

  /** Creates a user; `actor` is who did it ("cli", "setup-token" or a user name). */
  async add(name: string, role: Role, password: string, actor: string): Promise<UserSummary> {
    if (!NAME.test(name))
      throw new UserError('CALLE_USER_INVALID', 'name', 'use 2–32 of a-z 0-9 . _ -, starting with a letter');
    if (!isRole(role))
      throw new UserError('CALLE_USER_INVALID', 'role', `must be one of ${ROLES.join(', ')}`);
    const problem = passwordProblem(password);
    if (problem) throw new UserError('CALLE_USER_INVALID', 'password', problem);
    if (this.#q.get.get(name))
      throw new UserError('CALLE_USER_EXISTS', 'name', `user "${name}" already exists`);
    const hash = await hashPassword(password);
    const now = this.#now();
    const after = { name, role };
    // The row and its audit record commit together. The existence check is repeated inside the
    // transaction: the hash took an await, in which another request may have added the name.
    this.#audit.appendWith(
      { actor, action: 'user.added', target: `user:${name}`, after, timeMs: now },
      () => {
        if (this.#q.get.get(name))
          throw new UserError('CALLE_USER_EXISTS', 'name', `user "${name}" already exists`);
        this.#q.insert.run(name, role, hash, now, now);
      },
    );
    return { name, role, createdMs: now, updatedMs: now };
  }

  async setPassword(name: string, password: string, actor: string): Promise<void> {
    const problem = passwordProblem(password);
    if (problem) throw new UserError('CALLE_USER_INVALID', 'password', problem);
    if (!this.#q.get.get(name)) throw new UserError('CALLE_USER_UNKNOWN', 'name', `no user "${name}"`);
    const hash = await hashPassword(password);
    const now = this.#now();
    this.#audit.appendWith(
      {
        actor,
        action: 'user.password_changed',
        target: `user:${name}`,
        after: { passwordChanged: true },
        timeMs: now,
      },
      () => {
        if (this.#q.setHash.run(hash, now, name).changes !== 1)
          throw new UserError('CALLE_USER_UNKNOWN', 'name', `no user "${name}"`);
      },
    );
  }

  setRole(name: string, role: Role, actor: string): void {
    if (!isRole(role))
      throw new UserError('CALLE_USER_INVALID', 'role', `must be one of ${ROLES.join(', ')}`);
    const row = this.#q.get.get(name);
    if (!row) throw new UserError('CALLE_USER_UNKNOWN', 'name', `no user "${name}"`);
    if (row.role === 'engineer' && role !== 'engineer') this.#keepOneEngineer();
    const now = this.#now();
    this.#audit.appendWith(
      {
        actor,
        action: 'user.role_changed',
        target: `user:${name}`,
        before: { role: row.role },
        after: { role },
        timeMs: now,
      },
      () => this.#q.setRole.run(role, now, name),
    );
  }

  remove(name: string, actor: string): void {
    const row = this.#q.get.get(name);
    if (!row) throw new UserError('CALLE_USER_UNKNOWN', 'name', `no user "${name}"`);
    if (row.role === 'engineer') this.#keepOneEngineer();
    this.#audit.appendWith(
      { actor, action: 'user.removed', target: `user:${name}`, before: { name, role: row.role } },
      () => this.#q.remove.run(name),
    );
  }

  /**
   * The user when `password` is theirs, else undefined. An unknown name costs the same scrypt
   * work as a known one. A hash made with older parameters is replaced on success.
   */
  async authenticate(name: string, password: string): Promise<UserSummary | undefined> {
    const row = this.#q.get.get(name);
    if (!row) {
      await verifyPassword(password, await decoyHash());
      return undefined;
    }
    if (!(await verifyPassword(password, row.hash))) return undefined;
    const params = hashParams(row.hash);
    if (params && params.logN < SCRYPT_PARAMS.logN) {
      this.#q.setHash.run(await hashPassword(password), row.updated_ms, name);
    }
    return summary(row);
  }

  // Removing or demoting the last engineer would leave nobody able to manage users or clear a
  // latch at this cabinet short of the command line.
  #keepOneEngineer(): void {
    if ((this.#q.engineers.get()?.n ?? 0) <= 1)
      throw new UserError(
        'CALLE_USER_LAST_ENGINEER',
        'role',
        'the last engineer cannot be removed or demoted',
      );
  }
}
