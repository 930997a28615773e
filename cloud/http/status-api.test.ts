import test from 'ava';
import { join } from 'node:path';
import { CoordinatorDb } from '../store/coordinator-db.js';
import { tempDir, testLogger } from '../testing/harness.js';
import { buildStatusApi, type EdgeStatusJson } from './status-api.js';

test('status api — GET /api/edges shows each edge with its counts', async (t) => {
  const db = new CoordinatorDb(join(tempDir(t), 'coordinator.db'));
  const app = buildStatusApi({ db, log: testLogger(t).log });
  t.teardown(async () => {
    await app.close();
    db.close();
  });
  const seen = Date.UTC(2025, 5, 1, 22, 30);
  db.upsertEdge({ id: 'edge-a', district: 'centro', tags: [], softwareVersion: '0.1.0', nowMs: seen });
  db.recordHeartbeat({
    id: 'edge-a',
    nowMs: seen,
    highestSeq: 9,
    outboxPending: 0,
    policyVersion: 4,
    devicesUnavailable: 0,
  });
  const reading = (seq: number) => ({
    seq,
    deviceId: 'lum-07',
    metric: 'level.pct',
    value: 50,
    timeMs: seen,
  });
  db.ingestReadings('edge-a', [1, 2, 3, 5].map(reading));
  db.ingestReadings('edge-a', [3].map(reading));
  db.ingestReadings('edge-q', [1].map(reading));

  const res = await app.inject({ method: 'GET', url: '/api/edges' });
  t.is(res.statusCode, 200);
  t.regex(String(res.headers['content-type']), /application\/json/);
  t.deepEqual(res.json<EdgeStatusJson[]>(), [
    {
      id: 'edge-a',
      lastSeen: '2025-06-01T22:30:00.000Z',
      received: 4,
      highestSeq: 3,
      events: 0,
      district: 'centro',
      duplicates: 1,
      gaps: 1,
      policyVersion: 4,
    },
    // Sent data without registering: shown, so the operator notices the misconfigured cabinet.
    {
      id: 'edge-q',
      lastSeen: null,
      received: 1,
      highestSeq: 1,
      events: 0,
      district: null,
      duplicates: 0,
      gaps: 0,
      policyVersion: 0,
    },
  ]);
});

test('status api — GET /healthz answers ok', async (t) => {
  const db = new CoordinatorDb(join(tempDir(t), 'coordinator.db'));
  const app = buildStatusApi({ db, log: testLogger(t).log });
  t.teardown(async () => {
    await app.close();
    db.close();
  });
  const res = await app.inject({ method: 'GET', url: '/healthz' });
  t.is(res.statusCode, 200);
  t.deepEqual(res.json(), { ok: true });
});
