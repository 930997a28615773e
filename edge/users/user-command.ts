// `calle user add|passwd|list --store FILE`: manages the console's local users in an edge
// database, on the node itself (the first engineer of a new node is made here, or with the setup
// token). Passwords are read from standard input — one line, never from the command line, where
// `ps` and the shell history would keep them. Safe while the node runs (WAL; a change is one
// transaction with its audit row, actor "cli").
//
// Exit codes: 0 done, 1 refused (a user error: exists, unknown, weak password), 2 usage.
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { AuditLog } from '../../common/audit/audit-log.js';
import { openDatabase } from '../../common/sqlite/open-database.js';
import { isRole, ROLES } from '../../common/access/roles.js';
import { SessionStore } from '../../common/access/session-store.js';
import { UserError } from '../../common/access/user-error.js';
import { UserStore } from '../../common/access/user-store.js';
import { readHidden, type UserCommandIo } from '../../common/access/secret-input.js';
import { EDGE_MIGRATIONS } from '../store/migrations.js';

export const USER_USAGE = `Usage:
  calle user add NAME --role viewer|technician|engineer --store FILE
  calle user passwd NAME --store FILE
      The password is read from standard input (one line; at a terminal, typed without echo).
  calle user list --store FILE
      Prints each user's name, role and when it was created.`;

const PROCESS_IO: UserCommandIo = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  readSecret: readHidden,
};

/** Runs `calle user …` and returns the exit code. */
export async function runUserCommand(
  args: readonly string[],
  io: UserCommandIo = PROCESS_IO,
): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'add' && sub !== 'passwd' && sub !== 'list') {
    io.err(
      sub === undefined ? 'calle user: a subcommand is required' : `calle user: unknown subcommand '${sub}'`,
    );
    io.err(USER_USAGE);
    return 2;
  }
  let values: { store?: string; role?: string };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...rest],
      allowPositionals: true,
      options: { store: { type: 'string' }, role: { type: 'string' } },
    }));
  } catch (err) {
    io.err(`calle user ${sub}: ${(err as Error).message}`);
    return 2;
  }
  if (!values.store) {
    io.err(`calle user ${sub}: --store FILE is required`);
    return 2;
  }
  const name = positionals[0];
  if (sub !== 'list' && (name === undefined || positionals.length !== 1)) {
    io.err(`calle user ${sub}: exactly one user NAME is required`);
    return 2;
  }
  if (sub === 'add' && !isRole(values.role)) {
    io.err(`calle user add: --role must be one of ${ROLES.join(', ')}`);
    return 2;
  }

  const db = openDatabase(values.store, EDGE_MIGRATIONS);
  try {
    const audit = new AuditLog({ db, log: pino({ level: 'warn' }, process.stderr) });
    const users = new UserStore({ db, audit });
    if (sub === 'list') {
      for (const u of users.list())
        io.out(`${u.name}\t${u.role}\tcreated ${new Date(u.createdMs).toISOString()}`);
      return 0;
    }
    const password = await io.readSecret(`password for ${name}: `);
    if (sub === 'add') {
      const user = await users.add(name!, values.role as (typeof ROLES)[number], password, 'cli');
      io.out(`user ${user.name} added with role ${user.role}`);
    } else {
      await users.setPassword(name!, password, 'cli');
      // Whoever held the old password may hold a session too: it ends with the password.
      new SessionStore({ db }).endAllFor(name!);
      io.out(`password of ${name} changed; their console sessions ended`);
    }
    return 0;
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    io.err(`calle user ${sub}: ${err.message}`);
    return 1;
  } finally {
    db.close();
  }
}
