// The dashboard's enrolment routes over the fixture's real stores: an edge enrols through the real
// EdgeAdmission (what Register runs), an engineer approves it with the key id the edge logs, and
// the admission then accepts the edge's signed Heartbeat.
import test, { type ExecutionContext } from 'ava';
import { signCall } from '../../common/signing/call-proof.js';
import { keyIdOfRaw, loadOrCreateEdgeKey, type EdgeKey } from '../../common/signing/edge-identity.js';
import { signRegister } from '../../common/signing/register-proof.js';
import { EdgeAdmission } from '../enrolment/edge-admission.js';
import { ErrorCodes } from '../errors.js';
import { tempDir, testLogger } from '../testing/harness.js';
import type { ErrorJson } from './dashboard-api.js';
import { DASHBOARD_COOKIE } from './dashboard-auth.js';
import type { EnrolmentDecisionJson, EnrolmentJson } from './enrolment-api.js';
import { dashboardFixture, type DashboardFixture } from './testing/dashboard-fixture.js';

/** A fixture with one edge `edgeId` enrolled (pending) through EdgeAdmission.register. */
async function enrolling(t: ExecutionContext, edgeId = 'atocha-01') {
  const f = await dashboardFixture(t);
  const { log } = testLogger(t);
  const admission = new EdgeAdmission({ mode: 'required', store: f.enrolment, log });
  const key: EdgeKey = loadOrCreateEdgeKey(tempDir(t));
  const { token } = f.enrolment.issueToken({
    edgeId,
    district: 'centro',
    ttlMs: 3_600_000,
    nowMs: Date.now(),
  });
  const timeMs = Date.now();
  const fields = {
    edgeId,
    district: 'centro',
    tags: [],
    softwareVersion: 'test',
    publicKey: key.publicKey,
    enrolmentToken: token,
    timeMs,
  };
  const admitted = admission.register(
    {
      ...fields,
      signature: signRegister(key.privateKey, fields),
    },
    timeMs,
  );
  t.is(admitted.state, 'pending');
  const heartbeat = () =>
    admission.requireApproved(
      edgeId,
      'Heartbeat',
      signCall(key.privateKey, 'Heartbeat', edgeId, Date.now()),
      Date.now(),
    );
  await f.addUser('vic', 'viewer');
  await f.addUser('tom', 'technician');
  await f.addUser('eva', 'engineer');
  return { f, edgeId, keyId: keyIdOfRaw(key.publicKey), heartbeat, admission };
}

const auditRows = (f: DashboardFixture, prefix: string) =>
  f.dashboard.access.audit
    .recent(100)
    .filter((r) => r.action.startsWith(prefix))
    .reverse()
    .map((r) => ({
      actor: r.actor,
      action: r.action,
      target: r.target,
      before: JSON.parse(r.beforeJson ?? 'null') as unknown,
      after: JSON.parse(r.afterJson ?? 'null') as Record<string, unknown>,
    }));

test('enrolment api — every role lists pending edges with key id and district; only an engineer decides', async (t) => {
  const { f, edgeId, keyId } = await enrolling(t);
  f.enrolment.issueToken({ edgeId: 'sol-02', district: 'sol', ttlMs: 60_000, nowMs: Date.now() });
  const [vic, tom, eva] = [await f.signIn('vic'), await f.signIn('tom'), await f.signIn('eva')];
  for (const who of [vic, tom, eva]) {
    const list = await f.call<{ edges: EnrolmentJson[] }>(who, 'GET', 'enrolments');
    t.is(list.status, 200);
    t.deepEqual(
      list.json.edges.map((e) => [e.edgeId, e.state, e.district, e.keyId]),
      [
        [edgeId, 'pending', 'centro', keyId],
        ['sol-02', 'invited', 'sol', null],
      ],
    );
    t.true(typeof list.json.edges[0]!.enrolledMs === 'number');
  }
  const body = { confirm: edgeId, keyId };
  t.is((await f.call(vic, 'POST', `enrolments/${edgeId}/approve`, body)).status, 403);
  const byTom = await f.call(tom, 'POST', `enrolments/${edgeId}/approve`, body);
  t.is(byTom.status, 403);
  t.is(byTom.json.code, 'DASHBOARD_FORBIDDEN');
  t.is((await f.call(tom, 'POST', `enrolments/${edgeId}/revoke`, body)).status, 403);
  t.is(f.enrolment.get(edgeId)!.state, 'pending', 'nothing changed');
  t.deepEqual(
    auditRows(f, 'access.denied').map((r) => [r.actor, r.after['needs']]),
    [
      ['vic', 'enrolment.decide'],
      ['tom', 'enrolment.decide'],
      ['tom', 'enrolment.decide'],
    ],
  );
  t.is((await f.call(undefined, 'GET', 'enrolments')).status, 401);
});

test('enrolment api — CSRF: an approval without the session token or from another origin is refused', async (t) => {
  const { f, edgeId, keyId } = await enrolling(t);
  const eva = await f.signIn('eva');
  const post = async (headers: Record<string, string>) =>
    f.app.inject({
      method: 'POST',
      url: `/dashboard/api/enrolments/${edgeId}/approve`,
      headers: {
        cookie: `${DASHBOARD_COOKIE}=${eva.cookie}`,
        'content-type': 'application/json',
        ...headers,
      },
      payload: JSON.stringify({ confirm: edgeId, keyId }),
    });
  const none = await post({});
  t.is(none.statusCode, 403);
  t.regex(none.body, /x-csrf-token/);
  const other = await post({
    'x-csrf-token': eva.csrf,
    origin: 'https://evil.example',
    host: 'coordinator:8080',
  });
  t.is(other.statusCode, 403);
  t.is(f.enrolment.get(edgeId)!.state, 'pending');
  t.is((await post({ 'x-csrf-token': eva.csrf })).statusCode, 200, 'the same request with the token');
  t.is(f.enrolment.get(edgeId)!.state, 'approved');
});

test('enrolment api — a key id or confirmation that does not match is refused naming the field, and audited', async (t) => {
  const { f, edgeId, keyId, heartbeat } = await enrolling(t);
  const eva = await f.signIn('eva');
  const wrongKey = await f.call(eva, 'POST', `enrolments/${edgeId}/approve`, {
    confirm: edgeId,
    keyId: 'ffffffffffffffff',
  });
  t.is(wrongKey.status, 409);
  t.is(wrongKey.json.code, 'DASHBOARD_KEY_MISMATCH');
  t.regex(wrongKey.json.message, new RegExp(`^keyId: "ffffffffffffffff" is not the key .*"${keyId}"`));
  const wrongEdge = await f.call(eva, 'POST', `enrolments/${edgeId}/approve`, {
    confirm: 'atocha-02',
    keyId,
  });
  t.is(wrongEdge.status, 400);
  t.regex(wrongEdge.json.message, /^confirm: must repeat the edge id "atocha-01"/);
  const missing = await f.call(eva, 'POST', `enrolments/${edgeId}/approve`, { confirm: edgeId });
  t.is(missing.status, 400);
  t.regex(missing.json.message, /keyId/);
  const unknown = await f.call(eva, 'POST', 'enrolments/nobody-01/approve', { confirm: 'nobody-01', keyId });
  t.is(unknown.status, 404);
  t.is(unknown.json.code, ErrorCodes.EDGE_NOT_ENROLLED);
  const invited = await f.call(eva, 'POST', 'enrolments/BAD%20ID/approve', { confirm: 'BAD ID', keyId });
  t.is(invited.status, 400);
  t.regex(invited.json.message, /^edge: /);

  t.is(f.enrolment.get(edgeId)!.state, 'pending', 'nothing was approved');
  t.throws(heartbeat, { message: /waiting for operator approval/ });
  const refusals = auditRows(f, 'enrolment.');
  t.deepEqual(
    refusals.map((r) => [r.action, r.target, r.after['keyId']]),
    [
      ['enrolment.approve_refused', 'edge:atocha-01', 'ffffffffffffffff'],
      ['enrolment.approve_refused', 'edge:atocha-01', keyId],
      ['enrolment.approve_refused', 'edge:nobody-01', keyId],
      ['enrolment.approve_refused', 'edge:BAD ID', keyId],
    ],
  );
  t.deepEqual(refusals[0]!.before, { state: 'pending', district: 'centro', keyId });
  t.regex(String(refusals[0]!.after['reason']), /^keyId: /);
  t.true(f.dashboard.access.audit.verify().ok);
});

test('enrolment api — an approved edge’s Heartbeat is accepted; a revoked one is refused; each an audit row with before and after', async (t) => {
  const { f, edgeId, keyId, heartbeat } = await enrolling(t);
  const eva = await f.signIn('eva');
  t.throws(heartbeat, { message: /waiting for operator approval/ }, 'pending: no heartbeat yet');

  const approved = await f.call<EnrolmentDecisionJson>(eva, 'POST', `enrolments/${edgeId}/approve`, {
    confirm: edgeId,
    keyId,
  });
  t.is(approved.status, 200);
  t.is(approved.json.edge.state, 'approved');
  t.is(approved.json.edge.approvedMs, f.clock);
  t.notThrows(heartbeat, 'the signed Heartbeat is admitted');

  // Approving again changes nothing (as the CLI), and is still recorded as the engineer's act.
  t.is((await f.call(eva, 'POST', `enrolments/${edgeId}/approve`, { confirm: edgeId, keyId })).status, 200);

  const revoked = await f.call<EnrolmentDecisionJson>(eva, 'POST', `enrolments/${edgeId}/revoke`, {
    confirm: edgeId,
    keyId,
  });
  t.is(revoked.status, 200);
  t.is(revoked.json.edge.state, 'revoked');
  t.regex(revoked.json.next ?? '', /nats-accounts/);
  t.throws(heartbeat, { message: /revoked by an operator/ });
  // A revoked edge cannot be approved back: it needs a new token (the shared rules' words).
  const back = await f.call<ErrorJson>(eva, 'POST', `enrolments/${edgeId}/approve`, {
    confirm: edgeId,
    keyId,
  });
  t.is(back.status, 409);
  t.is(back.json.code, ErrorCodes.ENROLMENT_REFUSED);
  t.regex(back.json.message, /is revoked; issue a new token/);

  const rows = auditRows(f, 'enrolment.');
  t.deepEqual(
    rows.map((r) => [r.actor, r.action, r.before, r.after['state']]),
    [
      ['eva', 'enrolment.approved', { state: 'pending', district: 'centro', keyId }, 'approved'],
      ['eva', 'enrolment.approved', { state: 'approved', district: 'centro', keyId }, 'approved'],
      ['eva', 'enrolment.revoked', { state: 'approved', district: 'centro', keyId }, 'revoked'],
      ['eva', 'enrolment.approve_refused', { state: 'revoked', district: 'centro', keyId }, undefined],
    ],
  );
  t.is(rows[0]!.after['approvedMs'], f.clock);
  t.true(f.dashboard.access.audit.verify().ok);
});
