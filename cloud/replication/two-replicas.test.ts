// Two coordinator replicas on one nats-server, each with its own SQLite file: the fleet registry,
// policies, acks and rollouts are shared through JetStream KV, either replica can publish, and when
// one dies the other serves its edges and finishes its rollout. Real gRPC, real NATS, light edges
// configured with both replicas' addresses (pick_first: the first one while it answers).
import * as grpc from '@grpc/grpc-js';
import test, { type ExecutionContext } from 'ava';
import { join } from 'node:path';
import { FleetClient } from '../../proto/index.js';
import { startCoordinator, type Coordinator } from '../coordinator.js';
import { ephemeralSigner } from '../keys/policy-signer.js';
import { LightEdge } from '../rollouts/light-edge.js';
import { inStageOrder } from '../rollouts/rollout-plan.js';
import { closeClientAfter, startNats, tempDir, testLogger, unary, waitFor } from '../testing/harness.js';

// In stage order (rollouts order edges by a hash of their id): IDS[0] is the canary.
const IDS = inStageOrder(['edge-01', 'edge-02', 'edge-03', 'edge-04']);
const lighting = (levelPct: number) => ({ steps: [{ at: 'sunset', levelPct }], presenceLevelPct: levelPct });
const centro = { districts: ['centro'] };

async function setup(t: ExecutionContext) {
  const nats = await startNats(t);
  const dir = tempDir(t);
  // Every replica signs with the same key: edges pin one coordinator key, whichever replica serves.
  const signer = ephemeralSigner();
  const logs = new Map<string, Record<string, unknown>[]>();
  const start = async (replicaId: string): Promise<Coordinator> => {
    const { log, lines } = testLogger(t);
    logs.set(replicaId, lines);
    const coordinator = await startCoordinator({
      dbPath: join(dir, `${replicaId}.db`),
      natsServers: [nats.url],
      grpcHost: '127.0.0.1',
      grpcPort: 0,
      httpHost: '127.0.0.1',
      httpPort: 0,
      log: log.child({ replica: replicaId }),
      signer,
      enrolment: 'open',
      rolloutTickMs: 50,
      // A lease of 1 s, not three 50 ms ticks: on a loaded test machine an event-loop stall of a
      // few hundred ms would otherwise hand the lease over (correct, but it makes "who leads" vary).
      replication: { replicaId, leaseTtlMs: 1_000 },
    });
    t.teardown(async () => coordinator.close());
    return coordinator;
  };
  const watchingOn = (replicaId: string, edgeId: string): boolean =>
    logs.get(replicaId)!.some((l) => l.msg === 'watching policies' && l.edgeId === edgeId);
  return { start, watchingOn };
}

test('replication — two replicas: publish on B reaches edges on A, A dies mid-rollout, B finishes it', async (t) => {
  const { start, watchingOn } = await setup(t);
  const a = await start('a');
  await waitFor(() => a.replica!.isLeader, 5_000, 'a leads the rollouts');
  const b = await start('b');
  t.false(b.replica!.isLeader, 'one leader at a time');

  const edges = await Promise.all(
    IDS.map(async (edgeId) =>
      LightEdge.start({
        target: `ipv4:127.0.0.1:${a.grpcPort},127.0.0.1:${b.grpcPort}`,
        edgeId,
        retryMs: 50,
      }),
    ),
  );
  t.teardown(() => edges.forEach((e) => e.close()));
  await waitFor(() => IDS.every((id) => watchingOn('a', id)), 5_000, 'every edge watching on a');

  // A policy published through B reaches the edges whose Watch streams are on A, and their acks,
  // received by A, are visible on B.
  const v1 = await b.publish({ target: centro, lighting: lighting(50) });
  t.is(Number(v1.version), 1);
  await waitFor(() => edges.every((e) => e.applied === 1), 5_000, 'v1 applied on every edge');
  await waitFor(
    async () => (await b.policyAcks(1)).filter((x) => x.applied).length === IDS.length,
    5_000,
    'acks on b',
  );
  t.false(
    IDS.some((id) => watchingOn('b', id)),
    'no edge talked to b yet',
  );

  // Concurrent publications on both replicas: distinct, consecutive versions, the same on both.
  const published = await Promise.all([
    a.publish({ target: centro, lighting: lighting(51) }),
    b.publish({ target: centro, lighting: lighting(52) }),
    a.publish({ target: centro, lighting: lighting(53) }),
    b.publish({ target: centro, lighting: lighting(54) }),
  ]);
  t.deepEqual(
    published.map((p) => Number(p.version)).sort((x, y) => x - y),
    [2, 3, 4, 5],
  );
  const versionsOn = async (c: Coordinator) =>
    ((await (await fetch(`${c.httpUrl}/api/policies`)).json()) as { version: number; policy: unknown }[]).map(
      (p) => [p.version, JSON.stringify(p.policy)],
    );
  t.deepEqual(await versionsOn(a), await versionsOn(b));
  await waitFor(() => edges.every((e) => e.applied === 5), 5_000, 'v5 applied on every edge');

  // A staged rollout started on A (the leader); A dies once the canary has it.
  const rollout = await a.rollouts.start(
    { target: centro, lighting: lighting(80) },
    { stages: [{ edges: 1 }, { percent: 50 }, { percent: 100 }], windowMs: 400, stageTimeoutMs: 10_000 },
  );
  t.like(rollout, { id: 6, version: 6, state: 'running', releasedStages: 1 });
  await waitFor(() => edges[0]!.applied === 6, 5_000, 'canary applied v6');
  t.deepEqual(
    edges.slice(1).map((e) => e.received.includes(6)),
    [false, false, false],
    'later stages must not have v6 yet',
  );
  t.like(await b.rollouts.get(6), { state: 'running', releasedStages: 1 }, 'b holds the same record');
  await a.close();

  // The edges fail over to B, which knows them without a new registration.
  await waitFor(() => IDS.every((id) => watchingOn('b', id)), 8_000, 'every edge watching on b');
  const fleet = closeClientAfter(
    t,
    new FleetClient(`127.0.0.1:${b.grpcPort}`, grpc.credentials.createInsecure()),
  );
  for (const edgeId of IDS)
    await t.notThrowsAsync(
      unary(fleet, 'heartbeat', {
        edgeId,
        highestSeq: 0,
        outboxPending: 0,
        policyVersion: 6,
        devicesUnavailable: 0,
      }),
      `heartbeat of ${edgeId} accepted by b`,
    );

  // B takes the lease and the rollout goes on, stage by stage, to completion.
  await waitFor(() => b.replica!.isLeader, 5_000, 'b takes the lease');
  await waitFor(
    async () => (await b.rollouts.get(6))?.state === 'completed',
    10_000,
    'rollout completed on b',
  );
  await waitFor(() => edges.every((e) => e.applied === 6), 5_000, 'v6 applied on every edge');
  t.like(await b.rollouts.get(6), { releasedStages: 3, rollbackVersion: null });
  t.is((await b.policyAcks(6)).filter((x) => x.applied).length, IDS.length);
});

test('replication — operator actions on the replica that does not lead: the leader follows the halt, resume and rollback', async (t) => {
  const { start } = await setup(t);
  const a = await start('a');
  await waitFor(() => a.replica!.isLeader, 5_000, 'a leads the rollouts');
  const b = await start('b');
  const edges = await Promise.all(
    IDS.slice(0, 3).map(async (edgeId) =>
      LightEdge.start({ target: `127.0.0.1:${a.grpcPort}`, edgeId, retryMs: 50 }),
    ),
  );
  t.teardown(() => edges.forEach((e) => e.close()));
  await a.publish({ target: centro, lighting: lighting(50) });
  await waitFor(() => edges.every((e) => e.applied === 1), 5_000, 'v1 on every edge');

  // Started on b, gated by a (the leader) for the edges a serves.
  const started = await b.rollouts.start(
    { target: centro, lighting: lighting(90) },
    { stages: [{ edges: 1 }, { percent: 100 }], windowMs: 300, stageTimeoutMs: 10_000 },
  );
  t.like(started, { id: 2, version: 2, rollbackTo: 1 });
  await waitFor(() => edges[0]!.applied === 2, 5_000, 'canary applied v2');
  const halted = await b.rollouts.halt(2);
  t.like(halted, { state: 'halted', releasedStages: 1 });
  await waitFor(async () => (await a.rollouts.get(2))?.state === 'halted', 5_000, 'a sees the halt');
  await new Promise((resolve) => setTimeout(resolve, 900)); // three windows: a must not release
  t.like(await a.rollouts.get(2), { state: 'halted', releasedStages: 1 });
  t.false(edges[1]!.received.includes(2), 'a halted rollout releases no further stage');
  await t.throwsAsync(b.rollouts.halt(2), {
    message: /rollout 2 is halted; this needs it to be running/,
  });

  t.like(await b.rollouts.resume(2), { state: 'running' });
  await waitFor(
    async () => (await a.rollouts.get(2))?.state === 'completed',
    8_000,
    'completed by a after the resume',
  );
  await waitFor(() => edges.every((e) => e.applied === 2), 5_000, 'v2 on every edge');

  const rolledBack = await b.rollouts.rollback(2);
  t.like(rolledBack, { state: 'rolled_back', rollbackVersion: 3, reason: 'rolled back by the operator' });
  await waitFor(() => edges.every((e) => e.applied === 3), 5_000, 'the rollback (v3) on every edge');
  // Whichever replica leads hears of v3 as a newer version for the same target; it must not count
  // as superseding the rollout it rolls back.
  await waitFor(
    async () => (await a.rollouts.get(2))?.state !== 'completed',
    5_000,
    'a hears of the rollback',
  );
  await new Promise((resolve) => setTimeout(resolve, 200));
  for (const c of [a, b])
    t.like(
      await c.rollouts.get(2),
      { state: 'rolled_back', rollbackVersion: 3 },
      'not superseded by its own rollback',
    );
  const v3 = (await (await fetch(`${a.httpUrl}/api/policies/3`)).json()) as {
    policy: { lighting: { presenceLevelPct: number } };
  };
  t.is(v3.policy.lighting.presenceLevelPct, 50, 'v3 carries v1’s content');

  // A plain publication for the same target, on b, supersedes a running rollout (recorded by a).
  await b.rollouts.start(
    { target: centro, lighting: lighting(70) },
    { stages: [{ edges: 1 }, { percent: 100 }], windowMs: 60_000, stageTimeoutMs: 60_000 },
  );
  await waitFor(() => edges[0]!.applied === 4, 5_000, 'canary applied v4');
  t.is(Number((await b.publish({ target: centro, lighting: lighting(20) })).version), 5);
  await waitFor(async () => (await b.rollouts.get(4))?.state === 'superseded', 5_000, 'rollout 4 superseded');
  t.like(await b.rollouts.get(4), {
    reason: 'superseded by version 5 for the same target',
    rollbackVersion: null,
  });
  await waitFor(() => edges.every((e) => e.applied === 5), 5_000, 'v5 on every edge');
});
