// The replicated write path between two replicas' stores on one nats-server, below the
// coordinator: version allocation under contention, compare-and-set of rollout records, and the
// heartbeat throttle.
import { connect } from '@nats-io/transport-node';
import test, { type ExecutionContext } from 'ava';
import { join } from 'node:path';
import { v1 } from '../../proto/index.js';
import { EnrolmentStore } from '../enrolment/enrolment-store.js';
import { ephemeralSigner } from '../keys/policy-signer.js';
import { planStages } from '../rollouts/rollout-plan.js';
import type { RolloutRecord } from '../rollouts/rollout-store.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { startNats, tempDir, testLogger, waitFor } from '../testing/harness.js';
import { LAST_SEEN_EVERY_MS, ReplicatedWrites } from './replicated-writes.js';
import { openStateBuckets } from './state-buckets.js';
import { StateMirror } from './state-mirror.js';

async function setup(t: ExecutionContext) {
  const nats = await startNats(t);
  const dir = tempDir(t);
  const { log } = testLogger(t);
  const signer = ephemeralSigner();
  let nowMs = 1_700_000_000_000;
  const clock = { now: () => nowMs, advance: (ms: number) => (nowMs += ms) };
  const replica = async (name: string) => {
    const nc = await connect({ servers: nats.url });
    const db = new SqliteStore(join(dir, `${name}.db`));
    const buckets = await openStateBuckets(nc);
    const mirror = new StateMirror({ buckets, db, enrolment: new EnrolmentStore(db.sqlite), log });
    const writes = new ReplicatedWrites({ buckets, mirror, db, log, now: clock.now });
    const announced: number[] = [];
    await mirror.start({ announce: (p) => void announced.push(p.version), rollout: () => undefined });
    t.teardown(async () => {
      await writes.close();
      await mirror.close();
      await nc.close();
      db.closeNow();
    });
    const publish = async (levelPct: number, rollout?: (version: number) => RolloutRecord) =>
      writes.publish(
        (version) =>
          signer.sign({
            target: { allEdges: true },
            lighting: { presenceLevelPct: levelPct },
            version,
            issuedMs: 1,
          }),
        rollout ? { rollout } : {},
      );
    return { db, buckets, writes, announced, publish };
  };
  return { a: await replica('a'), b: await replica('b'), clock };
}

const record = (version: number): RolloutRecord => ({
  id: version,
  version,
  target: { allEdges: true },
  spec: [{ edges: 1 }, { percent: 100 }],
  ...planStages(['edge-01', 'edge-02', 'edge-03'], [{ edges: 1 }, { percent: 100 }]),
  releasedStages: 1,
  stageStartedMs: 1,
  allAppliedMs: null,
  state: 'running',
  reason: '',
  rollbackTo: null,
  rollbackVersion: null,
  windowMs: 1_000,
  stageTimeoutMs: 10_000,
  createdMs: 1,
  updatedMs: 1,
});

test('replicated writes — concurrent publications on two replicas get distinct consecutive versions, announced once each', async (t) => {
  const { a, b } = await setup(t);
  const bundles = await Promise.all(
    Array.from({ length: 12 }, async (_, i) => (i % 2 === 0 ? a : b).publish(10 + i)),
  );
  const versions = bundles.map((x) => Number(x.version)).sort((x, y) => x - y);
  t.deepEqual(
    versions,
    Array.from({ length: 12 }, (_, i) => i + 1),
  );
  // Each version carries the content of exactly one publication, signed as that version.
  t.deepEqual(new Set(bundles.map((x) => x.lighting?.presenceLevelPct)).size, 12);
  await waitFor(() => a.announced.length === 12 && b.announced.length === 12, 5_000, 'both mirrors');
  for (const r of [a, b]) {
    t.deepEqual(r.announced, versions, 'in version order, each once');
    const stored = await r.db.policies.after(0);
    t.deepEqual(
      stored.map((p) => Number(v1.PolicyBundle.decode(p.bundle).version)),
      versions,
    );
  }
  t.deepEqual(await a.db.policies.after(0), await b.db.policies.after(0), 'byte for byte the same on both');
});

test('replicated writes — a halt on one replica and a stage release on the other never overwrite each other', async (t) => {
  const { a, b } = await setup(t);
  for (let round = 0; round < 6; round++) {
    const bundle = await a.publish(50, record);
    const id = Number(bundle.version);
    await waitFor(() => b.db.rollouts.getNow(id) !== undefined, 5_000, 'b has the record');
    // The leader (a) releases stage 2 on the record it evaluated; an operator halts on b. Started
    // together, and in alternating order, so both interleavings occur.
    const release = async () => a.writes.update(id, () => ({ releasedStages: 2 }), false);
    const halt = async () =>
      b.writes.update(
        id,
        (c) => (c.state === 'running' ? { state: 'halted', reason: 'op' } : undefined),
        true,
      );
    const [released, halted] =
      round % 2 === 0
        ? await Promise.all([release(), halt()])
        : (await Promise.all([halt(), release()])).reverse();
    t.truthy(halted, `round ${round}: the operator's halt is never lost`);
    const expected = { state: 'halted', releasedStages: released ? 2 : 1 };
    for (const r of [a, b])
      await waitFor(
        () => JSON.stringify(r.db.rollouts.getNow(id)?.record) === JSON.stringify(halted),
        5_000,
        `round ${round}: both stores agree`,
      );
    t.like(
      a.db.rollouts.getNow(id)?.record,
      expected,
      `round ${round}: a release that won stays; one that lost is dropped`,
    );
  }
});

test('replicated writes — heartbeats reach KV when registry fields change or every 30 s; acks at once', async (t) => {
  const { a, b, clock } = await setup(t);
  const revision = async () => (await a.buckets.edges.get('edge-01'))?.revision ?? 0;
  const beat = async (policyVersion: number) =>
    a.db.registry.heartbeat({
      id: 'edge-01',
      nowMs: clock.now(),
      highestSeq: 7,
      outboxPending: 0,
      policyVersion,
      devicesUnavailable: 0,
    });
  await a.db.registry.register({
    id: 'edge-01',
    district: 'centro',
    tags: ['pilot'],
    softwareVersion: '1',
    nowMs: clock.now(),
  });
  await waitFor(async () => (await b.db.registry.get('edge-01')) !== undefined, 5_000, 'registration on b');
  t.like(await b.db.registry.get('edge-01'), { district: 'centro', tags: ['pilot'] });
  const registered = await revision();

  clock.advance(10_000);
  t.true(await beat(0));
  await new Promise((resolve) => setTimeout(resolve, 150));
  t.is(await revision(), registered, 'an unchanged heartbeat 10 s later is not copied');

  t.true(await beat(4));
  await waitFor(
    async () => (await b.db.registry.get('edge-01'))?.policyVersion === 4,
    5_000,
    'policy version on b',
  );
  const changed = await revision();
  t.true(changed > registered);

  clock.advance(LAST_SEEN_EVERY_MS);
  t.true(await beat(4));
  await waitFor(
    async () => (await b.db.registry.get('edge-01'))?.lastSeenMs === clock.now(),
    5_000,
    'last-seen on b after 30 s',
  );
  t.true((await revision()) > changed);

  await a.db.policies.recordAck({
    edgeId: 'edge-01',
    version: 4,
    applied: false,
    reason: 'lighting: out of range',
    timeMs: 5,
  });
  await waitFor(async () => (await b.db.policies.ack(4, 'edge-01')) !== undefined, 5_000, 'ack on b');
  t.like(await b.db.policies.ack(4, 'edge-01'), { applied: false, reason: 'lighting: out of range' });
});
