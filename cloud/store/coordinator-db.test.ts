import Database from 'better-sqlite3';
import test from 'ava';
import { join } from 'node:path';
import { ErrorCodes } from '../errors.js';
import { tempDir } from '../testing/harness.js';
import { CoordinatorDb, type ReadingRow } from './coordinator-db.js';
import { SCHEMA_VERSION } from './migrations.js';

const rows = (...seqs: number[]): ReadingRow[] =>
  seqs.map((seq) => ({
    seq,
    deviceId: 'lum-07',
    metric: 'level.pct',
    value: seq,
    timeMs: 1_700_000_000_000 + seq,
  }));

test('store — reopening the file keeps registry, readings, stats and policies', (t) => {
  const file = join(tempDir(t), 'coordinator.db');
  const db = new CoordinatorDb(file);
  db.upsertEdge({
    id: 'edge-a',
    district: 'centro',
    tags: ['pilot'],
    softwareVersion: '0.1.0',
    nowMs: 1_000,
  });
  db.ingestReadings('edge-a', rows(1, 2, 3, 5));
  const version = db.storePolicy(() => new Uint8Array([8, 1]), 2_000);
  db.close();

  const again = new CoordinatorDb(file);
  t.teardown(() => again.close());
  t.like(again.getEdge('edge-a'), {
    district: 'centro',
    tags: ['pilot'],
    registeredMs: 1_000,
    lastSeenMs: 1_000,
  });
  t.is(again.countReadings('edge-a'), 4);
  t.like(again.ingestStats('edge-a'), {
    readingsReceived: 4,
    highestSeq: 5,
    highestContiguousSeq: 3,
    gaps: 1,
  });
  t.deepEqual(
    again.policiesAfter(0).map((p) => p.version),
    [version],
  );
  // Versions continue after a restart rather than starting again at 1.
  t.is(
    again.storePolicy(() => new Uint8Array(), 3_000),
    version + 1,
  );
});

test('store — the file is in WAL mode with synchronous=FULL', (t) => {
  const file = join(tempDir(t), 'coordinator.db');
  const db = new CoordinatorDb(file);
  // 2 = FULL: the WAL is fsynced at every commit, so an acked NATS message survives a power cut.
  t.deepEqual(db.durability(), { journalMode: 'wal', synchronous: 2 });
  // Checkpoints every ~16 MB of WAL instead of 4 MB: fewer copies of the hot pages (issue #5).
  t.is(db.sqlite.pragma('wal_autocheckpoint', { simple: true }), 4000);
  db.close();
  const raw = new Database(file, { readonly: true });
  t.teardown(() => raw.close());
  t.is(raw.pragma('journal_mode', { simple: true }), 'wal');
  t.is(raw.prepare('SELECT version FROM schema_version').pluck().get(), SCHEMA_VERSION);
});

test('store — a database with a newer schema version is refused with a clear error', (t) => {
  const file = join(tempDir(t), 'coordinator.db');
  new CoordinatorDb(file).close();
  const raw = new Database(file);
  raw.prepare('UPDATE schema_version SET version = ?').run(SCHEMA_VERSION + 1);
  raw.close();

  const err = t.throws(() => new CoordinatorDb(file));
  t.is((err as unknown as { code: string }).code, ErrorCodes.SCHEMA_TOO_NEW);
  t.regex(err?.message ?? '', new RegExp(`schema version ${SCHEMA_VERSION + 1}.*up to ${SCHEMA_VERSION}`));
  // Refusing must not have touched the file.
  const check = new Database(file, { readonly: true });
  t.teardown(() => check.close());
  t.is(check.prepare('SELECT version FROM schema_version').pluck().get(), SCHEMA_VERSION + 1);
});

test('store — contiguous seq advances over readings and events alike; duplicates are counted', (t) => {
  const db = new CoordinatorDb(join(tempDir(t), 'coordinator.db'));
  t.teardown(() => db.close());
  t.deepEqual(db.ingestReadings('edge-a', rows(1, 2)), { stored: 2, duplicates: 0 });
  t.deepEqual(db.ingestReadings('edge-a', rows(4, 6)), { stored: 2, duplicates: 0 });
  t.like(db.ingestStats('edge-a'), { highestContiguousSeq: 2, highestSeq: 6, gaps: 2 });

  // seq 3 was an event: it closes the first gap.
  db.ingestEvent({
    edgeId: 'edge-a',
    seq: 3,
    code: 'POLICY_APPLIED',
    severity: 1,
    deviceId: '',
    message: 'v3',
    timeMs: 1,
    active: false,
  });
  t.like(db.ingestStats('edge-a'), {
    highestContiguousSeq: 4,
    gaps: 1,
    eventsReceived: 1,
    readingsReceived: 4,
  });

  t.deepEqual(db.ingestReadings('edge-a', rows(4, 5)), { stored: 1, duplicates: 1 });
  t.like(db.ingestStats('edge-a'), { highestContiguousSeq: 6, gaps: 0, duplicates: 1, readingsReceived: 5 });
  // Another edge's counters are its own.
  t.is(db.ingestStats('edge-b'), undefined);
});

test('store — the fleet overview lists registered edges and edges that only sent data', (t) => {
  const db = new CoordinatorDb(join(tempDir(t), 'coordinator.db'));
  t.teardown(() => db.close());
  db.upsertEdge({ id: 'edge-a', district: 'centro', tags: [], softwareVersion: '', nowMs: 5 });
  db.ingestReadings('edge-z', rows(1));
  t.like(db.listEdgeStatus(), [
    { id: 'edge-a', district: 'centro', lastSeenMs: 5, stats: { readingsReceived: 0, gaps: 0 } },
    {
      id: 'edge-z',
      district: null,
      lastSeenMs: null,
      stats: { readingsReceived: 1, highestContiguousSeq: 1 },
    },
  ]);
});

test('store — a message with more rows than one INSERT takes is stored whole, its own duplicates counted', (t) => {
  const db = new CoordinatorDb(join(tempDir(t), 'coordinator.db'));
  t.teardown(() => db.close());
  const seqs = Array.from({ length: 70 }, (_, i) => i + 1);
  // seq 40 twice in one message: the second copy is a duplicate, as if it came later.
  t.deepEqual(db.ingestReadings('edge-a', rows(...seqs, 40)), { stored: 70, duplicates: 1 });
  t.is(db.countReadings('edge-a'), 70);
  t.like(db.ingestStats('edge-a'), {
    readingsReceived: 70,
    duplicates: 1,
    highestSeq: 70,
    highestContiguousSeq: 70,
  });
});

test('store — in a batch of several edges, a redelivered message alone is counted as duplicates', (t) => {
  const db = new CoordinatorDb(join(tempDir(t), 'coordinator.db'));
  t.teardown(() => db.close());
  // Edges interleaved as they arrive from JetStream; the readings of one edge share INSERTs.
  t.deepEqual(
    db.ingestMany([
      { edgeId: 'edge-a', readings: rows(1, 2) },
      { edgeId: 'edge-b', readings: rows(1) },
      { edgeId: 'edge-a', readings: rows(4, 3) },
      { edgeId: 'edge-b', readings: rows(2, 3) },
    ]),
    [
      { ok: true, stored: 2, duplicates: 0 },
      { ok: true, stored: 1, duplicates: 0 },
      { ok: true, stored: 2, duplicates: 0 },
      { ok: true, stored: 2, duplicates: 0 },
    ],
  );
  // The next batch carries one message seen before (its ack was lost): its rows, and only its,
  // are duplicates, although the new rows of the same edge would have shared an INSERT with them.
  t.deepEqual(
    db.ingestMany([
      { edgeId: 'edge-b', readings: rows(4) },
      { edgeId: 'edge-a', readings: rows(4, 3) },
      { edgeId: 'edge-a', readings: rows(5, 6) },
    ]),
    [
      { ok: true, stored: 1, duplicates: 0 },
      { ok: true, stored: 0, duplicates: 2 },
      { ok: true, stored: 2, duplicates: 0 },
    ],
  );
  t.like(db.ingestStats('edge-a'), {
    readingsReceived: 6,
    duplicates: 2,
    highestSeq: 6,
    highestContiguousSeq: 6,
    gaps: 0,
  });
  t.like(db.ingestStats('edge-b'), { readingsReceived: 4, duplicates: 0, highestContiguousSeq: 4 });
  t.is(db.countReadings('edge-a'), 6);
});
