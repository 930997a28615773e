import { status } from '@grpc/grpc-js';
import test from 'ava';
import type { calle } from '../../proto/index.js';
import { ErrorCodes } from '../errors.js';
import { unary } from '../testing/harness.js';
import { HEARTBEAT_INTERVAL_S } from './fleet-service.js';
import { startServices } from './grpc-test-setup.js';

const registration = {
  edgeId: 'madrid-centro-0042',
  district: 'centro',
  tags: ['lighting', 'pilot'],
  softwareVersion: '0.1.0',
};

test('fleet — Register then Heartbeat over a socket updates the registry', async (t) => {
  const { fleet, store: db } = await startServices(t);
  const before = Date.now();
  const reg = await unary<calle.v1.RegisterResponse>(fleet, 'register', registration);
  t.true(reg.accepted);
  t.is(reg.heartbeatIntervalS, HEARTBEAT_INTERVAL_S);
  t.true(reg.serverTimeMs >= before && reg.serverTimeMs <= Date.now());
  t.like(await db.registry.get('madrid-centro-0042'), {
    district: 'centro',
    tags: ['lighting', 'pilot'],
    softwareVersion: '0.1.0',
  });

  const hb = await unary<calle.v1.HeartbeatResponse>(fleet, 'heartbeat', {
    edgeId: 'madrid-centro-0042',
    timeMs: Date.now(),
    highestSeq: 120,
    outboxPending: 3,
    policyVersion: 7,
    devicesUnavailable: 1,
  });
  t.true(hb.serverTimeMs >= reg.serverTimeMs);
  t.like((await db.registry.listStatus())[0], {
    id: 'madrid-centro-0042',
    policyVersion: 7,
    lastSeenMs: hb.serverTimeMs,
  });

  // Registering again updates the details but keeps the first registration time.
  const first = (await db.registry.get('madrid-centro-0042'))?.registeredMs;
  await unary(fleet, 'register', { ...registration, district: 'arganzuela' });
  t.like(await db.registry.get('madrid-centro-0042'), { district: 'arganzuela', registeredMs: first });
});

test('fleet — Register refuses a bad edge id with INVALID_ARGUMENT naming the field', async (t) => {
  const { fleet, store: db } = await startServices(t);
  for (const edgeId of ['', 'Madrid.Centro', 'edge with spaces', 'a'.repeat(64), 'calle.telemetry.>']) {
    const err = await t.throwsAsync(unary(fleet, 'register', { ...registration, edgeId }));
    t.is((err as unknown as { code: number }).code, status.INVALID_ARGUMENT, edgeId);
    t.regex(err?.message ?? '', /edge_id/);
    t.regex(err?.message ?? '', new RegExp(ErrorCodes.INVALID_EDGE_ID));
  }
  t.deepEqual(await db.registry.listStatus(), []);
});

test('fleet — Heartbeat before Register is NOT_FOUND, telling the edge to register first', async (t) => {
  const { fleet, store: db } = await startServices(t);
  const err = await t.throwsAsync(unary(fleet, 'heartbeat', { edgeId: 'madrid-centro-0042', highestSeq: 1 }));
  t.is((err as unknown as { code: number }).code, status.NOT_FOUND);
  t.regex(err?.message ?? '', /register first/);
  t.is(await db.registry.get('madrid-centro-0042'), undefined);

  const bad = await t.throwsAsync(unary(fleet, 'heartbeat', { edgeId: 'BAD' }));
  t.is((bad as unknown as { code: number }).code, status.INVALID_ARGUMENT);
});

test('fleet — concurrent Registers share commits, and each is answered with its row on disk', async (t) => {
  const { fleet, store: db } = await startServices(t);
  const ids = Array.from({ length: 40 }, (_, i) => `madrid-centro-${String(i).padStart(4, '0')}`);
  // A bad id among them fails its own call only.
  const calls = [...ids, 'Not Valid'].map(async (edgeId) => {
    await unary<calle.v1.RegisterResponse>(fleet, 'register', { ...registration, edgeId });
    // The row is stored by the time the answer arrives (commit visibility: group-committer.test.ts).
    return (await db.registry.get(edgeId)) !== undefined;
  });
  const results = await Promise.allSettled(calls);
  t.deepEqual(
    results.slice(0, -1).map((r) => r.status === 'fulfilled' && r.value),
    ids.map(() => true),
  );
  t.like(results.at(-1), { status: 'rejected', reason: { code: status.INVALID_ARGUMENT } });
  t.is(db.grouped.writes, ids.length);
  t.true(db.grouped.groups < ids.length, `${db.grouped.groups} commits for ${ids.length} Registers`);
});
