import { status, type Client, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import test from 'ava';
import type { calle } from '../../proto/index.js';
import { unary, waitFor } from '../testing/harness.js';
import { startServices } from './grpc-test-setup.js';

type Bundle = calle.v1.PolicyBundle;

const lighting = { steps: [{ at: 'sunset', offsetMin: -10, levelPct: 100 }], presenceLevelPct: 80 };

/** Opens a Watch and collects what arrives; the stream is cancelled when the test ends. */
function watch(
  client: Client,
  request: { edgeId: string; lastAppliedVersion: number },
): { received: Bundle[]; ended: Promise<ServiceError | undefined>; stream: ClientReadableStream<Bundle> } {
  const stream = (client as unknown as { watch(r: object): ClientReadableStream<Bundle> }).watch(request);
  const received: Bundle[] = [];
  stream.on('data', (b: Bundle) => received.push(b));
  const ended = new Promise<ServiceError | undefined>((resolve) => {
    stream.on('error', (err: ServiceError) => resolve(err));
    stream.on('end', () => resolve(undefined));
  });
  return { received, ended, stream };
}

test('policy — Watch resumes after the last applied version, then streams new, targeted policies', async (t) => {
  const { fleet, policy, publisher, policyService } = await startServices(t);
  await unary(fleet, 'register', { edgeId: 'edge-a', district: 'centro', tags: ['pilot'] });

  await publisher.publish({ target: { districts: ['centro'] }, lighting });
  await publisher.publish({ target: { districts: ['centro'] }, lighting });

  const w = watch(policy, { edgeId: 'edge-a', lastAppliedVersion: 1 });
  t.teardown(() => w.stream.cancel());
  await waitFor(() => w.received.length === 1, 5_000, 'backlog');
  t.deepEqual(
    w.received.map((b) => b.version),
    [2],
  );

  await publisher.publish({ target: { districts: ['centro'] }, lighting }); // v3: delivered live
  await publisher.publish({ target: { districts: ['arganzuela'] }, lighting }); // v4: other district
  await publisher.publish({ target: { edgeIds: ['edge-b'] }, lighting }); // v5: other edge
  await publisher.publish({ target: {}, lighting }); // v6: empty target matches nothing
  await publisher.publish({ target: { tags: ['pilot'] }, lighting }); // v7: by tag
  await publisher.publish({ target: { edgeIds: ['edge-a'] }, lighting }); // v8: by id
  await publisher.publish({ target: { allEdges: true }, lighting }); // v9: whole fleet

  await waitFor(() => w.received.length === 5, 5_000, 'live policies');
  t.deepEqual(
    w.received.map((b) => b.version),
    [2, 3, 7, 8, 9],
  );
  const v3 = w.received[1];
  t.deepEqual(v3?.target?.districts, ['centro']);
  t.is(v3?.lighting?.steps?.[0]?.at, 'sunset');
  t.true((v3?.issuedMs ?? 0) > 0);
  // Signed by the publisher's key (common/signing/policy-signature.ts): 64-byte Ed25519 signature.
  t.is(v3?.keyId, publisher.keyId);
  t.is(v3?.signatureAlg, 'ed25519');
  t.is(v3?.signature.length, 64);

  // Cancelling the stream removes its listener.
  t.is(publisher.listenerCount, 2, 'one Watch listens to publications and to refreshes');
  w.stream.cancel();
  await waitFor(() => publisher.listenerCount === 0 && policyService.watchCount === 0, 5_000, 'cleanup');
  t.pass();
});

test('policy — a fresh edge (last applied 0) gets the whole backlog for it, oldest first', async (t) => {
  const { fleet, policy, publisher } = await startServices(t);
  await unary(fleet, 'register', { edgeId: 'edge-a', district: 'centro' });
  await publisher.publish({ target: { allEdges: true }, lighting });
  await publisher.publish({ target: { districts: ['retiro'] }, lighting });
  await publisher.publish({ target: { districts: ['centro'] }, lighting });

  // lastAppliedVersion 0 is omitted on the wire: a regression test for the Long-default decode.
  const w = watch(policy, { edgeId: 'edge-a', lastAppliedVersion: 0 });
  t.teardown(() => w.stream.cancel());
  await waitFor(() => w.received.length === 2, 5_000, 'backlog');
  t.deepEqual(
    w.received.map((b) => b.version),
    [1, 3],
  );
});

test('policy — Watch refuses unknown and malformed edges; shutdown ends watches with UNAVAILABLE', async (t) => {
  const { fleet, policy, policyService, publisher } = await startServices(t);
  const unknown = await watch(policy, { edgeId: 'edge-x', lastAppliedVersion: 0 }).ended;
  t.is(unknown?.code, status.NOT_FOUND);
  t.regex(unknown?.details ?? '', /register first/);
  const bad = await watch(policy, { edgeId: 'Edge.X', lastAppliedVersion: 0 }).ended;
  t.is(bad?.code, status.INVALID_ARGUMENT);
  t.is(publisher.listenerCount, 0);

  await unary(fleet, 'register', { edgeId: 'edge-a', district: 'centro' });
  const w = watch(policy, { edgeId: 'edge-a', lastAppliedVersion: 0 });
  await waitFor(() => policyService.watchCount === 1, 5_000, 'watch open');
  policyService.endWatches();
  t.is((await w.ended)?.code, status.UNAVAILABLE);
  t.is(publisher.listenerCount, 0);
});

test('policy — Ack is stored; an ack for a version never published is NOT_FOUND', async (t) => {
  const { fleet, policy, publisher, store: db } = await startServices(t);
  await unary(fleet, 'register', { edgeId: 'edge-a', district: 'centro' });
  const { version } = await publisher.publish({ target: { allEdges: true }, lighting });

  const res = await unary<calle.v1.PolicyAckResponse>(policy, 'ack', {
    edgeId: 'edge-a',
    version,
    applied: false,
    reason: 'traffic.yellow_s: 2.5 is below the 3 s minimum',
  });
  t.true(res.recorded);
  t.like(await db.policies.acks(version), [{ edgeId: 'edge-a', applied: false }]);
  t.regex((await db.policies.acks(version))[0]?.reason ?? '', /yellow_s/);

  await unary(policy, 'ack', { edgeId: 'edge-a', version, applied: true });
  t.like((await db.policies.acks(version))[0], { applied: true, reason: '' });

  const missing = await t.throwsAsync(unary(policy, 'ack', { edgeId: 'edge-a', version: 99, applied: true }));
  t.is((missing as unknown as ServiceError).code, status.NOT_FOUND);
});
