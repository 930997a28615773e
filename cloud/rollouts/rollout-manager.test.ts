// Staged rollouts through the whole coordinator: real gRPC with light edges, real NATS for the
// alarm path, the REST API as the operator drives it.
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import test, { type ExecutionContext } from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runPolicyCommand } from '../../bin/policy-command.js';
import { encodeMessage, v1, type calle } from '../../proto/index.js';
import { eventSubject, messageId } from '../../proto/nats-subjects.js';
import { startCoordinator } from '../coordinator.js';
import type { RolloutJson } from '../http/rollout-api.js';
import { startNats, tempDir, testLogger, waitFor } from '../testing/harness.js';
import { LightEdge, type LightEdgeOptions } from './light-edge.js';
import { inStageOrder } from './rollout-plan.js';

// In stage order (rollout-plan.ts orders edges by a hash of their id): IDS[0] is the canary, and
// with stages 1,40%,100% IDS[1] is stage 2 and IDS[2..4] stage 3.
const IDS = inStageOrder(['edge-01', 'edge-02', 'edge-03', 'edge-04', 'edge-05']);
const [CANARY, STAGE2, STAGE3A, STAGE3B] = IDS as [string, string, string, string, string];
const lighting = (levelPct: number) => ({ steps: [{ at: 'sunset', levelPct }], presenceLevelPct: levelPct });

async function setup(t: ExecutionContext, verdicts: Record<string, LightEdgeOptions['verdict']> = {}) {
  const nats = await startNats(t);
  const { log } = testLogger(t);
  const dbPath = join(tempDir(t), 'coordinator.db');
  const start = async (grpcPort = 0, httpPort = 0) =>
    startCoordinator({
      dbPath,
      natsServers: [nats.url],
      grpcHost: '127.0.0.1',
      grpcPort,
      httpHost: '127.0.0.1',
      httpPort,
      log,
      rolloutTickMs: 25,
      enrolment: 'open', // light edges register without enrolment
    });
  let coordinator = await start();
  t.teardown(async () => coordinator.close());
  /** Stops the coordinator and starts it again on the same ports and database. */
  const restart = async () => {
    const ports = [coordinator.grpcPort, Number(new URL(coordinator.httpUrl).port)] as const;
    await coordinator.close();
    coordinator = await start(...ports);
  };
  const edges = await Promise.all(
    IDS.map(async (edgeId) =>
      LightEdge.start({
        target: `127.0.0.1:${coordinator.grpcPort}`,
        edgeId,
        retryMs: 50,
        ...(verdicts[edgeId] ? { verdict: verdicts[edgeId] } : {}),
      }),
    ),
  );
  t.teardown(() => edges.forEach((e) => e.close()));
  // The version the rollout would roll back to, already on every edge.
  await coordinator.publish({ target: { districts: ['centro'] }, lighting: lighting(50) });
  await waitFor(() => edges.every((e) => e.applied === 1), 5_000, 'baseline v1 on every edge');
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${coordinator.httpUrl}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    return {
      status: res.status,
      body: (await res.json()) as RolloutJson & { error?: string; message?: string },
    };
  };
  const rollout = async (id: number) => (await api('GET', `/api/rollouts/${id}`)).body;
  return { nats, coordinator, edges, api, rollout, restart };
}

/** Applies the baseline, then never answers again (a cabinet that lost its uplink). */
const ignoreAfterV1: LightEdgeOptions['verdict'] = (b) =>
  Number(b.version) === 1 ? { applied: true, reason: '' } : 'ignore';

const staged = (extra: Record<string, unknown> = {}) => ({
  policy: { target: { districts: ['centro'] }, lighting: lighting(80) },
  stages: '1,40%,100%',
  windowMs: 150,
  stageTimeoutMs: 3_000,
  ...extra,
});

test('rollouts — a healthy rollout goes stage by stage, holding the version back from later stages', async (t) => {
  const { edges, api, rollout } = await setup(t, { [STAGE3B]: ignoreAfterV1 });
  // STAGE3B never answers: the stage it is in cannot pass until it does. Start with a long window
  // so the canary stage is observable before stage 2 is released.
  const created = await api('POST', '/api/rollouts', staged({ windowMs: 1_000 }));
  t.is(created.status, 201);
  t.like(created.body, { id: 2, version: 2, state: 'running', stage: 1 });
  t.deepEqual(
    created.body.stages.map((s) => s.edges),
    [1, 1, 3],
  );
  await waitFor(() => edges[0]!.applied === 2, 5_000, 'canary applied');
  // The canary passed its acks but its alarm window is still open: nobody else has the version.
  t.deepEqual(
    edges.slice(1).map((e) => e.received.includes(2)),
    [false, false, false, false],
  );
  await waitFor(() => edges[1]!.applied === 2, 5_000, 'stage 2 released');
  t.false(edges[2]!.received.includes(2), 'stage 3 must not have it during stage 2');
  await waitFor(async () => (await rollout(2)).stage === 3, 5_000, 'stage 3');
  await waitFor(() => edges[2]!.applied === 2 && edges[4]!.applied === 2, 5_000, 'stage 3 applied');
  t.true(edges[3]!.received.includes(2));
  t.like(await rollout(2), { state: 'running', stage: 3 });
  // Until STAGE3B acks, stage 3 cannot complete; the operator halts it, then rolls it back.
  t.like((await api('POST', '/api/rollouts/2/halt')).body, { state: 'halted' });
  t.is((await api('POST', '/api/rollouts/2/halt')).status, 409);
  t.like((await api('POST', '/api/rollouts/2/resume')).body, { state: 'running' });
  t.is((await api('GET', '/api/rollouts/99')).status, 404);
  t.is((await api('POST', '/api/rollouts', staged({ stages: '1,10%' }))).status, 400);
  t.like((await api('POST', '/api/rollouts', staged({ rollbackTo: 42 }))).body, {
    error: 'CALLE_ERR_ROLLOUT_ROLLBACK_UNKNOWN',
  });
  const nobody = await api('POST', '/api/rollouts', {
    ...staged(),
    policy: { target: { districts: ['retiro'] }, lighting: lighting(80) },
  });
  t.like(nobody, { status: 400, body: { error: 'CALLE_ERR_ROLLOUT_NO_EDGES' } });
});

test('rollouts — all stages healthy: the rollout completes and every edge ends on the new version', async (t) => {
  const { edges, api, rollout } = await setup(t);
  const created = await api('POST', '/api/rollouts', staged({ windowMs: 50 }));
  t.is(created.status, 201);
  await waitFor(async () => (await rollout(2)).state === 'completed', 8_000, 'completed');
  await waitFor(() => edges.every((e) => e.applied === 2), 5_000, 'every edge on v2');
  t.deepEqual(
    (await rollout(2)).stages.map((s) => [s.applied, s.pending.length]),
    [
      [1, 0],
      [1, 0],
      [3, 0],
    ],
  );
});

test('rollouts — a refusal in stage 2 halts and rolls back by itself; later stages never see the version', async (t) => {
  const { edges, coordinator, api, rollout } = await setup(t, {
    [STAGE2]: (b) =>
      Number(b.version) === 2
        ? { applied: false, reason: 'lighting: level out of range' }
        : { applied: true, reason: '' },
  });
  t.is((await api('POST', '/api/rollouts', staged({ windowMs: 50 }))).status, 201);
  await waitFor(async () => (await rollout(2)).state === 'rolled_back', 8_000, 'rolled back');
  const r = await rollout(2);
  t.like(r, { rollbackTo: 1, rollbackVersion: 3, stage: 2 });
  t.regex(r.reason, new RegExp(`stage 2: edge ${STAGE2} refused version 2: lighting: level out of range`));
  await waitFor(() => edges.every((e) => e.applied === 3), 5_000, 'every edge on the rollback version');
  for (const e of edges.slice(2)) t.false(e.received.includes(2), `${e.edgeId} must never get v2`);
  // The rollback carries v1's content, re-signed as v3.
  const res = await fetch(`${coordinator.httpUrl}/api/policies/3`);
  const v3 = (await res.json()) as { policy: { lighting: { presenceLevelPct: number } } };
  t.is(v3.policy.lighting.presenceLevelPct, 50);
});

test('rollouts — a critical alarm from a released edge, or a stage timeout, rolls back', async (t) => {
  const { nats, edges, api, rollout } = await setup(t, { [STAGE3A]: ignoreAfterV1 });
  t.is((await api('POST', '/api/rollouts', staged({ windowMs: 2_000 }))).status, 201);
  await waitFor(() => edges[0]!.applied === 2, 5_000, 'canary applied');
  // The canary raises a critical alarm inside its window, through JetStream like a real edge.
  const nc = await connect({ servers: nats.url });
  t.teardown(async () => nc.close());
  const event: calle.v1.Event.$Properties = {
    seq: 1,
    edgeId: CANARY,
    code: 'LAMP_FAILURE',
    severity: v1.Severity.SEVERITY_CRITICAL,
    message: 'lamps out on 3 luminaires',
    timeMs: Date.now(),
    active: true,
  };
  await jetstream(nc).publish(eventSubject(CANARY), encodeMessage(v1.Event, event), {
    msgID: messageId(CANARY, 1),
  });
  await waitFor(async () => (await rollout(2)).state === 'rolled_back', 8_000, 'rolled back on the alarm');
  t.regex((await rollout(2)).reason, new RegExp(`critical alarm LAMP_FAILURE on edge ${CANARY}`));

  // Second rollout: STAGE3A (in stage 3 of 1,40%,100%) never answers → timeout.
  const second = await api('POST', '/api/rollouts', staged({ windowMs: 25, stageTimeoutMs: 500 }));
  t.is(second.status, 201);
  await waitFor(async () => (await rollout(4)).state === 'rolled_back', 8_000, 'rolled back on timeout');
  t.regex((await rollout(4)).reason, new RegExp(`stage 3 timed out after 500 ms; not applied on ${STAGE3A}`));
});

test('rollouts — calle policy push --staged, rollout status, halt and rollback from the command line', async (t) => {
  const { coordinator, edges } = await setup(t, { [STAGE3A]: ignoreAfterV1 });
  const file = join(tempDir(t), 'brighter.yaml');
  writeFileSync(file, 'target:\n  districts: [centro]\nlighting:\n  steps: [{ at: sunset, levelPct: 90 }]\n');
  const out: string[] = [];
  const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(`ERR ${l}`) };
  const cli = async (...args: string[]) =>
    runPolicyCommand([...args, '--coordinator', coordinator.httpUrl], io);

  t.is(await cli('push', file, '--staged', '1,40%,100%', '--window', '50', '--stage-timeout', '60000'), 0);
  t.regex(out.at(-1)!, /^rollout 2: policy 2 published to stage 1 of 3 \(1 → 1 → 3 edges\)/);
  await waitFor(() => edges[4]!.applied === 2, 8_000, 'stage 3 reached its last edge');
  t.is(await cli('rollout', 'status'), 0);
  t.regex(
    out.join('\n'),
    new RegExp(
      `rollout 2: policy 2 running, stage 3 of 3\\n.*\\n.*\\n {2}stage 3: 3 edge\\(s\\), 2 applied, 0 refused, 1 pending \\(${STAGE3A}\\)`,
    ),
  );
  t.is(await cli('rollout', 'halt', '2'), 0);
  t.regex(out.at(-4)!, /halted/);
  t.is(await cli('rollout', 'rollback', '2'), 0);
  t.regex(
    out.at(-4)!,
    /rolled back, stage 3 of 3 — rolled back by the operator \(rolled back as policy 3, content of 1\)/,
  );
  await waitFor(
    () => edges.every((e) => e.applied === 3 || (e.edgeId === STAGE3A && e.applied === 1)),
    5_000,
    'v3',
  );
  t.is(await cli('rollout', 'status', '7'), 1);
  t.is(out.at(-1), 'ERR calle policy rollout: rollout 7 does not exist');
  t.is(await cli('push', file, '--staged', '1,ten'), 1);
  t.regex(out.at(-1)!, /ERR stages\[1\]: "ten" is neither/);
});

test('rollouts — a coordinator restart mid-rollout keeps the gate: held stages stay held, then complete', async (t) => {
  const { edges, api, rollout, restart } = await setup(t);
  const windowMs = 1_500;
  t.is((await api('POST', '/api/rollouts', staged({ windowMs }))).status, 201);
  await waitFor(() => edges[0]!.applied === 2, 5_000, 'canary applied');
  const canaryAt = edges[0]!.receivedAt.get(2)!;
  // Restarted inside the canary's window: every edge reconnects to the new process and resumes
  // from its applied version, and the new process must go on holding v2 back from later stages.
  await restart();
  await waitFor(async () => (await rollout(2)).state === 'completed', 15_000, 'completed after the restart');
  await waitFor(() => edges.every((e) => e.applied === 2), 5_000, 'every edge on v2');
  // Timed from the canary's delivery, so a slow restart cannot make this flaky, only an early
  // release can fail it: stage 2 after one window, stage 3 after two.
  const after = (i: number) => edges[i]!.receivedAt.get(2)! - canaryAt;
  t.true(after(1) >= windowMs, `stage 2 got v2 ${Math.round(after(1))} ms after the canary`);
  for (const i of [2, 3, 4])
    t.true(after(i) >= 2 * windowMs, `stage 3 got v2 ${Math.round(after(i))} ms after the canary`);
});

test('rollouts — a newer version for the same target supersedes a running rollout instead of being rolled back', async (t) => {
  const { edges, coordinator, api, rollout } = await setup(t);
  t.is((await api('POST', '/api/rollouts', staged({ windowMs: 5_000 }))).status, 201); // v2
  await waitFor(() => edges[0]!.applied === 2, 5_000, 'canary applied');
  const second = await api('POST', '/api/rollouts', staged({ windowMs: 50 })); // v3
  t.like(second.body, { id: 3, version: 3 });
  t.like(await rollout(2), { state: 'superseded', reason: 'superseded by version 3 for the same target' });
  await waitFor(async () => (await rollout(3)).state === 'completed', 8_000, 'second rollout completed');
  await waitFor(() => edges.every((e) => e.applied === 3), 5_000, 'every edge on v3');
  // A plain publish for the same target supersedes too; nothing was rolled back on the way.
  const third = await api('POST', '/api/rollouts', staged({ windowMs: 5_000 })); // v4
  const plain = await coordinator.publish({ target: { districts: ['centro'] }, lighting: lighting(20) });
  t.like(await rollout(third.body.id), { state: 'superseded', rollbackVersion: null });
  await waitFor(() => edges.every((e) => e.applied === Number(plain.version)), 5_000, 'every edge on v5');
  t.is(Number(plain.version), 5);
});
