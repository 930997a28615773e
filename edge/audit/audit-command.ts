// `calle audit verify --store FILE`: walks the audit chain of an edge database and says whether it
// holds, for a technician at the cabinet or an auditor with a copied file. Opens the file
// read-only and never migrates it, so checking evidence cannot change it; safe while the node
// runs (WAL lets a reader see the last committed state).
//
// Exit codes: 0 the chain holds, 1 it is broken, 2 usage error or a file that is not an edge
// database with an audit log.
import Database from 'better-sqlite3';
import { parseArgs } from 'node:util';
import { verifyAuditChain } from '../../common/audit/audit-chain.js';

/** Schema version that added audit_log (edge/store/migrations.ts). */
const AUDIT_SCHEMA_VERSION = 3;

export const AUDIT_USAGE = `Usage:
  calle audit verify --store FILE
      Checks the hash chain of the edge database's audit log. Prints OK with the row count and
      the head hash, or the first broken row with its seq and reason. Exit 0 ok, 1 broken, 2 usage.`;

export interface CommandOutput {
  out(line: string): void;
  err(line: string): void;
}

const CONSOLE_OUTPUT: CommandOutput = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};

/** Runs `calle audit …` and returns the exit code. */
export function runAuditCommand(args: readonly string[], io: CommandOutput = CONSOLE_OUTPUT): number {
  const [sub, ...rest] = args;
  if (sub !== 'verify') {
    io.err(
      sub === undefined
        ? 'calle audit: a subcommand is required'
        : `calle audit: unknown subcommand '${sub}'`,
    );
    io.err(AUDIT_USAGE);
    return 2;
  }
  let store: string | undefined;
  try {
    ({ store } = parseArgs({ args: [...rest], options: { store: { type: 'string' } } }).values);
  } catch (err) {
    io.err(`calle audit verify: ${(err as Error).message}`);
    return 2;
  }
  if (!store) {
    io.err('calle audit verify: --store FILE is required');
    return 2;
  }

  let db: Database.Database;
  try {
    db = new Database(store, { readonly: true, fileMustExist: true });
  } catch (err) {
    io.err(`${store}: cannot open: ${(err as Error).message}`);
    return 2;
  }
  try {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version < AUDIT_SCHEMA_VERSION) {
      io.err(
        `${store}: no audit log (schema version ${version}; the audit log arrived in ${AUDIT_SCHEMA_VERSION})`,
      );
      return 2;
    }
    const verdict = verifyAuditChain(db);
    if (verdict.ok) {
      io.out(`${store}: audit log OK: ${verdict.rows} rows, head ${verdict.headHash}`);
      return 0;
    }
    io.out(
      `${store}: audit log BROKEN at seq ${verdict.brokenAt}: ${verdict.reason} ` +
        `(${verdict.rows} rows before it check out)`,
    );
    return 1;
  } catch (err) {
    // Not a SQLite file, or one without our tables: evidence we cannot read is not "OK".
    io.err(`${store}: cannot read the audit log: ${(err as Error).message}`);
    return 2;
  } finally {
    db.close();
  }
}
