// `calle user add|passwd|list --store FILE`: manages the console's local users in an edge
// database, on the node itself (the first engineer of a new node is made here, or with the setup
// token). Passwords are read from standard input — one line, never from the command line, where
// `ps` and the shell history would keep them. Safe while the node runs (WAL; a change is one
// transaction with its audit row, actor "cli").
//
// Exit codes: 0 done, 1 refused (a user error: exists, unknown, weak password), 2 usage.
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { AuditLog } from '../audit/audit-log.js';
import { openDatabase } from '../store/edge-db.js';
import { isRole, ROLES } from './roles.js';
import { SessionStore } from './session-store.js';
import { UserError } from './user-error.js';
import { UserStore } from './user-store.js';

export const USER_USAGE = `Usage:
  calle user add NAME --role viewer|technician|engineer --store FILE
  calle user passwd NAME --store FILE
      The password is read from standard input (one line; at a terminal, typed without echo).
  calle user list --store FILE
      Prints each user's name, role and when it was created.`;

export interface UserCommandIo {
  out(line: string): void;
  err(line: string): void;
  /** One line of secret input; the terminal does not echo it. */
  readSecret(prompt: string): Promise<string>;
}

async function readLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    if (Buffer.concat(chunks).includes(10)) break;
  }
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

/** Reads a password: without echo at a terminal, the first line of standard input otherwise. */
export async function readHidden(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) return readLine();
  process.stderr.write(prompt);
  process.stdin.setRawMode(true);
  let line = '';
  try {
    for await (const chunk of process.stdin) {
      for (const ch of (chunk as Buffer).toString('utf8')) {
        if (ch === '\r' || ch === '\n') return line;
        if (ch === '\u0003') throw new Error('cancelled');
        if (ch === '\u007f') line = line.slice(0, -1);
        else line += ch;
      }
    }
    return line;
  } finally {
    process.stdin.setRawMode(false);
    process.stdin.pause();
    process.stderr.write('\n');
  }
}

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

  const db = openDatabase(values.store);
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
