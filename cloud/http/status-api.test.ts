import test from 'ava';
import { join } from 'node:path';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { tempDir, testLogger } from '../testing/harness.js';
import { ipv4Cidr } from './loopback-only.js';
import { buildStatusApi, type EdgeStatusJson } from './status-api.js';
import { ingestReadings } from '../testing/store-helpers.js';

test('status api — GET /api/edges shows each edge with its counts', async (t) => {
  const db = new SqliteStore(join(tempDir(t), 'coordinator.db'));
  const app = buildStatusApi({ store: db, log: testLogger(t).log });
  t.teardown(async () => {
    await app.close();
    db.closeNow();
  });
  const seen = Date.UTC(2025, 5, 1, 22, 30);
  await db.registry.register({
    id: 'edge-a',
    district: 'centro',
    tags: [],
    softwareVersion: '0.1.0',
    nowMs: seen,
  });
  await db.registry.heartbeat({
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
  await ingestReadings(db, 'edge-a', [1, 2, 3, 5].map(reading));
  await ingestReadings(db, 'edge-a', [3].map(reading));
  await ingestReadings(db, 'edge-q', [1].map(reading));

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
  const db = new SqliteStore(join(tempDir(t), 'coordinator.db'));
  const app = buildStatusApi({ store: db, log: testLogger(t).log });
  t.teardown(async () => {
    await app.close();
    db.closeNow();
  });
  const res = await app.inject({ method: 'GET', url: '/healthz' });
  t.is(res.statusCode, 200);
  t.deepEqual(res.json(), { ok: true });
});

test('status api — /api/ answers loopback clients only; /healthz and other paths answer anyone', async (t) => {
  const db = new SqliteStore(join(tempDir(t), 'coordinator.db'));
  const app = buildStatusApi({ store: db, log: testLogger(t).log });
  t.teardown(async () => {
    await app.close();
    db.closeNow();
  });
  for (const remoteAddress of ['127.0.0.1', '::1', '::ffff:127.0.0.1'])
    t.is(
      (await app.inject({ method: 'GET', url: '/api/edges', remoteAddress })).statusCode,
      200,
      remoteAddress,
    );
  for (const remoteAddress of ['10.0.0.7', '::ffff:192.168.1.20', '2001:db8::1']) {
    const res = await app.inject({ method: 'GET', url: '/api/edges', remoteAddress });
    t.is(res.statusCode, 403, remoteAddress);
    t.is(res.json<{ error: string }>().error, 'CALLE_ERR_LOOPBACK_ONLY');
  }
  t.is((await app.inject({ method: 'GET', url: '/healthz', remoteAddress: '10.0.0.7' })).statusCode, 200);
});

test('status api — the guard follows the matched route, not the spelling: /%61pi/edges is /api/edges', async (t) => {
  const db = new SqliteStore(join(tempDir(t), 'coordinator.db'));
  const app = buildStatusApi({ store: db, log: testLogger(t).log });
  t.teardown(async () => {
    await app.close();
    db.closeNow();
  });
  // The router percent-decodes: these reach GET /api/edges, so the guard must refuse them too.
  for (const url of ['/%61pi/edges', '/%61%70%69/%65dges', '/api/edge%73']) {
    const res = await app.inject({ method: 'GET', url, remoteAddress: '10.0.0.7' });
    t.is(res.statusCode, 403, url);
    t.is(res.json<{ error: string }>().error, 'CALLE_ERR_LOOPBACK_ONLY', url);
    t.is((await app.inject({ method: 'GET', url, remoteAddress: '127.0.0.1' })).statusCode, 200, url);
  }
  // A spelling that matches no route is a 404 that does not echo what was sent.
  const none = await app.inject({ method: 'GET', url: '/API/edges', remoteAddress: '10.0.0.7' });
  t.is(none.statusCode, 404);
  t.deepEqual(none.json(), { error: 'CALLE_ERR_NOT_FOUND', message: 'no such route' });
});

test('status api — --api-allow opens /api/ to an IPv4 network (a published container port) and nothing else', async (t) => {
  const db = new SqliteStore(join(tempDir(t), 'coordinator.db'));
  const app = buildStatusApi({ store: db, log: testLogger(t).log, apiAllow: ['172.16.0.0/12'] });
  t.teardown(async () => {
    await app.close();
    db.closeNow();
  });
  const status = async (remoteAddress: string): Promise<number> =>
    (await app.inject({ method: 'GET', url: '/api/edges', remoteAddress })).statusCode;
  t.is(await status('172.18.0.1'), 200);
  t.is(await status('::ffff:172.31.255.254'), 200);
  t.is(await status('172.32.0.1'), 403);
  t.is(await status('10.0.0.1'), 403);
  t.throws(() => ipv4Cidr('172.16.0.0'), {
    message: '--api-allow 172.16.0.0: not an IPv4 CIDR like 172.16.0.0/12',
  });
  t.throws(() => ipv4Cidr('300.1.1.1/8'));
  t.true(ipv4Cidr('0.0.0.0/0')('8.8.8.8'));
});
