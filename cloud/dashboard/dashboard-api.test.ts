import test from 'ava';
import type { OverviewJson, RolloutViewJson, ValidationJson } from './dashboard-api.js';
import { DASHBOARD_COOKIE } from './dashboard-auth.js';
import type { FleetKpis } from './fleet-kpis.js';
import { dashboardFixture, PASSWORD } from './testing/dashboard-fixture.js';
import { inStageOrder } from '../rollouts/rollout-plan.js';
import { ingestEvent, ingestReadings } from '../testing/store-helpers.js';

const NIGHT = `target: { districts: [centro] }
lighting:
  steps:
    - { at: sunset, offsetMin: 0, levelPct: 100 }
    - { at: "00:30", levelPct: 50 }
`;
const DIMMER = NIGHT.replace('levelPct: 50', 'levelPct: 40');

// Every dashboard API route and a body it accepts; all of them need a session.
const ROUTES: readonly ['GET' | 'POST', string, unknown?][] = [
  ['GET', 'overview'],
  ['GET', 'kpis'],
  ['GET', 'policies'],
  ['GET', 'audit'],
  ['POST', 'policies/validate', { text: NIGHT }],
  ['POST', 'policies', { text: NIGHT }],
  ['POST', 'rollouts', { text: NIGHT }],
  ['POST', 'rollouts/1/halt'],
  ['POST', 'rollouts/1/resume'],
  ['POST', 'rollouts/1/rollback'],
  ['GET', 'enrolments'],
  ['POST', 'enrolments/edge-a/approve', { confirm: 'edge-a', keyId: '' }],
  ['POST', 'enrolments/edge-a/revoke', { confirm: 'edge-a', keyId: '' }],
  ['POST', 'logout'],
  ['GET', 'no-such-route'],
];

test('dashboard api — every route refuses without a session; the page and sign-in do not', async (t) => {
  const f = await dashboardFixture(t);
  for (const [method, path, body] of ROUTES) {
    const res = await f.call(undefined, method, path, body);
    t.is(res.status, 401, `${method} ${path}`);
    t.is(res.json.code, 'DASHBOARD_UNAUTHENTICATED');
  }
  const page = await f.app.inject({ method: 'GET', url: '/dashboard/' });
  t.is(page.statusCode, 200);
  t.regex(page.body, /<script type="module" src="\/dashboard\/app.js">/);
  t.regex(String(page.headers['content-security-policy']), /default-src 'self'/);
  t.is((await f.app.inject({ method: 'GET', url: '/dashboard/../package.json' })).statusCode, 404);
  t.like((await f.call(undefined, 'GET', 'session')).json, {
    code: 'DASHBOARD_UNAUTHENTICATED',
    setupPending: true,
  });
});

test('dashboard api — the one-time setup token creates the first engineer once; five failures lock a name', async (t) => {
  const f = await dashboardFixture(t);
  const logged = f.lines.find((l) => typeof l.setupToken === 'string');
  t.truthy(logged, 'the token is logged at start when there is no user');
  const token = logged!.setupToken as string;
  const setup = async (body: object) =>
    f.app.inject({ method: 'POST', url: '/dashboard/api/setup', payload: body });
  t.is((await setup({ token: 'guess', name: 'eva', password: PASSWORD })).statusCode, 403);
  t.is(
    (await setup({ token, name: 'eva', password: 'short' })).statusCode,
    400,
    'a weak password keeps the token',
  );
  const ok = await setup({ token, name: 'eva', password: PASSWORD });
  t.is(ok.statusCode, 200);
  t.like(JSON.parse(ok.body), { user: 'eva', role: 'engineer' });
  t.regex(String(ok.headers['set-cookie']), /HttpOnly; SameSite=Strict/);
  t.is((await setup({ token, name: 'sol', password: PASSWORD })).statusCode, 403, 'spent');

  for (let i = 0; i < 5; i++)
    t.is(
      (
        await f.app.inject({
          method: 'POST',
          url: '/dashboard/api/login',
          payload: { name: 'eva', password: `nope ${i}` },
        })
      ).statusCode,
      401,
    );
  const locked = await f.app.inject({
    method: 'POST',
    url: '/dashboard/api/login',
    payload: { name: 'eva', password: PASSWORD },
  });
  t.is(locked.statusCode, 429, 'even the right password is refused while locked');
  t.is(locked.json<{ code: string }>().code, 'DASHBOARD_LOCKED_OUT');
  f.clock += 16 * 60_000;
  await t.notThrowsAsync(f.signIn('eva'));
  const actions = f.dashboard.access.audit.recent(20).map((r) => r.action);
  t.true(actions.includes('login.locked') && actions.includes('login.ok') && actions.includes('user.added'));
});

test('dashboard api — a session locks after 15 idle minutes; polling does not keep it alive', async (t) => {
  const f = await dashboardFixture(t);
  await f.addUser('vic', 'viewer');
  const vic = await f.signIn('vic');
  for (let i = 0; i < 4; i++) {
    f.clock += 5 * 60_000;
    const poll = await f.app.inject({
      method: 'GET',
      url: '/dashboard/api/overview',
      headers: { cookie: `${DASHBOARD_COOKIE}=${vic.cookie}`, 'x-calle-poll': '1' },
    });
    if (i < 2) t.is(poll.statusCode, 200, `poll ${i} inside the idle window`);
    else t.is(poll.statusCode, 401, `poll ${i}: locked`);
  }
  t.is(
    (await f.call(vic, 'GET', 'overview')).json.code,
    'DASHBOARD_UNAUTHENTICATED',
    'the lock cannot be undone',
  );
});

test('dashboard api — roles: viewers read, technicians control rollouts, engineers publish; refusals are audited', async (t) => {
  const f = await dashboardFixture(t);
  await f.registerEdges([{ id: 'edge-a', district: 'centro' }]);
  await f.addUser('vic', 'viewer');
  await f.addUser('tom', 'technician');
  await f.addUser('eva', 'engineer');
  const [vic, tom, eva] = [await f.signIn('vic'), await f.signIn('tom'), await f.signIn('eva')];

  t.is((await f.call(vic, 'GET', 'overview')).status, 200);
  t.is((await f.call(vic, 'POST', 'policies/validate', { text: NIGHT })).status, 200, 'a dry run is a read');
  t.is((await f.call(vic, 'POST', 'policies', { text: NIGHT })).status, 403);
  t.is((await f.call(tom, 'POST', 'policies', { text: NIGHT })).status, 403);
  t.is((await f.call(tom, 'POST', 'rollouts', { text: NIGHT })).status, 403);
  const started = await f.call<RolloutViewJson>(eva, 'POST', 'rollouts', { text: NIGHT, stages: '1,100%' });
  t.is(started.status, 201);
  t.is((await f.call(vic, 'POST', `rollouts/${started.json.id}/halt`)).status, 403);
  t.is((await f.call(tom, 'POST', `rollouts/${started.json.id}/halt`)).status, 200);

  const denied = f.dashboard.access.audit
    .recent(50)
    .filter((r) => r.action === 'access.denied')
    .map((r) => [r.actor, r.target, (JSON.parse(r.afterJson!) as { needs: string }).needs]);
  t.deepEqual(denied.reverse(), [
    ['vic', '/dashboard/api/policies', 'policy.publish'],
    ['tom', '/dashboard/api/policies', 'policy.publish'],
    ['tom', '/dashboard/api/rollouts', 'policy.publish'],
    ['vic', '/dashboard/api/rollouts/:id/halt', 'rollout.control'],
  ]);
});

test('dashboard api — CSRF: a change without the session token or from another origin is refused', async (t) => {
  const f = await dashboardFixture(t);
  await f.addUser('eva', 'engineer');
  const eva = await f.signIn('eva');
  const post = async (headers: Record<string, string>) =>
    f.app.inject({
      method: 'POST',
      url: '/dashboard/api/policies',
      headers: {
        cookie: `${DASHBOARD_COOKIE}=${eva.cookie}`,
        'content-type': 'application/json',
        ...headers,
      },
      payload: JSON.stringify({ text: NIGHT }),
    });
  const none = await post({});
  t.is(none.statusCode, 403);
  t.regex(none.body, /x-csrf-token/);
  t.is((await post({ 'x-csrf-token': 'x'.repeat(eva.csrf.length) })).statusCode, 403);
  const other = await post({
    'x-csrf-token': eva.csrf,
    origin: 'https://evil.example',
    host: 'coordinator:8080',
  });
  t.is(other.statusCode, 403);
  t.regex(other.body, /origin is another site/);
  t.is((await post({ 'x-csrf-token': eva.csrf, 'sec-fetch-site': 'cross-site' })).statusCode, 403);
  t.is(
    (await post({ 'x-csrf-token': eva.csrf })).statusCode,
    201,
    'the same request with the token goes through',
  );
  t.is(f.dashboard.access.audit.recent(50).filter((r) => r.action === 'policy.published').length, 1);
});

test('dashboard api — a rollout is halted, resumed and rolled back through the API, each an audit row with before and after', async (t) => {
  const f = await dashboardFixture(t);
  await f.registerEdges([
    { id: 'edge-a', district: 'centro' },
    { id: 'edge-b', district: 'centro' },
  ]);
  await f.addUser('eva', 'engineer');
  await f.addUser('tom', 'technician');
  const eva = await f.signIn('eva');
  const tom = await f.signIn('tom');
  t.is((await f.call<{ version: number }>(eva, 'POST', 'policies', { text: NIGHT })).json.version, 1);
  const started = await f.call<RolloutViewJson>(eva, 'POST', 'rollouts', {
    text: DIMMER,
    stages: '1,100%',
    windowMs: 3_600_000, // one tick of this fixture's gate, its least (rollout-bounds.ts)
  });
  t.is(started.status, 201);
  const id = started.json.id;
  t.like(started.json, { version: 2, state: 'running', stage: 1, rollbackTo: 1, gate: { phase: 'acks' } });
  t.deepEqual(
    started.json.stages.map((s) => [s.edges, s.released]),
    [
      [1, true],
      [1, false],
    ],
  );

  // The canary: the edge first in stage order (a hash of the id, cloud/rollouts/rollout-plan.ts).
  const canary = inStageOrder(['edge-a', 'edge-b'])[0]!;
  await f.db.policies.recordAck({ edgeId: canary, version: 2, applied: true, reason: '', timeMs: f.clock });
  await f.rollouts.tick();
  const rollout = async () =>
    (await f.call<OverviewJson>(tom, 'GET', 'overview')).json.rollouts.find((r) => r.id === id)!;
  t.like(await rollout(), { stage: 1, gate: { phase: 'window' } });
  t.like((await rollout()).stages[0], { applied: 1, pending: [] });

  t.like((await f.call<RolloutViewJson>(tom, 'POST', `rollouts/${id}/halt`)).json, {
    state: 'halted',
    reason: 'halted by tom',
  });
  const again = await f.call(tom, 'POST', `rollouts/${id}/halt`);
  t.is(again.status, 409, 'halting a halted rollout is a state conflict');
  t.regex(again.json.message, /is halted; this needs it to be running/);
  f.clock += 5000;
  await f.rollouts.tick();
  t.is((await rollout()).stage, 1, 'a halted rollout releases nothing');
  t.like((await f.call<RolloutViewJson>(tom, 'POST', `rollouts/${id}/resume`)).json, { state: 'running' });
  const back = await f.call<RolloutViewJson>(tom, 'POST', `rollouts/${id}/rollback`);
  t.like(back.json, { state: 'rolled_back', rollbackVersion: 3, reason: 'rolled back by tom' });
  t.is((await f.call(tom, 'POST', 'rollouts/99/halt')).status, 404);

  const rows = f.dashboard.access.audit
    .recent(20)
    .filter((r) => r.target === `rollout:${id}`)
    .reverse()
    .map((r) => [
      r.actor,
      r.action,
      r.beforeJson && (JSON.parse(r.beforeJson) as unknown),
      JSON.parse(r.afterJson!) as unknown,
    ]);
  t.is(rows.length, 4);
  t.like(rows[0], ['eva', 'rollout.started', null, { version: 2, stages: [1, 1], rollbackTo: 1 }]);
  t.like(rows[1], ['tom', 'rollout.halted', { state: 'running', stage: 1 }, { state: 'halted' }]);
  t.like(rows[2], ['tom', 'rollout.resumed', { state: 'halted' }, { state: 'running' }]);
  t.like(rows[3], [
    'tom',
    'rollout.rolled_back',
    { state: 'running' },
    { state: 'rolled_back', rollbackVersion: 3 },
  ]);
  const audit = await f.call<{ verdict: { ok: boolean }; rows: unknown[] }>(tom, 'GET', 'audit');
  t.like(audit.json.verdict, { ok: true });
  t.true(audit.json.rows.length >= 6);
});

test('dashboard api — validation names every field problem; a valid draft is diffed against the current version', async (t) => {
  const f = await dashboardFixture(t);
  await f.addUser('vic', 'viewer');
  await f.addUser('eva', 'engineer');
  const vic = await f.signIn('vic');
  const eva = await f.signIn('eva');
  const bad = await f.call<ValidationJson>(vic, 'POST', 'policies/validate', {
    text: 'target: { districts: [centro] }\ntraffic: { cycleS: 90, minGreenS: 7, yellowS: 2, allRedS: 2, colour: red }\n',
  });
  t.false(bad.json.ok);
  t.deepEqual(
    bad.json.problems.map((p) => p.field),
    ['traffic.yellowS', 'traffic.colour'],
  );
  const syntax = await f.call<ValidationJson>(vic, 'POST', 'policies/validate', { text: 'target: {\n' });
  t.regex(syntax.json.problems[0]!.reason, /^line \d+, column \d+/);

  const first = await f.call<ValidationJson>(vic, 'POST', 'policies/validate', { text: NIGHT });
  t.like(first.json, { ok: true, current: null });
  t.true(first.json.diff!.every((l) => l.op === '+'));
  t.is((await f.call(eva, 'POST', 'policies', { text: NIGHT })).status, 201);
  const next = await f.call<ValidationJson>(vic, 'POST', 'policies/validate', { text: DIMMER });
  t.like(next.json, { ok: true, current: { version: 1 } });
  t.deepEqual(
    next.json.diff!.filter((l) => l.op !== ' '),
    [
      { op: '-', text: '      levelPct: 50' },
      { op: '+', text: '      levelPct: 40' },
    ],
  );
  const same = await f.call<ValidationJson>(vic, 'POST', 'policies/validate', {
    text: NIGHT.replace('offsetMin: 0, ', ''),
  });
  t.true(
    same.json.diff!.every((l) => l.op === ' '),
    'a default spelled out or left out is no change',
  );
  const published = f.dashboard.access.audit.recent(10).find((r) => r.action === 'policy.published')!;
  t.like(published, { actor: 'eva', target: 'policy:1', beforeJson: 'null' });
  t.regex(published.afterJson!, /levelPct: 50/);
});

test('dashboard api — the overview groups edges by district with status, policy, alarms and backlog; KPIs from readings', async (t) => {
  const f = await dashboardFixture(t);
  const t0 = f.clock;
  await f.registerEdges([
    { id: 'edge-a', district: 'centro', outboxPending: 12 },
    { id: 'edge-b', district: 'retiro' },
  ]);
  f.clock += 60_000;
  await f.registerEdges([{ id: 'edge-c', district: 'retiro' }]);
  await ingestEvent(f.db, {
    edgeId: 'edge-b',
    seq: 1,
    code: 'signal.flash',
    severity: 3,
    deviceId: 'int-1',
    message: 'flashing amber',
    timeMs: t0,
    active: true,
  });
  await ingestEvent(f.db, {
    edgeId: 'edge-b',
    seq: 2,
    code: 'lamp.out',
    severity: 2,
    deviceId: 'lum-1',
    message: 'lamp out',
    timeMs: t0,
    active: true,
  });
  await ingestEvent(f.db, {
    edgeId: 'edge-b',
    seq: 3,
    code: 'lamp.out',
    severity: 2,
    deviceId: 'lum-1',
    message: 'lamp back',
    timeMs: t0 + 1,
    active: false,
  });
  const at = (s: number) => t0 + s * 1000;
  await ingestReadings(f.db, 'edge-a', [
    { seq: 1, deviceId: 'grp-1', metric: 'energy.wh', value: 1000, timeMs: at(0) },
    { seq: 2, deviceId: 'grp-1', metric: 'energy.wh', value: 3000, timeMs: at(20) },
    { seq: 3, deviceId: 'grp-1', metric: 'energy.wh', value: 500, timeMs: at(40) }, // edge restarted
    { seq: 4, deviceId: 'det-1', metric: 'count.veh', value: 2 ** 32 - 10, timeMs: at(0) },
    { seq: 5, deviceId: 'det-1', metric: 'count.veh', value: 5, timeMs: at(36) }, // wrapped: 15 vehicles
    { seq: 6, deviceId: 'fill-1', metric: 'fill.pct', value: 85, timeMs: at(10) },
    { seq: 7, deviceId: 'fill-2', metric: 'fill.pct', value: 30, timeMs: at(10) },
  ]);
  await f.addUser('vic', 'viewer');
  const vic = await f.signIn('vic');
  const o = (await f.call<OverviewJson>(vic, 'GET', 'overview')).json;
  t.deepEqual(
    o.edges.map((e) => [e.id, e.district, e.status, e.outboxPending]),
    [
      ['edge-a', 'centro', 'stale', 12],
      ['edge-b', 'retiro', 'stale', 0],
      ['edge-c', 'retiro', 'online', 0],
    ],
  );
  t.deepEqual(o.edges[1]!.alarms, { warning: 0, critical: 1 }, 'a cleared alarm is not active');
  t.like(o.alarms, [{ edgeId: 'edge-b', district: 'retiro', code: 'signal.flash', severity: 3 }]);

  const k = (await f.call<FleetKpis>(vic, 'GET', 'kpis')).json;
  const centro = k.districts.find((d) => d.district === 'centro')!;
  t.is(centro.energy.kwh, 2.5, '2 kWh, then 0.5 kWh after the counter restarted');
  t.is(centro.traffic.flowVehH, 1500, '15 vehicles in 36 s across the wrap');
  t.is(centro.traffic.detectors, 1);
  t.true((centro.traffic.delayS ?? 0) > 0);
  t.like(centro.waste, { containers: 2, due: 1, dueAtPct: 80, dueIds: ['edge-a/fill-1'] });
  t.is(centro.waste.histogram[8], 1);
  t.is(k.districts.find((d) => d.district === 'retiro')!.edges, 2);
});

test('dashboard api — a rollout whose window or stage timeout the health gate cannot honour is refused, naming the fields, and nothing starts (regression: issue 13, finding 9)', async (t) => {
  const f = await dashboardFixture(t);
  await f.registerEdges([{ id: 'edge-a', district: 'centro' }]);
  await f.addUser('eva', 'engineer');
  const eva = await f.signIn('eva');
  const refused = await f.call<{ problems: { field: string; reason: string }[] }>(eva, 'POST', 'rollouts', {
    text: DIMMER,
    stages: '1,100%',
    windowMs: 0,
    stageTimeoutMs: 0,
  });
  t.is(refused.status, 400);
  t.deepEqual(
    refused.json.problems.map((p) => p.field),
    ['windowMs', 'stageTimeoutMs'],
  );
  t.regex(refused.json.problems[0]!.reason, /below the minimum/);
  t.is((await f.call<OverviewJson>(eva, 'GET', 'overview')).json.rollouts.length, 0, 'no rollout started');
});
