import test from 'ava';
import { consoleFixture, signIn } from './testing/console-fixture.js';

test('console api — /api/openapi.json is OpenAPI 3.1 built from the route schemas, with each route’s permission', async (t) => {
  const { app, addUser } = consoleFixture(t);
  await addUser('vic', 'viewer');
  const { cookie } = await signIn(app, 'vic');
  const res = await app.inject({ url: '/api/openapi.json', headers: { cookie } });
  t.is(res.statusCode, 200);
  interface Operation {
    'x-calle-permission': string;
    requestBody?: unknown;
    responses: Record<string, unknown>;
  }
  const doc = res.json<{ openapi: string; paths: Record<string, Record<string, Operation>> }>();
  t.is(doc.openapi, '3.1.0');
  // The document names only routes that exist (hasRoute), and as many as the server has (every
  // GET/POST in printRoutes but the page, its assets and /healthz).
  const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((m) => ({
      method: m.toUpperCase() as 'GET' | 'POST',
      url: path.replace(/\{(\w+)\}/g, ':$1'),
    })),
  );
  for (const route of documented) t.true(app.hasRoute(route), `${route.method} ${route.url}`);
  const tree = app.printRoutes({ commonPrefix: false });
  const apiLines = tree.split('\n').filter((l) => !/\.(js|css|svg) |healthz|── \/ \(/.test(l));
  const served = apiLines.join(' ').match(/\b(GET|POST)\b/g)!.length;
  t.is(documented.length, served, tree);
  const clear = doc.paths['/api/intersections/{id}/clear-latch']!.post!;
  t.is(clear['x-calle-permission'], 'signal.clear');
  t.truthy(clear.requestBody);
  t.truthy(clear.responses['403']);
  t.is(doc.paths['/api/login']!.post!['x-calle-permission'], 'public');
});

test('console api — audit rows filter by actor and action, and the chain verifies', async (t) => {
  const { app, addUser, audit } = consoleFixture(t);
  await addUser('vic', 'viewer');
  audit.append({
    actor: 'coordinator',
    action: 'policy.applied',
    target: 'policy:7',
    before: { version: 6 },
    after: { version: 7 },
  });
  audit.append({
    actor: 'coordinator',
    action: 'policy.refused',
    target: 'policy:8',
    after: { reason: 'lighting: step 2 out of order' },
  });
  const { cookie } = await signIn(app, 'vic');
  const get = async (url: string) =>
    (await app.inject({ url, headers: { cookie } })).json<Record<string, unknown>[]>();
  t.deepEqual(
    (await get('/api/audit?action=policy.')).map((r) => r.target),
    ['policy:8', 'policy:7'],
  );
  t.deepEqual(
    (await get('/api/audit?actor=vic')).map((r) => r.action),
    ['login.ok'],
  );
  t.is((await get('/api/audit?limit=2')).length, 2);
  t.like(await get('/api/audit/verify'), { ok: true, rows: 4 });
  t.like(await get('/api/policies'), { active: 7, lastRefusal: { target: 'policy:8' } });
  const bad = await app.inject({ url: '/api/audit?limit=0', headers: { cookie } });
  t.is(bad.statusCode, 400);
});

test('console api — intersections are read from the signal heads; a latched one says why', async (t) => {
  const { app, addUser } = consoleFixture(t);
  await addUser('vic', 'viewer');
  const { cookie } = await signIn(app, 'vic');
  const res = await app.inject({ url: '/api/intersections', headers: { cookie } });
  t.like(res.json(), [
    { id: 'int-atocha', latched: true, reason: 'flash: head sh-atocha-2 stopped answering' },
  ]);
});

test('console api — a technician overrides a lighting group with an expiry and clears it; a viewer may not; both audited', async (t) => {
  const { app, addUser, source, audit } = consoleFixture(t);
  await addUser('vic', 'viewer');
  await addUser('tom', 'technician');
  const vic = await signIn(app, 'vic');
  const denied = await app.inject({
    method: 'POST',
    url: '/api/lighting/calle-mayor/override',
    headers: { cookie: vic.cookie, 'x-csrf-token': vic.csrf },
    payload: { levelPct: 100 },
  });
  t.is(denied.statusCode, 403);

  const tom = await signIn(app, 'tom');
  const headers = { cookie: tom.cookie, 'x-csrf-token': tom.csrf };
  const tooLong = await app.inject({
    method: 'POST',
    url: '/api/lighting/calle-mayor/override',
    headers,
    payload: { levelPct: 100, durationS: 7 * 86400 },
  });
  t.is(tooLong.statusCode, 400, 'an override longer than a night is refused before the site sees it');
  const before = Date.now();
  const res = await app.inject({
    method: 'POST',
    url: '/api/lighting/calle-mayor/override',
    headers,
    payload: { levelPct: 100, durationS: 600 },
  });
  const body = res.json<{ ok: boolean; expiresMs: number }>();
  t.true(body.ok);
  t.true(body.expiresMs >= before + 600_000 && body.expiresMs <= Date.now() + 600_000);
  t.like(source.overrides.get('calle-mayor'), { levelPct: 100, actor: 'tom' });
  const groups = (await app.inject({ url: '/api/lighting', headers: { cookie: tom.cookie } })).json<
    { reason: string }[]
  >();
  t.regex(groups[0]!.reason, /^override by tom until \d\d:\d\d → 100 %$/);
  const [set] = audit.recent(1);
  t.like(set, { actor: 'tom', action: 'override.set', target: 'lighting:calle-mayor' });
  t.deepEqual(JSON.parse(set!.beforeJson!), { reason: 'schedule: sunset+0 → 60 %' });

  const cleared = await app.inject({
    method: 'POST',
    url: '/api/lighting/calle-mayor/override/clear',
    headers,
  });
  t.deepEqual(cleared.json(), { ok: true });
  t.is(source.overrides.size, 0);
  t.like(audit.recent(1)[0], { actor: 'tom', action: 'override.cleared' });
});
