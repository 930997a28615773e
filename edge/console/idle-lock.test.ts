// The console's idle lock against its own page (issue 13, finding 7): what the page does by itself
// — its refreshes marked x-calle-poll, its event stream, the stream's session check — must not
// keep a session open, so a console left open in a cabinet locks after IDLE_MS like the dashboard.
// A real server on a real socket; the sessions' clock is the test's.
import test, { type ExecutionContext } from 'ava';
import { IDLE_MS } from '../../common/access/session-store.js';
import { POLL_HEADER } from '../../common/web/session-request.js';
import { consoleFixture, signIn } from './testing/console-fixture.js';

const MIN = 60_000;

async function served(t: ExecutionContext) {
  let clock = Date.UTC(2025, 5, 1, 22);
  const f = consoleFixture(t, () => clock);
  await f.addUser('ana', 'technician');
  const { cookie } = await signIn(f.app, 'ana');
  const base = await f.app.listen({ host: '127.0.0.1', port: 0 });
  const get = async (path: string, poll: boolean): Promise<number> => {
    const res = await fetch(`${base}${path}`, {
      headers: { cookie, ...(poll ? { [POLL_HEADER]: '1' } : {}) },
    });
    await res.body?.cancel();
    return res.status;
  };
  /** Opens the event stream as EventSource does (no extra header), reads its status, hangs up. */
  const openStream = async (): Promise<number> => {
    const abort = new AbortController();
    const res = await fetch(`${base}/api/events`, { headers: { cookie }, signal: abort.signal });
    abort.abort();
    return res.status;
  };
  return { get, openStream, advance: (ms: number) => (clock += ms) };
}

// What the page fetches by itself while it stays open on the lighting, intersections and
// containers views, and when its stream reconnects.
const POLLED = ['/api/lighting', '/api/intersections', '/api/containers/collection', '/api/session'];

test('console idle lock — a session that only polls and streams locks IDLE_MS after the last real request', async (t) => {
  const s = await served(t);
  for (let elapsed = 0; elapsed + 5 * MIN < IDLE_MS; elapsed += 5 * MIN) {
    s.advance(5 * MIN);
    for (const path of POLLED)
      t.is(await s.get(path, true), 200, `${path} polled at ${elapsed + 5 * MIN} ms`);
    t.is(await s.openStream(), 200, 'the stream reopens while the session lives');
  }
  s.advance(5 * MIN); // IDLE_MS after sign-in, the only thing the user did
  t.is(await s.get('/api/lighting', true), 401, 'locked although the page kept polling');
  t.is(await s.get('/api/devices', false), 401, 'and the lock holds: sign in again');
});

test('console idle lock — a request the user makes (no poll mark) keeps the session open', async (t) => {
  const s = await served(t);
  for (let elapsed = 0; elapsed < 2 * IDLE_MS; elapsed += 5 * MIN) {
    s.advance(5 * MIN);
    t.is(await s.get('/api/devices', false), 200, `used at ${elapsed + 5 * MIN} ms`);
  }
  s.advance(IDLE_MS - 1_000);
  t.is(await s.get('/api/session', true), 200, 'a poll just inside IDLE_MS still finds it');
  s.advance(1_000);
  t.is(await s.get('/api/session', true), 401, 'and IDLE_MS after the last use it is locked');
});
