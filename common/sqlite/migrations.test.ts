import test from 'ava';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { migrateUsers } from '../access/users-schema.js';
import { tempDir } from '../testing/temp-dir.js';
import { migrate, SCHEMA_TOO_NEW, SchemaTooNewError, type Migration } from './migrations.js';
import { openDatabase } from './open-database.js';

const TWO: readonly Migration[] = [
  { version: 1, description: 'a', sql: 'CREATE TABLE a (x INTEGER) STRICT;' },
  { version: 2, description: 'b', sql: 'CREATE TABLE b (y INTEGER) STRICT;' },
];

const tables = (db: Database.Database): string[] =>
  db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
    .all()
    .map((r) => r.name);

test('migrations — a store newer than this calle is refused with one code, whichever way it keeps its version', (t) => {
  const dir = tempDir(t);
  // user_version (the edge store, energy, dashboard) and a version table (the coordinator).
  for (const record of ['user_version', { table: 'schema_version' }] as const) {
    const file = join(dir, `${typeof record === 'string' ? record : record.table}.db`);
    openDatabase(file, TWO, record).close();
    const err = t.throws(() => openDatabase(file, TWO.slice(0, 1), record), {
      instanceOf: SchemaTooNewError,
    });
    t.is(err?.code, SCHEMA_TOO_NEW);
    t.is(err?.code, 'CALLE_ERR_SCHEMA_TOO_NEW');
    t.regex(err?.message ?? '', /schema version 2 is newer than this calle knows \(up to 1\)/);
    t.true(err?.message.startsWith(file));
  }
});

test('migrations — users tables newer than this calle raise the same error, not a bare Error', (t) => {
  // Regression: users-schema.ts had a runner of its own that threw an Error without a code.
  const db = new Database(':memory:');
  t.teardown(() => db.close());
  migrateUsers(db);
  db.exec('INSERT INTO users_schema (version) VALUES (99)');
  const err = t.throws(() => migrateUsers(db), { instanceOf: SchemaTooNewError });
  t.is(err?.code, SCHEMA_TOO_NEW);
  t.is(err?.found, 99);
});

test('migrations — a version table written the old ways (one row per version, or one row) reads the same', (t) => {
  const db = new Database(':memory:');
  t.teardown(() => db.close());
  // users_schema as the old users runner left it: one row per migration applied.
  db.exec(
    'CREATE TABLE v (version INTEGER NOT NULL) STRICT; INSERT INTO v VALUES (1); CREATE TABLE a (x INTEGER) STRICT',
  );
  migrate(db, ':memory:', TWO, { table: 'v' });
  t.deepEqual(db.prepare('SELECT version FROM v').pluck().all(), [2], 'one row, the newest');
  t.deepEqual(tables(db), ['a', 'b', 'v']);
  migrate(db, ':memory:', TWO, { table: 'v' });
  t.deepEqual(db.prepare('SELECT version FROM v').pluck().all(), [2], 'a second run changes nothing');
});

test('migrations — a failing migration leaves the previous version and none of its own changes', (t) => {
  const file = join(tempDir(t), 'x.db');
  const broken: Migration[] = [
    ...TWO,
    {
      version: 3,
      description: 'half',
      sql: 'CREATE TABLE c (z INTEGER) STRICT; INSERT INTO nowhere VALUES (1);',
    },
  ];
  // better-sqlite3's SqliteError is not an Error to ava's eyes, so catch it by hand.
  let thrown: unknown;
  try {
    openDatabase(file, broken).close();
  } catch (err) {
    thrown = err;
  }
  t.regex(String((thrown as { message?: string } | undefined)?.message), /no such table: nowhere/);
  const db = new Database(file);
  t.teardown(() => db.close());
  t.is(db.pragma('user_version', { simple: true }), 2);
  t.deepEqual(tables(db), ['a', 'b']);
});

test('migrations — a list not numbered 1, 2, 3… and a bad version table name are refused before any change', (t) => {
  const db = new Database(':memory:');
  t.teardown(() => db.close());
  t.throws(() => migrate(db, ':memory:', [TWO[1]!]), { message: /version 2 at position 1/ });
  t.throws(() => migrate(db, ':memory:', [TWO[0]!, TWO[0]!]), { message: /version 1 at position 2/ });
  t.throws(() => migrate(db, ':memory:', TWO, { table: 'v; DROP TABLE a' }), {
    message: /is not a table name/,
  });
  t.deepEqual(tables(db), []);
  t.is(db.pragma('user_version', { simple: true }), 0);
});
