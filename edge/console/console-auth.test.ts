import test from 'ava';
import { consoleFixture, PASSWORD, signIn } from './testing/console-fixture.js';

const CLEAR = '/api/intersections/int-atocha/clear-latch';

test('console access — every /api route but session, login and setup needs a session', async (t) => {
  const { app } = consoleFixture(t);
  for (const url of [
    '/api/devices',
    '/api/status',
    '/api/events',
    '/api/audit',
    '/api/openapi.json',
    '/api/policies',
  ]) {
    const res = await app.inject(url);
    t.is(res.statusCode, 401, url);
    t.is(res.json<{ code: string }>().code, 'CONSOLE_UNAUTHENTICATED', url);
  }
  t.is((await app.inject('/healthz')).statusCode, 200, 'liveness stays open');
  t.is((await app.inject('/')).statusCode, 200, 'the page itself stays open: it shows the sign-in form');
});

test('console access — login sets an HttpOnly SameSite=Strict cookie; a wrong password and an unknown name get the same answer', async (t) => {
  const { app, addUser, audit } = consoleFixture(t);
  await addUser('ana', 'technician');
  const wrong = await app.inject({
    method: 'POST',
    url: '/api/login',
    payload: { name: 'ana', password: 'nope-nope-nope' },
  });
  const unknown = await app.inject({
    method: 'POST',
    url: '/api/login',
    payload: { name: 'zoe', password: 'nope-nope-nope' },
  });
  t.is(wrong.statusCode, 401);
  t.deepEqual(wrong.json(), unknown.json());
  t.is(wrong.headers['set-cookie'], undefined);

  const ok = await app.inject({
    method: 'POST',
    url: '/api/login',
    payload: { name: 'ana', password: PASSWORD },
  });
  t.is(ok.statusCode, 200);
  const cookie = String(ok.headers['set-cookie']);
  t.regex(cookie, /^calle_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict/);
  t.like(ok.json(), {
    user: 'ana',
    role: 'technician',
    permissions: ['view', 'audit.read', 'lighting.override'],
  });
  const session = await app.inject({ url: '/api/session', headers: { cookie: cookie.split(';')[0]! } });
  t.like(session.json(), { user: 'ana', csrf: ok.json<{ csrf: string }>().csrf });
  t.deepEqual(
    audit.recent(10).map((r) => [r.actor, r.action]),
    [
      ['ana', 'login.ok'],
      ['zoe', 'login.failed'],
      ['ana', 'login.failed'],
      ['test', 'user.added'],
    ],
  );
});

test('console access — 5 failures in 15 minutes lock the name, even for the right password, until the window passes', async (t) => {
  let clock = 1_800_000_000_000;
  const { app, addUser, audit } = consoleFixture(t, () => clock);
  await addUser('ana', 'viewer');
  const login = async (password: string) =>
    app.inject({ method: 'POST', url: '/api/login', payload: { name: 'ana', password } });
  for (let i = 0; i < 5; i++) {
    t.is((await login('wrong-password-' + i)).statusCode, 401, `failure ${i + 1}`);
    clock += 60_000;
  }
  const locked = await login(PASSWORD);
  t.is(locked.statusCode, 429);
  t.is(locked.json<{ code: string }>().code, 'CONSOLE_LOCKED_OUT');
  t.is(locked.headers['retry-after'], String(15 * 60 - 5 * 60), 'until the first failure is 15 minutes old');
  t.is(audit.recent(10).filter((r) => r.action === 'login.locked').length, 1);

  clock += 10 * 60_000 + 1;
  t.is((await login(PASSWORD)).statusCode, 200, 'the oldest failure left the window');
});

test('console access — a session locks after 15 idle minutes; activity keeps it open; logout ends it', async (t) => {
  let clock = 1_800_000_000_000;
  const { app, addUser } = consoleFixture(t, () => clock);
  await addUser('ana', 'viewer');
  const { cookie, csrf } = await signIn(app, 'ana');
  const get = async () => app.inject({ url: '/api/devices', headers: { cookie } });
  clock += 14 * 60_000;
  t.is((await get()).statusCode, 200);
  clock += 14 * 60_000;
  t.is((await get()).statusCode, 200, '28 minutes in, but never 15 idle');
  clock += 15 * 60_000;
  const idle = await get();
  t.is(idle.statusCode, 401);
  t.is(idle.json<{ code: string }>().code, 'CONSOLE_SESSION_LOCKED');
  t.is((await get()).statusCode, 401, 'a locked session does not come back');

  const again = await signIn(app, 'ana');
  const out = await app.inject({
    method: 'POST',
    url: '/api/logout',
    headers: { cookie: again.cookie, 'x-csrf-token': again.csrf },
  });
  t.is(out.statusCode, 204);
  t.regex(String(out.headers['set-cookie']), /Max-Age=0/);
  t.is((await app.inject({ url: '/api/devices', headers: { cookie: again.cookie } })).statusCode, 401);
  t.not(csrf, again.csrf, 'each session has its own CSRF token');
});

test('console access — a POST needs the session CSRF token and a same-origin request', async (t) => {
  const { app, addUser, source } = consoleFixture(t);
  await addUser('eva', 'engineer');
  const { cookie, csrf } = await signIn(app, 'eva');
  const post = async (headers: Record<string, string>) =>
    app.inject({
      method: 'POST',
      url: CLEAR,
      headers: { cookie, ...headers },
      payload: { confirm: 'int-atocha' },
    });
  for (const [label, headers] of [
    ['no token', {}],
    ['wrong token', { 'x-csrf-token': 'x'.repeat(43) }],
    ['other origin', { 'x-csrf-token': csrf, origin: 'http://evil.example' }],
    ['cross-site fetch', { 'x-csrf-token': csrf, 'sec-fetch-site': 'cross-site' }],
  ] as const) {
    const res = await post(headers);
    t.is(res.statusCode, 403, label);
    t.is(res.json<{ code: string }>().code, 'CONSOLE_CSRF', label);
  }
  t.deepEqual(source.clears, [], 'nothing reached the site');
  const form = await app.inject({
    method: 'POST',
    url: '/api/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: `name=eva&password=${encodeURIComponent(PASSWORD)}`,
  });
  t.is(form.statusCode, 415, 'a cross-site HTML form cannot post a login');
  const ok = await post({ 'x-csrf-token': csrf, origin: 'http://localhost:80', host: 'localhost:80' });
  t.is(ok.statusCode, 200);
});

test('console access — a viewer and a technician cannot clear a latch; an engineer can, with the id as confirmation, and it is audited', async (t) => {
  const { app, addUser, source, audit } = consoleFixture(t);
  await addUser('vic', 'viewer');
  await addUser('tom', 'technician');
  await addUser('eva', 'engineer');
  for (const name of ['vic', 'tom']) {
    const s = await signIn(app, name);
    const res = await app.inject({
      method: 'POST',
      url: CLEAR,
      headers: { cookie: s.cookie, 'x-csrf-token': s.csrf },
      payload: { confirm: 'int-atocha' },
    });
    t.is(res.statusCode, 403, name);
    t.is(res.json<{ code: string }>().code, 'CONSOLE_FORBIDDEN', name);
    t.like(audit.recent(1)[0], {
      actor: name,
      action: 'access.denied',
      target: '/api/intersections/:id/clear-latch',
    });
  }
  const eva = await signIn(app, 'eva');
  const headers = { cookie: eva.cookie, 'x-csrf-token': eva.csrf };
  const unconfirmed = await app.inject({
    method: 'POST',
    url: CLEAR,
    headers,
    payload: { confirm: 'int-sol' },
  });
  t.is(unconfirmed.statusCode, 400);
  t.deepEqual(source.clears, []);

  const res = await app.inject({ method: 'POST', url: CLEAR, headers, payload: { confirm: 'int-atocha' } });
  t.deepEqual(res.json(), { cleared: true });
  t.deepEqual(source.clears, ['int-atocha:local']);
  const [row] = audit.recent(1);
  t.like(row, { actor: 'eva', action: 'signal.latch_cleared', target: 'intersection:int-atocha' });
  t.deepEqual(JSON.parse(row!.beforeJson!), {
    latched: true,
    reason: 'flash: head sh-atocha-2 stopped answering',
  });
  t.deepEqual(JSON.parse(row!.afterJson!), { cleared: true });
  t.like(audit.verify(), { ok: true });

  const again = await app.inject({ method: 'POST', url: CLEAR, headers, payload: { confirm: 'int-atocha' } });
  t.like(again.json(), { cleared: false });
  t.is(audit.recent(1)[0]!.action, 'signal.latch_clear_refused');
});

test('console access — with no user, the one-time setup token creates the first engineer, once', async (t) => {
  const { app, access } = consoleFixture(t);
  const token = access.setup.value!;
  t.truthy(token);
  t.like((await app.inject('/api/session')).json(), { setupPending: true });
  const setup = async (payload: Record<string, string>) =>
    app.inject({ method: 'POST', url: '/api/setup', payload });
  t.is((await setup({ token: 'guess', name: 'eva', password: PASSWORD })).statusCode, 403);
  const short = await setup({ token, name: 'eva', password: 'short' });
  t.is(short.statusCode, 400);
  t.regex(short.json<{ message: string }>().message, /^password: must be at least 10/);
  const ok = await setup({ token, name: 'eva', password: PASSWORD });
  t.is(ok.statusCode, 200);
  t.like(ok.json(), { user: 'eva', role: 'engineer' });
  t.is((await setup({ token, name: 'mallory', password: PASSWORD })).statusCode, 403, 'spent');
  t.deepEqual(
    access.users.list().map((u) => u.name),
    ['eva'],
  );
  t.like((await app.inject('/api/session')).json(), { setupPending: false });
});

test('console access — a node that already has users prints no setup token', async (t) => {
  const { access } = consoleFixture(t);
  await access.users.add('eva', 'engineer', PASSWORD, 'test');
  const { SetupToken } = await import('../../common/access/setup-token.js');
  t.is(new SetupToken(access.users.count()).value, undefined);
});
