// The SQLite store: the shared conformance suite, and what only a file has (WAL, durability, the
// schema version, reopening).
import Database from 'better-sqlite3';
import test from 'ava';
import { join } from 'node:path';
import { ErrorCodes } from '../../errors.js';
import { tempDir } from '../../testing/harness.js';
import { ingestReadings } from '../../testing/store-helpers.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../migrations.js';
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

/** A database file as an older coordinator left it: migrations 1..`version` applied. */
function olderDatabase(file: string, version: number): Database.Database {
  const raw = new Database(file);
  raw.exec('CREATE TABLE schema_version (version INTEGER NOT NULL) STRICT');
  for (const sql of MIGRATIONS.slice(0, version)) raw.exec(sql);
  raw.prepare('INSERT INTO schema_version (version) VALUES (?)').run(version);
  return raw;
}

test('store (sqlite) — a rollouts table made by the older rollout store is migrated with its records', (t) => {
  // Before migration 4 the rollout store created its table on a second connection, without a revision.
  const file = join(tempDir(t), 'coordinator.db');
  const raw = olderDatabase(file, 3);
  raw.exec(`CREATE TABLE rollouts (id INTEGER PRIMARY KEY, version INTEGER NOT NULL UNIQUE, state TEXT NOT NULL,
      record TEXT NOT NULL) STRICT;
    INSERT INTO rollouts VALUES (1, 4, 'halted', '{"id":1,"version":4,"state":"halted","cuts":[1]}');`);
  raw.close();
  const db = new SqliteStore(file);
  t.teardown(() => db.closeNow());
  t.like(db.rollouts.getNow(1), { revision: 1, record: { version: 4, state: 'halted' } });
});

test('store (sqlite) — readings of the keyed table move to day tables, with their rollups and seq ranges', async (t) => {
  const file = join(tempDir(t), 'coordinator.db');
  const raw = olderDatabase(file, 4);
  const day = Date.UTC(2026, 2, 2);
  const insert = raw.prepare('INSERT INTO readings VALUES (?, ?, ?, ?, ?, ?)');
  // edge-a: 1, 2, 3 and 5 (a gap at 4); seq 2 the next day.
  for (const [seq, at] of [
    [1, day + 1_000],
    [2, day + 86_400_000 + 1_000],
    [3, day + 2_000],
    [5, day + 3_000],
  ] as const)
    insert.run('edge-a', seq, 'lum-1', 'level.pct', seq * 10, at);
  raw.exec(`INSERT INTO ingest_stats (edge_id, readings_received, highest_seq, highest_contiguous_seq)
    VALUES ('edge-a', 4, 5, 3)`);
  raw.close();

  const db = new SqliteStore(file);
  t.teardown(async () => db.close());
  t.is(await db.telemetry.countReadings('edge-a'), 4);
  t.like(await db.telemetry.stats('edge-a'), { readingsReceived: 4, highestContiguousSeq: 3, gaps: 1 });
  // The held seq 5 is known without the old key: a re-send is a duplicate, the missing 4 is not.
  t.deepEqual(await ingestReadings(db, 'edge-a', rows(5, 4)), { stored: 1, duplicates: 1 });
  t.like(await db.telemetry.stats('edge-a'), { highestContiguousSeq: 5, gaps: 0 });
  const hourly = await db.series.rollups({ resolution: '1h', fromMs: day, toMs: day + 2 * 86_400_000 });
  t.like(hourly, [
    { bucketMs: day, n: 3, sum: 90, min: 10, max: 50 },
    { bucketMs: day + 86_400_000, n: 1, sum: 20 },
  ]);
  const raw2 = new Database(file, { readonly: true });
  t.teardown(() => raw2.close());
  t.falsy(
    raw2.prepare("SELECT 1 FROM sqlite_master WHERE name = 'readings'").get(),
    'the keyed table is gone',
  );
});
