// The one migration runner for every SQLite file calle keeps (the edge store, the energy ledger,
// the console's and the dashboard's users and audit, the coordinator database). There were three
// (edge/store/edge-db.ts, cloud/store/migrations.ts, edge/users/users-schema.ts) with three
// answers to one error: `CALLE_SCHEMA_TOO_NEW`, `CALLE_ERR_SCHEMA_TOO_NEW`, and a bare Error.
//
// Rules every store follows: migration N takes the schema from N-1 to N; each runs in its own
// transaction together with the bump of its version, so a crash half-way leaves the previous
// version intact; a migration that has shipped is never edited (stores in the street already ran
// it), a change is a new migration; a file newer than this code is refused, not guessed at (an
// older calle writing into a newer schema could break what the newer code relies on).
//
// Where the version is kept stays what each store already wrote, so files in the field open as
// before: SQLite's `user_version` (the edge store, energy, dashboard), or a one-column table when
// two schemas share a file (`users_schema` beside the edge store's user_version) or by history
// (`schema_version`, the coordinator). A version table is read with max() and rewritten to one
// row, which both earlier readers (the first row; max) read the same way.
import type Database from 'better-sqlite3';

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

/** Where a schema's version is kept in the file. */
export type VersionRecord = 'user_version' | { readonly table: string };

/** The stable code of a file written by a newer calle (one code for every store). */
export const SCHEMA_TOO_NEW = 'CALLE_ERR_SCHEMA_TOO_NEW';

/** Raised when the file was written by a newer calle than this one; the file is left untouched. */
export class SchemaTooNewError extends Error {
  readonly code = SCHEMA_TOO_NEW;
  override readonly name = 'SchemaTooNewError';
  constructor(
    readonly file: string,
    readonly found: number,
    readonly known: number,
  ) {
    super(
      `${file}: database schema version ${found} is newer than this calle knows (up to ${known}); ` +
        'run the calle version that wrote it, or restore a backup',
    );
  }
}

const TABLE_NAME = /^[a-z][a-z0-9_]{0,62}$/;

/**
 * Brings the schema kept in `record` up to the last of `migrations`. Throws SchemaTooNewError on a
 * newer file, and a plain Error on a migration list that is not numbered 1, 2, 3… (a bug here).
 */
export function migrate(
  db: Database.Database,
  file: string,
  migrations: readonly Migration[],
  record: VersionRecord = 'user_version',
): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(`migrations: version ${m.version} at position ${i + 1}; number them 1, 2, 3… in order`);
  });
  const version = versionStore(db, record);
  const known = migrations.length;
  const current = version.read();
  if (current > known) throw new SchemaTooNewError(file, current, known);
  for (const m of migrations.slice(current)) {
    db.transaction(() => {
      db.exec(m.sql);
      version.write(m.version);
    })();
  }
}

function versionStore(
  db: Database.Database,
  record: VersionRecord,
): { read(): number; write(v: number): void } {
  if (record === 'user_version')
    return {
      read: () => db.pragma('user_version', { simple: true }) as number,
      write: (v) => db.pragma(`user_version = ${v}`),
    };
  if (!TABLE_NAME.test(record.table))
    throw new Error(`migrations: ${JSON.stringify(record.table)} is not a table name`);
  db.exec(`CREATE TABLE IF NOT EXISTS ${record.table} (version INTEGER NOT NULL) STRICT`);
  const read = db.prepare<[], { version: number | null }>(
    `SELECT max(version) AS version FROM ${record.table}`,
  );
  const clear = db.prepare(`DELETE FROM ${record.table}`);
  const insert = db.prepare(`INSERT INTO ${record.table} (version) VALUES (?)`);
  return {
    read: () => read.get()?.version ?? 0,
    write: (v) => {
      clear.run();
      insert.run(v);
    },
  };
}
