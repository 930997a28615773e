// Two coordinators sharing one PostgreSQL (and one nats-server), with no state of their own and no
// KV mirror: a policy published on either reaches the edges on the other, concurrent publications
// get distinct consecutive versions, telemetry is divided between them and stored once, and when
// the one that leads dies the other takes the lease and finishes its rollout. Real gRPC, NATS,
// PostgreSQL 15 (a private server) and light edges configured with both coordinators' addresses.
import { jetstreamManager } from '@nats-io/jetstream';
import test, { type ExecutionContext } from 'ava';
import { join } from 'node:path';
import { startCoordinator, type Coordinator } from '../coordinator.js';
import type { EdgeStatusJson } from '../http/status-api.js';
import { TELEMETRY_SPEC } from '../ingest/jetstream-setup.js';
import { ephemeralSigner } from '../keys/policy-signer.js';
import { PgStore } from '../store/postgres/pg-store.js';
import { LightEdge } from '../rollouts/light-edge.js';
import { inStageOrder } from '../rollouts/rollout-plan.js';
import { edgeClient, publishBatch, startNats, tempDir, testLogger, waitFor } from '../testing/harness.js';
import { startPostgres } from '../testing/postgres.js';
import { TELEMETRY_STREAM } from '../../proto/nats-subjects.js';

const IDS = inStageOrder(['edge-01', 'edge-02', 'edge-03', 'edge-04']);
const lighting = (levelPct: number) => ({ steps: [{ at: 'sunset', levelPct }], presenceLevelPct: levelPct });
const centro = { districts: ['centro'] };

async function setup(t: ExecutionContext) {
  const [nats, pg] = await Promise.all([startNats(t), startPostgres(t)]);
  const url = await pg.database();
  const dir = tempDir(t);
  const signer = ephemeralSigner();
  const logs = new Map<string, Record<string, unknown>[]>();
  const start = async (id: string): Promise<Coordinator> => {
    const { log, lines } = testLogger(t);
    logs.set(id, lines);
    const coordinator = await startCoordinator({
      dbPath: url,
      dashboardDbPath: join(dir, `dashboard-${id}.db`),
      natsServers: [nats.url],
      grpcHost: '127.0.0.1',
      grpcPort: 0,
      httpHost: '127.0.0.1',
      httpPort: 0,
      log: log.child({ coordinator: id }),
      signer,
      enrolment: 'open',
      rolloutTickMs: 50,
      replication: { replicaId: id, leaseTtlMs: 1_000 },
    });
    t.teardown(async () => coordinator.close());
    return coordinator;
  };
  const watchingOn = (id: string, edgeId: string): boolean =>
    logs.get(id)!.some((l) => l.msg === 'watching policies' && l.edgeId === edgeId);
  return { nats, pg, url, start, watchingOn, logs };
}

test('postgres — two coordinators: publish on B reaches edges on A, versions never clash, A dies mid-rollout, B finishes it', async (t) => {
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

  // Published through B (which serves no edge): A's Watch streams hear of it by NOTIFY.
  const v1 = await b.publish({ target: centro, lighting: lighting(50) });
  t.is(Number(v1.version), 1);
  await waitFor(() => edges.every((e) => e.applied === 1), 5_000, 'v1 applied on every edge');
  await waitFor(
    async () => (await b.policyAcks(1)).filter((x) => x.applied).length === IDS.length,
    5_000,
    'acks on b',
  );

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
  await waitFor(() => edges.every((e) => e.applied === 5), 5_000, 'v5 applied on every edge');

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
  await a.close();

  await waitFor(() => IDS.every((id) => watchingOn('b', id)), 8_000, 'every edge watching on b');
  await waitFor(() => b.replica!.isLeader, 5_000, 'b takes the lease');
  await waitFor(
    async () => (await b.rollouts.get(6))?.state === 'completed',
    10_000,
    'rollout completed by b',
  );
  await waitFor(() => edges.every((e) => e.applied === 6), 5_000, 'v6 applied on every edge');
  t.is((await b.policyAcks(6)).filter((x) => x.applied).length, IDS.length);
});

test('postgres — telemetry is divided between two coordinators and every reading stored once', async (t) => {
  const { nats, url, start } = await setup(t);
  const [a, b] = [await start('a'), await start('b')];
  const { js } = await edgeClient(t, nats.url);
  // 200 batches of 3 readings from 4 edges, with re-sends under new message ids.
  for (let i = 0; i < 50; i++)
    for (const edge of IDS) {
      const seqs = [3 * i + 1, 3 * i + 2, 3 * i + 3];
      await publishBatch(js, edge, seqs);
      if (i % 10 === 0) await publishBatch(js, edge, seqs, `${edge}:again-${i}`);
    }
  const rows = async (c: Coordinator): Promise<EdgeStatusJson[]> =>
    (await (await fetch(`${c.httpUrl}/api/edges`)).json()) as EdgeStatusJson[];
  await waitFor(
    async () => (await rows(a)).every((e) => e.highestSeq === 150) && (await rows(a)).length === 4,
    20_000,
    'all stored',
  );
  for (const c of [a, b])
    t.deepEqual(
      (await rows(c)).map((e) => [e.id, e.received, e.highestSeq, e.duplicates, e.gaps]),
      [...IDS].sort().map((id) => [id, 150, 150, 15, 0]),
      'the same figures on both, exact',
    );
  // Stored once: 600 rows, whichever coordinator took each message.
  t.is(await countReadings(url), 600);
  // One durable consumer, pulled by both (SQLite replicas have one each and read everything).
  const jsm = await jetstreamManager((await edgeClient(t, nats.url)).nc);
  const names = (await jsm.consumers.list(TELEMETRY_STREAM).next()).map((c) => c.name);
  t.deepEqual(names, [TELEMETRY_SPEC.durable]);
});

async function countReadings(url: string): Promise<number> {
  const store = await PgStore.open(url);
  try {
    let n = 0;
    for (const id of IDS) n += await store.telemetry.countReadings(id);
    return n;
  } finally {
    await store.close();
  }
}
