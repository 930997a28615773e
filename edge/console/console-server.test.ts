import test, { type ExecutionContext } from 'ava';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import type { DeviceView } from '../devices/device-view.js';
import { consoleFixture, DEVICES, signIn, STATUS } from './testing/console-fixture.js';

async function setup(t: ExecutionContext) {
  const fixture = consoleFixture(t);
  await fixture.addUser('ana', 'viewer');
  const { cookie } = await signIn(fixture.app, 'ana');
  return { ...fixture, cookie };
}

function assertSecurityHeaders(t: ExecutionContext, headers: Record<string, unknown>): void {
  t.regex(String(headers['content-security-policy']), /default-src 'self'/);
  t.notRegex(String(headers['content-security-policy']), /unsafe-inline/);
  t.is(headers['x-content-type-options'], 'nosniff');
  t.is(headers['referrer-policy'], 'no-referrer');
  t.is(headers['x-frame-options'], 'DENY');
}

/** Reads Server-Sent Events from a response, one `{ event, data }` at a time; comments skipped. */
interface SseEvent {
  event: string;
  data: string;
}

async function* sseEvents(res: IncomingMessage): AsyncGenerator<SseEvent, void> {
  let buffer = '';
  for await (const chunk of res) {
    buffer += (chunk as Buffer).toString('utf8');
    let end: number;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length > 0) yield { event, data: data.join('\n') };
    }
  }
}

async function nextEvent(events: AsyncGenerator<SseEvent, void>, name: string): Promise<unknown> {
  for (;;) {
    const { value, done } = await events.next();
    if (done) throw new Error(`stream ended before a ${name} event`);
    if (value.event === name) return JSON.parse(value.data);
  }
}

async function openEvents(port: number, signal: AbortSignal, cookie: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path: '/api/events', signal, headers: { cookie } },
      resolve,
    );
    req.on('error', reject);
    req.end();
  });
}

async function until(condition: () => boolean, timeoutMs = 2000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

test('console — GET / returns the page with the security headers', async (t) => {
  const { app } = await setup(t);
  const res = await app.inject('/');
  t.is(res.statusCode, 200);
  t.regex(String(res.headers['content-type']), /^text\/html; charset=utf-8/);
  t.regex(res.body, /<script type="module" src="\/app\.js"/);
  t.notRegex(res.body, /<script>|<style|style="/, 'nothing inline: the CSP would block it');
  assertSecurityHeaders(t, res.headers);
});

test('console — assets are served with their content types and revalidated by ETag', async (t) => {
  const { app } = await setup(t);
  const js = await app.inject('/app.js');
  t.is(js.statusCode, 200);
  t.regex(String(js.headers['content-type']), /^text\/javascript/);
  assertSecurityHeaders(t, js.headers);
  const css = await app.inject('/style.css');
  t.regex(String(css.headers['content-type']), /^text\/css/);
  const again = await app.inject({ url: '/app.js', headers: { 'if-none-match': String(js.headers.etag) } });
  t.is(again.statusCode, 304);
  t.is(again.body, '');
});

test('console — /api/devices and /api/status match the source', async (t) => {
  const { app, source, cookie } = await setup(t);
  const devices = await app.inject({ url: '/api/devices', headers: { cookie } });
  t.is(devices.statusCode, 200);
  t.deepEqual(devices.json(), source.devices());
  t.deepEqual(
    devices.json<{ id: string; reasonCode?: unknown; lastErrorCode?: unknown }[]>()[0]?.reasonCode,
    [{ code: 'light.step', params: { rule: 'schedule', at: 'sunset', offset: '+0', level: 60 } }],
    'the reason also as a code, for the page to translate',
  );
  assertSecurityHeaders(t, devices.headers);
  const status = await app.inject({ url: '/api/status', headers: { cookie } });
  const { health, ...rest } = status.json<typeof STATUS>();
  t.deepEqual(rest, STATUS);
  t.true(health!.memUsedPct > 0 && health!.processUptimeS >= 0, 'the console adds the node health');
});

test('console — /healthz answers ok with the edge id', async (t) => {
  const { app } = await setup(t);
  const res = await app.inject('/healthz');
  t.is(res.statusCode, 200);
  t.deepEqual(res.json(), { ok: true, edgeId: STATUS.edgeId });
  assertSecurityHeaders(t, res.headers);
});

test('console — unknown files and path traversal get 404', async (t) => {
  const { app } = await setup(t);
  const paths = [
    '/..%2f..%2fpackage.json',
    '/app.js/../../x',
    '/%2e%2e/%2e%2e/package.json',
    '/..\\..\\package.json',
    '/index.html',
    '/console-server.ts',
    '/public/app.js',
  ];
  for (const path of paths) {
    const res = await app.inject(path);
    t.is(res.statusCode, 404, path);
    t.notRegex(res.body, /"name"\s*:\s*"calle"/, path);
    assertSecurityHeaders(t, res.headers);
  }
  // inject() may normalise a URL; a raw socket sends the bytes exactly as written.
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  for (const path of ['/app.js/../../package.json', '/../package.json', '/..%2f..%2fpackage.json']) {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
      });
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    t.regex(reply, /^HTTP\/1\.1 404 /, path);
  }
});

test('console — event stream sends a snapshot, coalesced changes, and unsubscribes on disconnect', async (t) => {
  const { app, source, cookie } = await setup(t);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  const abort = new AbortController();
  t.teardown(() => abort.abort());

  const res = await openEvents(port, abort.signal, cookie);
  t.is(res.statusCode, 200);
  t.regex(String(res.headers['content-type']), /^text\/event-stream/);
  assertSecurityHeaders(t, res.headers);
  const events = sseEvents(res);

  const first = await events.next();
  t.is(first.value?.event, 'snapshot', 'the first event is the snapshot');
  // As the source gives them, coded reasons included: the console adds nothing and parses nothing.
  t.deepEqual(first.value && (JSON.parse(first.value.data) as Record<string, unknown>[]), DEVICES);
  t.is(source.listeners.size, 1);

  // Three changes in quick succession arrive as one message with the newest view of each device.
  const base = DEVICES[0]!;
  source.change({ ...base, state: { level: 70, power: 42 } });
  source.change({ ...base, state: { level: 80, power: 48 } });
  source.change({ ...DEVICES[1]!, available: true, state: { fill: 73 } });
  const changed = (await nextEvent(events, 'devices')) as DeviceView[];
  t.deepEqual(
    changed.map((v) => [v.id, v.state]),
    [
      ['lum-001', { level: 80, power: 48 }],
      ['fill-017', { fill: 73 }],
    ],
  );

  abort.abort();
  t.true(await until(() => source.listeners.size === 0), 'the stream unsubscribed when the client left');
});

test('console — close() ends open event streams instead of waiting for clients', async (t) => {
  const { app, source, cookie } = await setup(t);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  const abort = new AbortController();
  t.teardown(() => abort.abort());
  const res = await openEvents(port, abort.signal, cookie);
  await nextEvent(sseEvents(res), 'snapshot');

  await app.close();
  t.is(source.listeners.size, 0);
});

test('console — an open event stream ends when its session locks, and cannot be reopened', async (t) => {
  let clock = 1_800_000_000_000;
  const { app, addUser, source } = consoleFixture(t, () => clock, 50);
  await addUser('ana', 'viewer');
  const { cookie } = await signIn(app, 'ana');
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  const abort = new AbortController();
  t.teardown(() => abort.abort());
  const res = await openEvents(port, abort.signal, cookie);
  const events = sseEvents(res);
  await nextEvent(events, 'snapshot');
  t.is(source.listeners.size, 1);

  clock += 15 * 60_000;
  t.true(await until(() => source.listeners.size === 0), 'the stream closed itself');
  const again = await openEvents(port, abort.signal, cookie);
  t.is(again.statusCode, 401);
  again.resume();
});
