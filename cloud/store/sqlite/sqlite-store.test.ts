// The SQLite store: the shared conformance suite, and what only a file has (WAL, durability, the
// schema version, reopening).
import Database from 'better-sqlite3';
import test from 'ava';
import { join } from 'node:path';
import { ErrorCodes } from '../../errors.js';
import { tempDir } from '../../testing/harness.js';
import { ingestReadings } from '../../testing/store-helpers.js';
import { SCHEMA_VERSION } from '../migrations.js';
import { rows, storeConformance } from '../store-conformance.js';
import { SqliteStore } from './sqlite-store.js';

storeConformance('sqlite', (t) => {
  const store = new SqliteStore(join(tempDir(t), 'coordinator.db'));
  t.teardown(async () => store.close());
  return store;
});

test('store (sqlite) — reopening the file keeps registry, readings, stats and policies', async (t) => {
  const file = join(tempDir(t), 'coordinator.db');
  const db = new SqliteStore(file);
  await db.registry.register({
    id: 'edge-a',
    district: 'centro',
    tags: ['pilot'],
    softwareVersion: '0.1.0',
    nowMs: 1_000,
  });
  await ingestReadings(db, 'edge-a', rows(1, 2, 3, 5));
  const version = await db.policies.storeNext(() => ({ bundle: new Uint8Array([8, 1]) }), 2_000);
  await db.close();

  const again = new SqliteStore(file);
  t.teardown(async () => again.close());
  t.like(await again.registry.get('edge-a'), {
    district: 'centro',
    tags: ['pilot'],
    registeredMs: 1_000,
    lastSeenMs: 1_000,
  });
  t.is(await again.telemetry.countReadings('edge-a'), 4);
  t.like(await again.telemetry.stats('edge-a'), {
    readingsReceived: 4,
    highestSeq: 5,
    highestContiguousSeq: 3,
    gaps: 1,
  });
  t.deepEqual(
    (await again.policies.after(0)).map((p) => p.version),
    [version],
  );
  // Versions continue after a restart rather than starting again at 1.
  t.is(await again.policies.storeNext(() => ({ bundle: new Uint8Array() }), 3_000), version + 1);
});

test('store (sqlite) — the file is in WAL mode with synchronous=FULL', (t) => {
  const file = join(tempDir(t), 'coordinator.db');
  const db = new SqliteStore(file);
  // 2 = FULL: the WAL is fsynced at every commit, so an acked NATS message survives a power cut.
  t.deepEqual(db.durability(), { journalMode: 'wal', synchronous: 2 });
  // Checkpoints every ~16 MB of WAL instead of 4 MB: fewer copies of the hot pages (issue #5).
  t.is(db.sqlite.pragma('wal_autocheckpoint', { simple: true }), 4000);
  db.closeNow();
  const raw = new Database(file, { readonly: true });
  t.teardown(() => raw.close());
  t.is(raw.pragma('journal_mode', { simple: true }), 'wal');
  t.is(raw.prepare('SELECT version FROM schema_version').pluck().get(), SCHEMA_VERSION);
});

test('store (sqlite) — a database with a newer schema version is refused with a clear error', (t) => {
  const file = join(tempDir(t), 'coordinator.db');
  new SqliteStore(file).closeNow();
  const raw = new Database(file);
  raw.prepare('UPDATE schema_version SET version = ?').run(SCHEMA_VERSION + 1);
  raw.close();

  const err = t.throws(() => new SqliteStore(file));
  t.is((err as unknown as { code: string }).code, ErrorCodes.SCHEMA_TOO_NEW);
  t.regex(err?.message ?? '', new RegExp(`schema version ${SCHEMA_VERSION + 1}.*up to ${SCHEMA_VERSION}`));
  // Refusing must not have touched the file.
  const check = new Database(file, { readonly: true });
  t.teardown(() => check.close());
  t.is(check.prepare('SELECT version FROM schema_version').pluck().get(), SCHEMA_VERSION + 1);
});

test('store (sqlite) — a rollouts table made by the older rollout store is migrated with its records', (t) => {
  // Before migration 4 the rollout store created its table on a second connection, without a revision.
  const file = join(tempDir(t), 'coordinator.db');
  new SqliteStore(file).closeNow();
  const raw = new Database(file);
  raw.exec(`DROP TABLE rollouts; UPDATE schema_version SET version = 3;
    ALTER TABLE policies DROP COLUMN rollback_of;
    CREATE TABLE rollouts (id INTEGER PRIMARY KEY, version INTEGER NOT NULL UNIQUE, state TEXT NOT NULL,
      record TEXT NOT NULL) STRICT;
    INSERT INTO rollouts VALUES (1, 4, 'halted', '{"id":1,"version":4,"state":"halted","cuts":[1]}');`);
  raw.close();
  const db = new SqliteStore(file);
  t.teardown(() => db.closeNow());
  t.like(db.rollouts.getNow(1), { revision: 1, record: { version: 4, state: 'halted' } });
});
