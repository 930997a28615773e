import test from 'ava';
import type { FastifyInstance } from 'fastify';
import path, { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuditLog } from '../../common/audit/audit-log.js';
import { loadEdgeConfig } from '../config/load-config.js';
import { SimulatedDriver } from '../devices/simulated-driver.js';
import { EdgeSite } from '../site/edge-site.js';
import { openDatabase } from '../../common/sqlite/open-database.js';
import { tempDir, testLogger } from '../../common/testing/temp-dir.js';
import { openConsoleAccess } from '../users/console-access.js';
import { createConsole } from './console-server.js';
import { COLLECTION, consoleFixture, PASSWORD, signIn, STATUS } from './testing/console-fixture.js';
import { EDGE_MIGRATIONS } from '../store/migrations.js';

const EXAMPLE = path.join(path.dirname(fileURLToPath(import.meta.url)), '../examples/madrid-street.json');

async function engineerAndTechnician(t: import('ava').ExecutionContext) {
  const fixture = consoleFixture(t);
  await fixture.addUser('eva', 'engineer');
  await fixture.addUser('tom', 'technician');
  const eva = await signIn(fixture.app, 'eva');
  const tom = await signIn(fixture.app, 'tom');
  const post = async (who: { cookie: string; csrf: string }, url: string, payload?: object) =>
    fixture.app.inject({
      method: 'POST',
      url,
      headers: { cookie: who.cookie, 'x-csrf-token': who.csrf },
      ...(payload ? { payload } : {}),
    });
  const get = async <T>(url: string) =>
    (await fixture.app.inject({ url, headers: { cookie: eva.cookie } })).json<T>();
  return { ...fixture, eva, tom, post, get };
}

test('console signals — a technician may not flash or restore; the refusal is audited and nothing changes', async (t) => {
  const { post, tom, source, audit } = await engineerAndTechnician(t);
  for (const verb of ['flash', 'restore']) {
    const res = await post(tom, `/api/intersections/int-sol/${verb}`, { confirm: 'int-sol' });
    t.is(res.statusCode, 403, verb);
    t.like(res.json(), { code: 'CONSOLE_FORBIDDEN' });
    t.like(audit.recent(1)[0], {
      actor: 'tom',
      action: 'access.denied',
      target: `/api/intersections/:id/${verb}`,
    });
  }
  t.deepEqual(source.flashes, []);
});

test('console signals — a flash without the confirmation, or confirming another id, is refused', async (t) => {
  const { post, eva, source } = await engineerAndTechnician(t);
  const missing = await post(eva, '/api/intersections/int-sol/flash', {});
  t.is(missing.statusCode, 400);
  t.regex(missing.json<{ message: string }>().message, /confirm/);
  const wrong = await post(eva, '/api/intersections/int-sol/flash', { confirm: 'int-atocha' });
  t.is(wrong.statusCode, 400);
  t.like(wrong.json(), { code: 'CONSOLE_NOT_CONFIRMED', message: 'confirm: must repeat the id "int-sol"' });
  const unknown = await post(eva, '/api/intersections/int-nada/flash', { confirm: 'int-nada' });
  t.is(unknown.statusCode, 404);
  t.deepEqual(source.flashes, []);
});

test('console signals — an engineer flashes and restores with the confirmation; each is an audit row with before and after', async (t) => {
  const { post, eva, get, source, audit } = await engineerAndTechnician(t);
  source.drainMs = Infinity; // the test ends the drain
  const flash = await post(eva, '/api/intersections/int-sol/flash', { confirm: 'int-sol' });
  t.is(flash.statusCode, 200);
  t.deepEqual(flash.json(), { ok: true });
  const row = audit.recent(1)[0]!;
  t.like(row, { actor: 'eva', action: 'signal.flash', target: 'intersection:int-sol' });
  t.like(JSON.parse(row.beforeJson!), { operation: 'plan', latched: false });
  t.deepEqual(JSON.parse(row.afterJson!), { ok: true, operation: 'entering-flash' });

  type X = { id: string; operation: string; reasonCode: { code: string }[]; manualFlash?: { actor: string } };
  const sol = async () => (await get<X[]>('/api/intersections')).find((x) => x.id === 'int-sol')!;
  t.like(await sol(), { operation: 'entering-flash', manualFlash: { actor: 'eva' } });
  t.deepEqual(
    (await sol()).reasonCode.map((p) => p.code),
    ['signal.stage', 'signal.enteringFlash'],
  );
  const early = await post(eva, '/api/intersections/int-sol/restore', { confirm: 'int-sol' });
  t.like(early.json(), {
    ok: false,
    reason: 'still entering flash: restore once the heads flash',
    reasonCode: [{ code: 'action.stillEntering' }],
  });
  t.is(audit.recent(1)[0]!.action, 'signal.restore_refused');

  source.finishDrains();
  t.like(await sol(), { operation: 'manual-flash', reasonCode: [{ code: 'signal.manualFlash' }] });
  const restore = await post(eva, '/api/intersections/int-sol/restore', { confirm: 'int-sol' });
  t.deepEqual(restore.json(), { ok: true });
  const restored = audit.recent(1)[0]!;
  t.like(restored, { actor: 'eva', action: 'signal.restore' });
  t.like(JSON.parse(restored.beforeJson!), { operation: 'manual-flash' });
  t.like(JSON.parse(restored.afterJson!), { ok: true, operation: 'plan' });
  t.deepEqual(source.flashes, ['flash:int-sol:eva', 'restore:int-sol:eva']);
  t.like(await get('/api/audit/verify'), { ok: true });
});

test('console signals — a latched intersection refuses a manual flash, with a coded reason', async (t) => {
  const { post, eva, audit } = await engineerAndTechnician(t);
  const res = await post(eva, '/api/intersections/int-atocha/flash', { confirm: 'int-atocha' });
  t.is(res.statusCode, 200);
  t.like(res.json(), {
    ok: false,
    reasonCode: [{ code: 'action.latchedFirst', params: { fault: 'head sh-atocha-2 stopped answering' } }],
  });
  t.like(audit.recent(1)[0], { actor: 'eva', action: 'signal.flash_refused' });
});

test('console waste — containers with their predicted full time, and the collection list in its order', async (t) => {
  const { get } = await engineerAndTechnician(t);
  const containers = await get<{ id: string }[]>('/api/containers');
  t.like(
    containers.find((c) => c.id === 'cont-018'),
    {
      sensorId: 'fill-018',
      fillPct: 64.5,
      fullAtMs: COLLECTION[0]!.fullAtMs,
      fullLowMs: COLLECTION[0]!.fullLowMs,
    },
  );
  t.like(
    containers.find((c) => c.id === 'cont-017'),
    { available: false, fillPct: 72 },
  );
  t.deepEqual(await get('/api/containers/collection'), COLLECTION);
  t.like(await get('/api/containers/collection?horizonH=0'), { code: 'FST_ERR_VALIDATION' });
});

test('console policies — the staged version with the intersections it waits for, and the last refusal coded', async (t) => {
  const { get, source, audit } = await engineerAndTechnician(t);
  t.false('staged' in (await get<object>('/api/policies')));
  source.staged = { version: 8, waitingFor: ['int-sol'] };
  // As the pipeline writes a refusal: the English and the codes it was rendered from.
  const reasonCode = [
    { code: 'policy.outside', params: { field: 'traffic.yellow_s', value: '2 s', range: '3..6 s' } },
    { code: 'policy.notNewer', params: { field: 'version', version: 9, applied: 9 } },
  ];
  audit.append({
    actor: 'coordinator',
    action: 'policy.refused',
    target: 'policy:9',
    after: {
      reason: 'traffic.yellow_s: 2 s is outside 3..6 s; version: 9 is not newer than the applied 9',
      reasonCode,
    },
  });
  t.like(await get('/api/policies'), {
    active: 7,
    staged: { version: 8, waitingFor: ['int-sol'] },
    lastRefusal: { target: 'policy:9' },
    lastRefusalReason: 'traffic.yellow_s: 2 s is outside 3..6 s; version: 9 is not newer than the applied 9',
    lastRefusalCode: [
      { code: 'policy.outside', params: { field: 'traffic.yellow_s', value: '2 s', range: '3..6 s' } },
      { code: 'policy.notNewer', params: { field: 'version', version: 9, applied: 9 } },
    ],
  });
  // A row from before the codes were stored is shown in its English, not guessed back into codes.
  audit.append({
    actor: 'coordinator',
    action: 'policy.refused',
    target: 'policy:10',
    after: { reason: 'odd' },
  });
  t.like(await get('/api/policies'), {
    lastRefusalReason: 'odd',
    lastRefusalCode: [{ code: 'policy.problem', params: { detail: 'odd' } }],
  });
});

// The real site behind the API, wired as edge-node.ts wires it: the flash drains the running
// stage before any head flashes, and the audit row says who, before and after.
test('console signals — with the real site, a flash through the API drains the stage, then flashes; restore returns to the plan', async (t) => {
  let now = Date.parse('2025-01-15T22:00:00Z');
  const log = testLogger();
  const site = new EdgeSite({
    config: loadEdgeConfig(EXAMPLE),
    sink: { record: () => undefined, raise: () => undefined },
    log,
    now: () => now,
    tickMs: 0,
    drivers: [new SimulatedDriver({ log, seed: 42 })],
  });
  t.teardown(async () => site.stop());
  site.start();
  await site.whenStarted();
  const run = (seconds: number) => {
    for (let i = 0; i < seconds; i++) {
      now += 1000;
      site.tick();
    }
  };
  run(10);
  const db = openDatabase(join(tempDir(t), 'edge.db'), EDGE_MIGRATIONS);
  const audit = new AuditLog({ db, log });
  const access = openConsoleAccess({ db, audit, log });
  const app = createConsole({
    log,
    access,
    source: { devices: () => site.devices(), onChange: (l) => site.onChange(l), status: () => STATUS },
    actions: {
      clearSignalLatch: (id, origin) => site.clearSignalLatch(id, origin),
      flashIntersection: (id, actor) => site.flashIntersection(id, actor),
      restoreIntersection: (id, actor) => site.restoreIntersection(id, actor),
    },
    signals: () => site.signalStates(),
    collectionList: (horizonMs) => site.collectionList(horizonMs),
    stagedPolicy: () => site.stagedPolicy(),
  });
  t.teardown(async () => {
    await app.close();
    db.close();
  });
  await access.users.add('eva', 'engineer', PASSWORD, 'test');
  const eva = await signIn(app, 'eva');
  const x = 'atocha-x-magdalena';
  const post = async (verb: string) =>
    app.inject({
      method: 'POST',
      url: `/api/intersections/${x}/${verb}`,
      headers: { cookie: eva.cookie, 'x-csrf-token': eva.csrf },
      payload: { confirm: x },
    });
  const state = async () =>
    (await app.inject({ url: '/api/intersections', headers: { cookie: eva.cookie } })).json<
      { operation: string; heads: { aspect: string }[]; mode: string }[]
    >()[0]!;

  t.deepEqual((await post('flash')).json(), { ok: true });
  t.like(JSON.parse(audit.recent(1)[0]!.afterJson!), { ok: true, operation: 'entering-flash' });
  run(1);
  t.like(await state(), { operation: 'entering-flash', mode: 'fixed-time' });
  t.false(
    (await state()).heads.some((h) => h.aspect === 'flash'),
    'no head flashes while the stage drains',
  );
  run(40);
  t.like(await state(), { operation: 'manual-flash' });
  t.true((await state()).heads.every((h) => h.aspect === 'flash'));
  t.deepEqual((await post('restore')).json(), { ok: true });
  t.like(audit.recent(1)[0], { actor: 'eva', action: 'signal.restore' });
  run(1);
  t.true((await state()).heads.every((h) => h.aspect === 'red'));
  // The site's collection list through the route (the example's containers are far from full).
  t.deepEqual(await get(app, eva.cookie, '/api/containers/collection'), site.collectionList());
});

async function get(app: FastifyInstance, cookie: string, url: string): Promise<unknown> {
  return (await app.inject({ url, headers: { cookie } })).json();
}
