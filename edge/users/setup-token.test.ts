// The setup token's limit on wrong tokens (issue 13, finding 9): per client address, never for
// everyone. Through the console's real route (inject with a client address) and on the token
// itself with the test's clock; cloud/dashboard/dashboard-setup.test.ts does the dashboard's.
import test from 'ava';
import { consoleFixture, PASSWORD } from '../console/testing/console-fixture.js';
import { FAILURES_PER_ADDRESS, SetupToken, WINDOW_MS } from '../../common/access/setup-token.js';

test("setup token — console: strangers' wrong tokens lock only their own addresses; the installer still sets up", async (t) => {
  const { app, access } = consoleFixture(t);
  const token = access.setup.value!;
  const setup = async (remoteAddress: string, candidate: string) =>
    app.inject({
      method: 'POST',
      url: '/api/setup',
      remoteAddress,
      payload: { token: candidate, name: 'eva', password: PASSWORD },
    });
  for (const stranger of ['203.0.113.9', '203.0.113.10', '2001:db8::bad']) {
    for (let i = 0; i < FAILURES_PER_ADDRESS; i++)
      t.is((await setup(stranger, `guess-${i}`)).statusCode, 403, `${stranger} wrong token ${i + 1}`);
    const stopped = await setup(stranger, token);
    t.is(stopped.statusCode, 429, `${stranger} is stopped, even with the right token`);
    t.regex(stopped.json<{ message: string }>().message, /^token: too many wrong tokens from this address/);
    t.truthy(stopped.headers['retry-after']);
  }
  const ok = await setup('10.20.0.7', token);
  t.is(ok.statusCode, 200, 'the installer is not locked out by anyone else');
  t.like(ok.json(), { user: 'eva', role: 'engineer' });
});

test('setup token — an address may try again once its oldest wrong token is WINDOW_MS old', (t) => {
  let clock = 1_000_000;
  const setup = new SetupToken(0, () => clock);
  const token = setup.value!;
  for (let i = 0; i < FAILURES_PER_ADDRESS; i++) {
    t.deepEqual(setup.attempt('nope', '203.0.113.9'), { ok: false, refused: 'wrong' });
    clock += 1_000;
  }
  t.deepEqual(setup.attempt(token, '203.0.113.9'), {
    ok: false,
    refused: 'rate',
    retryAfterS: WINDOW_MS / 1000 - FAILURES_PER_ADDRESS,
  });
  t.deepEqual(setup.attempt(token, '198.51.100.1'), { ok: true }, 'another address is not affected');
  t.false(setup.pending, 'spent');
  clock += WINDOW_MS;
  t.deepEqual(setup.attempt(token, '203.0.113.9'), { ok: false, refused: 'wrong' }, 'window over; spent');
});
