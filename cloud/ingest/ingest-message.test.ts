import test from 'ava';
import { join } from 'node:path';
import { encodeMessage, v1 } from '../../proto/index.js';
import { ErrorCodes } from '../errors.js';
import { CoordinatorDb } from '../store/coordinator-db.js';
import { tempDir } from '../testing/harness.js';
import { ingestMessage } from './ingest-message.js';

function openDb(t: import('ava').ExecutionContext): CoordinatorDb {
  const db = new CoordinatorDb(join(tempDir(t), 'coordinator.db'));
  t.teardown(() => db.close());
  return db;
}

const batch = (readings: object[], edgeId = 'edge-a'): Uint8Array =>
  encodeMessage(v1.TelemetryBatch, { edgeId, readings });

test('ingest message — zero-valued 64-bit fields (omitted on the wire) are stored as 0', (t) => {
  const db = openDb(t);
  // time_ms 0 decodes to the prototype default; a regression test for the Long-default decode.
  const verdict = ingestMessage(
    db,
    'telemetry',
    'calle.telemetry.edge-a',
    batch([{ seq: 1, value: 0, timeMs: 0 }]),
  );
  t.like(verdict, { kind: 'ack', stored: 1 });
  t.is(db.countReadings('edge-a'), 1);
});

test('ingest message — impossible content is refused with a code, and nothing is stored', (t) => {
  const db = openDb(t);
  const cases: [string, Uint8Array, string][] = [
    ['calle.telemetry.edge-a', batch([{ seq: 0, value: 1 }]), ErrorCodes.MALFORMED_PAYLOAD],
    ['calle.telemetry.edge-a', batch([{ seq: 1, value: Number.NaN }]), ErrorCodes.MALFORMED_PAYLOAD],
    ['calle.telemetry.edge-a', batch([{ seq: 1, value: 1 }], 'edge-b'), ErrorCodes.EDGE_ID_MISMATCH],
    ['calle.telemetry.Edge.A', batch([{ seq: 1, value: 1 }], 'Edge.A'), ErrorCodes.INVALID_EDGE_ID],
    ['calle.events.edge-a', new Uint8Array([0x0a, 0xff]), ErrorCodes.MALFORMED_PAYLOAD],
  ];
  for (const [subject, data, code] of cases) {
    const verdict = ingestMessage(
      db,
      subject.startsWith('calle.events.') ? 'events' : 'telemetry',
      subject,
      data,
    );
    t.is(verdict.kind === 'term' ? verdict.error.code : 'ack', code, subject);
  }
  t.deepEqual(db.listEdgeStatus(), []);
});

test('ingest message — an empty batch is acknowledged and changes nothing', (t) => {
  const db = openDb(t);
  t.like(ingestMessage(db, 'telemetry', 'calle.telemetry.edge-a', batch([])), { kind: 'ack', stored: 0 });
  t.deepEqual(db.listEdgeStatus(), []);
});
