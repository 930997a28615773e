import test, { type ExecutionContext } from 'ava';
import { v1 } from '../../proto/index.js';
import { verifyBundleSignature } from '../../common/signing/policy-signature.js';
import { ephemeralSigner } from '../keys/policy-signer.js';
import { testLogger } from '../testing/harness.js';
import {
  isLoopbackHost,
  registerPolicyApi,
  type PolicyAcksJson,
  type PolicyJson,
  type ProblemJson,
} from './policy-api.js';
import { buildStatusApi } from './status-api.js';
import { localState, tempStore } from '../testing/local-state.js';

async function setup(t: ExecutionContext) {
  const { log } = testLogger(t);
  const db = tempStore(t);
  const signer = ephemeralSigner();
  const { publisher, history } = await localState(db, log, { signer, now: () => Date.UTC(2025, 5, 1, 20) });
  const app = buildStatusApi({ store: db, log });
  registerPolicyApi(app, { publisher, history });
  t.teardown(async () => app.close());
  return { db, app, signer, publisher };
}

const lighting = { steps: [{ at: 'sunset', levelPct: 70 }], presenceLevelPct: 70 };

test('policy api — POST a JSON policy: 201 with the new version, signed, stored and listed', async (t) => {
  const { app, signer, db } = await setup(t);
  const res = await app.inject({
    method: 'POST',
    url: '/api/policies',
    payload: { target: { allEdges: true }, lighting },
  });
  t.is(res.statusCode, 201);
  const body = res.json<PolicyJson>();
  t.like(body, {
    version: 1,
    issuedAt: '2025-06-01T20:00:00.000Z',
    keyId: signer.keyId,
    signatureAlg: 'ed25519',
  });
  t.deepEqual(body.policy, { target: { allEdges: true }, lighting });

  const stored = v1.PolicyBundle.decode((await db.policies.after(0))[0]!.bundle);
  t.deepEqual(verifyBundleSignature(stored, signer.publicKey), { ok: true });

  const list = await app.inject({ method: 'GET', url: '/api/policies' });
  t.like(list.json<PolicyJson[]>(), [{ version: 1, keyId: signer.keyId, applied: 0, refused: 0 }]);
  const one = await app.inject({ method: 'GET', url: '/api/policies/1' });
  t.deepEqual(one.json<PolicyJson>().policy, body.policy);
  t.is((await app.inject({ method: 'GET', url: '/api/policies/2' })).statusCode, 404);
});

test('policy api — POST YAML works too; a bad policy is 400 with every field problem and publishes nothing', async (t) => {
  const { app, db } = await setup(t);
  const yaml = await app.inject({
    method: 'POST',
    url: '/api/policies',
    headers: { 'content-type': 'application/yaml' },
    payload: 'target: { districts: [centro] }\nwaste:\n  collectAtFill: 0.75\n',
  });
  t.is(yaml.statusCode, 201);
  t.deepEqual(yaml.json<PolicyJson>().policy, {
    target: { districts: ['centro'] },
    waste: { collectAtFill: 0.75 },
  });

  const bad = await app.inject({
    method: 'POST',
    url: '/api/policies',
    payload: { target: { allEdges: true }, traffic: { cycleS: 90, minGreenS: 7, yellowS: 2.5 } },
  });
  t.is(bad.statusCode, 400);
  const problem = bad.json<ProblemJson>();
  t.is(problem.error, 'CALLE_ERR_POLICY_INVALID');
  t.deepEqual(problem.problems, [
    { field: 'traffic.allRedS', reason: 'is required' },
    { field: 'traffic.yellowS', reason: '2.5 is below the minimum 3' },
  ]);

  const syntax = await app.inject({
    method: 'POST',
    url: '/api/policies',
    headers: { 'content-type': 'application/json' },
    payload: '{ "target": ',
  });
  t.is(syntax.statusCode, 400);
  t.regex(syntax.json<ProblemJson>().problems?.[0]?.reason ?? '', /^line 1, column \d+/);
  t.is((await db.policies.after(0)).length, 1, 'only the good one was published');

  // The JSON parser swap is scoped to the policy routes: the fleet overview still answers.
  t.is((await app.inject({ method: 'GET', url: '/api/edges' })).statusCode, 200);
});

test('policy api — acks per edge: applied, refused with the reason, and targeted edges still pending', async (t) => {
  const { app, db, publisher } = await setup(t);
  const nowMs = Date.UTC(2025, 5, 1, 21);
  for (const [id, district] of [
    ['edge-a', 'centro'],
    ['edge-b', 'centro'],
    ['edge-c', 'centro'],
    ['edge-r', 'retiro'],
  ] as const)
    await db.registry.register({ id, district, tags: [], softwareVersion: '0.1.0', nowMs });
  const { version } = await publisher.publish({ target: { districts: ['centro'] }, lighting });
  await db.policies.recordAck({ edgeId: 'edge-a', version, applied: true, reason: '', timeMs: nowMs });
  await db.policies.recordAck({
    edgeId: 'edge-b',
    version,
    applied: false,
    reason: 'signature: does not match',
    timeMs: nowMs,
  });

  const res = await app.inject({ method: 'GET', url: `/api/policies/${version}/acks` });
  t.deepEqual(res.json<PolicyAcksJson>(), {
    version,
    acks: [
      { edgeId: 'edge-a', applied: true, reason: '', at: '2025-06-01T21:00:00.000Z' },
      {
        edgeId: 'edge-b',
        applied: false,
        reason: 'signature: does not match',
        at: '2025-06-01T21:00:00.000Z',
      },
    ],
    pending: ['edge-c'],
  });
  t.like((await app.inject({ method: 'GET', url: '/api/policies' })).json<PolicyJson[]>(), [
    { applied: 1, refused: 1 },
  ]);

  // A refusal of a forged version the coordinator never published is still shown.
  await db.policies.recordAck({
    edgeId: 'edge-a',
    version: 999,
    applied: false,
    reason: 'signature: …',
    timeMs: nowMs,
  });
  t.like((await app.inject({ method: 'GET', url: '/api/policies/999/acks' })).json<PolicyAcksJson>(), {
    acks: [{ edgeId: 'edge-a', applied: false }],
    pending: [],
  });
  t.is((await app.inject({ method: 'GET', url: '/api/policies/998/acks' })).statusCode, 404);
});

test('policy api — rollback publishes the old content as a new, higher version, signed again', async (t) => {
  const { app, signer } = await setup(t);
  await app.inject({
    method: 'POST',
    url: '/api/policies',
    payload: { target: { allEdges: true }, lighting },
  });
  await app.inject({
    method: 'POST',
    url: '/api/policies',
    payload: { target: { allEdges: true }, lighting: { steps: [{ at: 'sunset', levelPct: 20 }] } },
  });
  const res = await app.inject({ method: 'POST', url: '/api/policies/rollback', payload: { to: 1 } });
  t.is(res.statusCode, 201);
  const body = res.json<PolicyJson & { rollbackOf: number }>();
  t.like(body, { version: 3, rollbackOf: 1, keyId: signer.keyId });
  t.deepEqual(body.policy, { target: { allEdges: true }, lighting });

  t.is(
    (await app.inject({ method: 'POST', url: '/api/policies/rollback', payload: { to: 9 } })).statusCode,
    404,
  );
  const bad = await app.inject({ method: 'POST', url: '/api/policies/rollback', payload: { to: 'one' } });
  t.is(bad.statusCode, 400);
  t.is(bad.json<ProblemJson>().problems?.[0]?.field, 'to');
});

test('policy api — loopback detection for the no-authentication warning', (t) => {
  for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1']) t.true(isLoopbackHost(host), host);
  for (const host of ['0.0.0.0', '::', '10.0.0.5', 'coordinator.madrid.es'])
    t.false(isLoopbackHost(host), host);
});
