import Database from 'better-sqlite3';
import test from 'ava';
import fc from 'fast-check';
import { join } from 'node:path';
import { encodeMessage, v1 } from '../../proto/index.js';
import { ErrorCodes } from '../errors.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { tempDir } from '../testing/harness.js';
import { ingestBatch, ingestMessage } from './ingest-message.js';

function openDb(t: import('ava').ExecutionContext): SqliteStore {
  const db = new SqliteStore(join(tempDir(t), 'coordinator.db'));
  t.teardown(() => db.closeNow());
  return db;
}

const batch = (readings: object[], edgeId = 'edge-a'): Uint8Array =>
  encodeMessage(v1.TelemetryBatch, { edgeId, readings });

test('ingest message — zero-valued 64-bit fields (omitted on the wire) are stored as 0', async (t) => {
  const db = openDb(t);
  // time_ms 0 decodes to the prototype default; a regression test for the Long-default decode.
  const verdict = await ingestMessage(
    db.telemetry,
    'telemetry',
    'calle.telemetry.edge-a',
    batch([{ seq: 1, value: 0, timeMs: 0 }]),
  );
  t.like(verdict, { kind: 'ack', stored: 1 });
  t.is(await db.telemetry.countReadings('edge-a'), 1);
});

test('ingest message — impossible content is refused with a code, and nothing is stored', async (t) => {
  const db = openDb(t);
  const cases: [string, Uint8Array, string][] = [
    ['calle.telemetry.edge-a', batch([{ seq: 0, value: 1 }]), ErrorCodes.MALFORMED_PAYLOAD],
    ['calle.telemetry.edge-a', batch([{ seq: 1, value: Number.NaN }]), ErrorCodes.MALFORMED_PAYLOAD],
    ['calle.telemetry.edge-a', batch([{ seq: 1, value: 1 }], 'edge-b'), ErrorCodes.EDGE_ID_MISMATCH],
    ['calle.telemetry.Edge.A', batch([{ seq: 1, value: 1 }], 'Edge.A'), ErrorCodes.INVALID_EDGE_ID],
    ['calle.events.edge-a', new Uint8Array([0x0a, 0xff]), ErrorCodes.MALFORMED_PAYLOAD],
  ];
  for (const [subject, data, code] of cases) {
    const verdict = await ingestMessage(
      db.telemetry,
      subject.startsWith('calle.events.') ? 'events' : 'telemetry',
      subject,
      data,
    );
    t.is(verdict.kind === 'term' ? verdict.error.code : 'ack', code, subject);
  }
  t.deepEqual(await db.registry.listStatus(), []);
});

test('ingest message — an empty batch is acknowledged and changes nothing', async (t) => {
  const db = openDb(t);
  t.like(await ingestMessage(db.telemetry, 'telemetry', 'calle.telemetry.edge-a', batch([])), {
    kind: 'ack',
    stored: 0,
  });
  t.deepEqual(await db.registry.listStatus(), []);
});

const telemetry = (edgeId: string, ...seqs: number[]) => ({
  subject: `calle.telemetry.${edgeId}`,
  data: batch(
    seqs.map((seq) => ({ seq, deviceId: 'lum-07', metric: 'level.pct', value: seq, timeMs: seq })),
    edgeId,
  ),
});

test('ingest batch — messages of one edge out of order in one batch advance the contiguous seq right', async (t) => {
  const db = openDb(t);
  const outcomes = await ingestBatch(db.telemetry, 'telemetry', [
    telemetry('edge-a', 4, 5),
    telemetry('edge-b', 2),
    telemetry('edge-a', 7),
    telemetry('edge-a', 1, 2),
    telemetry('edge-a', 3),
  ]);
  t.deepEqual(
    outcomes.map((o) => o.kind),
    ['ack', 'ack', 'ack', 'ack', 'ack'],
  );
  t.like(await db.telemetry.stats('edge-a'), {
    readingsReceived: 6,
    duplicates: 0,
    highestSeq: 7,
    highestContiguousSeq: 5,
    gaps: 1,
  });
  t.like(await db.telemetry.stats('edge-b'), {
    readingsReceived: 1,
    highestSeq: 2,
    highestContiguousSeq: 0,
    gaps: 1,
  });
});

test('ingest batch — duplicates inside one batch are counted, including rows first seen in it', async (t) => {
  const db = openDb(t);
  const outcomes = await ingestBatch(db.telemetry, 'telemetry', [
    telemetry('edge-a', 1, 2),
    telemetry('edge-a', 2, 3),
    telemetry('edge-a', 1, 2),
  ]);
  t.like(outcomes, [
    { kind: 'ack', stored: 2, duplicates: 0 },
    { kind: 'ack', stored: 1, duplicates: 1 },
    { kind: 'ack', stored: 0, duplicates: 2 },
  ]);
  t.like(await db.telemetry.stats('edge-a'), {
    readingsReceived: 3,
    duplicates: 3,
    highestContiguousSeq: 3,
    gaps: 0,
  });
});

test('ingest batch — a malformed message is terminated and the rest of its batch is stored', async (t) => {
  const db = openDb(t);
  const outcomes = await ingestBatch(db.telemetry, 'telemetry', [
    telemetry('edge-a', 1),
    { subject: 'calle.telemetry.edge-a', data: new Uint8Array([0x0a, 0xff]) },
    telemetry('edge-a', 2),
  ]);
  t.like(outcomes, [
    { kind: 'ack', stored: 1 },
    { kind: 'term', error: { code: ErrorCodes.MALFORMED_PAYLOAD } },
    { kind: 'ack', stored: 1 },
  ]);
  t.like(await db.telemetry.stats('edge-a'), { readingsReceived: 2, highestContiguousSeq: 2 });
});

test('ingest batch — a message whose rows fail to store is retried alone; the others commit', async (t) => {
  const file = join(tempDir(t), 'coordinator.db');
  const db = new SqliteStore(file);
  t.teardown(() => db.closeNow());
  // A storage failure on one row only, as a constraint or a corrupt page would give.
  // The readings (time_ms = seq) go to the day table of 1970-01-01, made here as the store makes it.
  await ingestBatch(db.telemetry, 'telemetry', [telemetry('edge-z', 1)]);
  const admin = new Database(file);
  admin.exec(`CREATE TRIGGER refuse_13 BEFORE INSERT ON readings_d19700101 WHEN NEW.seq = 13
    BEGIN SELECT RAISE(ABORT, 'seq 13 refused'); END`);
  admin.close();
  const outcomes = await ingestBatch(db.telemetry, 'telemetry', [
    telemetry('edge-a', 1),
    telemetry('edge-a', 12, 13),
    telemetry('edge-a', 2),
  ]);
  t.like(outcomes, [
    { kind: 'ack' },
    { kind: 'retry', error: { message: 'seq 13 refused' } },
    { kind: 'ack' },
  ]);
  // seq 12 went out with its message's savepoint: the redelivery will store both.
  t.like(await db.telemetry.stats('edge-a'), {
    readingsReceived: 2,
    highestSeq: 2,
    highestContiguousSeq: 2,
    gaps: 0,
  });
});

test('ingest batch — any split of a message sequence into batches gives the same figures as one by one', async (t) => {
  const dir = tempDir(t);
  let run = 0;
  const message = fc.record({
    edge: fc.constantFrom('edge-a', 'edge-b'),
    seqs: fc.uniqueArray(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 4 }),
  });
  await fc.assert(
    fc.asyncProperty(fc.array(message, { maxLength: 20 }), fc.array(fc.nat(20)), async (msgs, cuts) => {
      const one = new SqliteStore(join(dir, `one-${run}.db`));
      const many = new SqliteStore(join(dir, `many-${run++}.db`));
      try {
        const wire = msgs.map((m) => telemetry(m.edge, ...m.seqs));
        const expected = [];
        for (const w of wire)
          expected.push(await ingestMessage(one.telemetry, 'telemetry', w.subject, w.data));
        const bounds = [...new Set([0, ...cuts.filter((c) => c < wire.length), wire.length])].sort(
          (a, b) => a - b,
        );
        const got = [];
        for (const [i, end] of bounds.slice(1).entries())
          got.push(...(await ingestBatch(many.telemetry, 'telemetry', wire.slice(bounds[i], end))));
        t.deepEqual(got, expected);
        for (const edge of ['edge-a', 'edge-b'])
          t.deepEqual(await many.telemetry.stats(edge), await one.telemetry.stats(edge));
      } finally {
        one.closeNow();
        many.closeNow();
      }
    }),
    { numRuns: 25 },
  );
});
