// The users module's one door for the console: users, sessions, the login guard and the setup
// token, opened on the edge database.
import type { Logger } from 'pino';
import type { AuditLog } from '../../common/audit/audit-log.js';
import type { Db } from '../../common/sqlite/open-database.js';
import { LoginGuard } from '../../common/access/login-guard.js';
import { SessionStore } from '../../common/access/session-store.js';
import { SetupToken } from '../../common/access/setup-token.js';
import { UserStore } from '../../common/access/user-store.js';

export interface ConsoleAccess {
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly guard: LoginGuard;
  readonly setup: SetupToken;
  /** Where logins, user changes and console actions are recorded. */
  readonly audit: AuditLog;
}

export function openConsoleAccess(options: {
  db: Db;
  audit: AuditLog;
  log: Logger;
  now?: () => number;
}): ConsoleAccess {
  const { db, audit, now } = options;
  const users = new UserStore({ db, audit, ...(now ? { now } : {}) });
  const sessions = new SessionStore({ db, ...(now ? { now } : {}) });
  const guard = new LoginGuard({ db, ...(now ? { now } : {}) });
  const setup = new SetupToken(users.count(), now);
  if (setup.value !== undefined) {
    // Printed once, at warn so that it shows at the default level. Not an error: a fresh node.
    options.log.warn(
      { setupToken: setup.value },
      'console: no users yet; create the first engineer in the console with this one-time token, or run `calle user add NAME --role engineer --store FILE`',
    );
  }
  return { users, sessions, guard, setup, audit };
}
