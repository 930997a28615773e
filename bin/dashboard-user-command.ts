// `calle dashboard user add|passwd|list --store FILE` and `calle dashboard audit verify --store FILE`:
// the fleet dashboard's accounts and audit trail, in the dashboard's own file (cloud/dashboard/
// dashboard-store.ts; `dashboard.db` beside the coordinator's database by default). The first
// engineer is made here or with the one-time setup token the coordinator logs when it has no user;
// there is no default password. Same rules as `calle user` on a node: passwords from standard
// input only (never the command line, which `ps` and shell history keep), each change one
// transaction with its audit row (actor "cli"), safe while the coordinator runs (WAL).
//
// Exit codes: 0 done (or the chain holds), 1 refused (exists, unknown, weak password; a broken
// chain), 2 usage.
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { openDashboardStore } from '../cloud/dashboard/dashboard-store.js';
import { verifyAuditChain } from '../common/audit/audit-chain.js';
import { isRole, ROLES, type Role } from '../common/access/roles.js';
import { readHidden, type UserCommandIo } from '../common/access/secret-input.js';
import { UserError } from '../common/access/user-error.js';

export const DASHBOARD_USAGE = `Usage:
  calle dashboard user add NAME --role viewer|technician|engineer --store FILE
  calle dashboard user passwd NAME --store FILE
      The password is read from standard input (one line; at a terminal, typed without echo).
      Roles on the fleet: viewer reads; technician (the page's "operator") also halts, resumes and
      rolls back rollouts; engineer also publishes policies and starts rollouts.
  calle dashboard user list --store FILE
  calle dashboard audit verify --store FILE
      FILE is the dashboard's database (default: dashboard.db beside the coordinator's --db).`;

const PROCESS_IO: UserCommandIo = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  readSecret: readHidden,
};

/** Runs `calle dashboard …` and returns the exit code. */
export async function runDashboardCommand(
  args: readonly string[],
  io: UserCommandIo = PROCESS_IO,
): Promise<number> {
  const [area, sub, ...rest] = args;
  const known = area === 'user' ? ['add', 'passwd', 'list'] : area === 'audit' ? ['verify'] : [];
  if (sub === undefined || !known.includes(sub)) {
    io.err(`calle dashboard: unknown or missing subcommand '${[area, sub].filter(Boolean).join(' ')}'`);
    io.err(DASHBOARD_USAGE);
    return 2;
  }
  const command = `calle dashboard ${area} ${sub}`;
  let values: { store?: string; role?: string };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...rest],
      allowPositionals: true,
      options: { store: { type: 'string' }, role: { type: 'string' } },
    }));
  } catch (err) {
    io.err(`${command}: ${(err as Error).message}`);
    return 2;
  }
  if (!values.store) {
    io.err(`${command}: --store FILE is required`);
    return 2;
  }
  const name = positionals[0];
  const named = sub === 'add' || sub === 'passwd';
  if (named !== (positionals.length === 1) || positionals.length > 1) {
    io.err(named ? `${command}: exactly one user NAME is required` : `${command}: takes no NAME`);
    return 2;
  }
  if (sub === 'add' && !isRole(values.role)) {
    io.err(`${command}: --role must be one of ${ROLES.join(', ')}`);
    return 2;
  }

  const store = openDashboardStore({ file: values.store, log: pino({ level: 'warn' }, process.stderr) });
  try {
    if (sub === 'verify') {
      const verdict = verifyAuditChain(store.db);
      if (verdict.ok) {
        io.out(`${values.store}: audit log OK: ${verdict.rows} rows, head ${verdict.headHash}`);
        return 0;
      }
      io.out(`${values.store}: audit log BROKEN at seq ${verdict.brokenAt}: ${verdict.reason}`);
      return 1;
    }
    if (sub === 'list') {
      for (const u of store.users.list())
        io.out(`${u.name}\t${u.role}\tcreated ${new Date(u.createdMs).toISOString()}`);
      return 0;
    }
    const password = await io.readSecret(`password for ${name}: `);
    if (sub === 'add') {
      const user = await store.users.add(name!, values.role as Role, password, 'cli');
      io.out(`user ${user.name} added with role ${user.role}`);
    } else {
      await store.users.setPassword(name!, password, 'cli');
      // Whoever held the old password may hold a session too: it ends with the password.
      store.sessions.endAllFor(name!);
      io.out(`password of ${name} changed; their dashboard sessions ended`);
    }
    return 0;
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    io.err(`${command}: ${err.message}`);
    return 1;
  } finally {
    store.close();
  }
}
