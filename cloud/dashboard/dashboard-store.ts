// The dashboard's own SQLite file (`dashboard.db` beside the coordinator's database): operators'
// users, sessions, failed logins and the hash-chained audit log, through the same modules the
// edge console uses (common/access, common/audit). A file of its own rather than tables in the
// coordinator database: the coordinator's numbered migrations (cloud/store/migrations.ts) belong
// to the fleet data, which moves to JetStream KV next, while accounts and their audit trail must
// stay on one machine's disk with synchronous=FULL; and `calle dashboard user add` can open this
// file without touching the fleet's.
//
// The audit tables are created with the edge's own DDL (edge/store/migrations.ts, version 3): the
// AuditLog class writes `audit_log` and `meta.audit_last_seq`, and the triggers keep the log
// append-only here as on the node. The users module migrates its tables itself (users-schema.ts).
import type { Logger } from 'pino';
import { AuditLog } from '../../common/audit/audit-log.js';
import { openDatabase, type Db } from '../../common/sqlite/open-database.js';
import type { Migration } from '../../common/sqlite/migrations.js';
import { AUDIT_SCHEMA_SQL } from '../../common/audit/audit-schema.js';
import { LoginGuard } from '../../common/access/login-guard.js';
import { SessionStore } from '../../common/access/session-store.js';
import { SetupToken } from '../../common/access/setup-token.js';
import { UserStore } from '../../common/access/user-store.js';

/**
 * Append only: a migration that has shipped is never edited. Version 1 is the audit log's own
 * tables (common/audit/audit-schema.ts), byte for byte what this file shipped with.
 */
export const DASHBOARD_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'meta and the hash-chained audit log (same DDL as the edge)',
    sql: AUDIT_SCHEMA_SQL,
  },
];

/** Users, sessions, the login guard, the setup token and the audit log of the dashboard. */
export interface DashboardAccess {
  readonly db: Db;
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly guard: LoginGuard;
  readonly setup: SetupToken;
  readonly audit: AuditLog;
  close(): void;
}

export interface DashboardStoreOptions {
  readonly file: string;
  readonly log: Logger;
  readonly now?: () => number;
}

/** Opens (creating and migrating) the dashboard's file. Also used by the CLI, without a token. */
export function openDashboardStore(options: DashboardStoreOptions): Omit<DashboardAccess, 'setup'> {
  const db = openDatabase(options.file, DASHBOARD_MIGRATIONS);
  try {
    const clock = options.now ? { now: options.now } : {};
    const audit = new AuditLog({ db, log: options.log, ...clock });
    return {
      db,
      audit,
      users: new UserStore({ db, audit, ...clock }),
      sessions: new SessionStore({ db, ...clock }),
      guard: new LoginGuard({ db, ...clock }),
      close: () => {
        if (db.open) db.close();
      },
    };
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * Opens the store for the running dashboard. With no user at all, a one-time setup token is made
 * and logged once at warn (ETSI EN 303 645 §5.1: no default password); whoever reads the
 * coordinator's log can create the first engineer with it, or run `calle dashboard user add`.
 */
export function openDashboardAccess(options: DashboardStoreOptions): DashboardAccess {
  const store = openDashboardStore(options);
  const setup = new SetupToken(store.users.count(), options.now);
  if (setup.value !== undefined)
    options.log.warn(
      { setupToken: setup.value, store: options.file },
      'dashboard: no users yet; create the first engineer at /dashboard/ with this one-time token, or run `calle dashboard user add NAME --role engineer --store FILE`',
    );
  return { ...store, setup };
}
