// The dashboard's setup token refuses wrong tokens per client address, never for everyone
// (issue 13, finding 9; the rule is common/access/setup-token.ts).
import test from 'ava';
import { FAILURES_PER_ADDRESS } from '../../common/access/setup-token.js';
import { dashboardFixture, PASSWORD } from './testing/dashboard-fixture.js';

test("dashboard setup — strangers' wrong tokens lock only their own addresses; the operator still sets up", async (t) => {
  const f = await dashboardFixture(t);
  const token = f.dashboard.access.setup.value!;
  const setup = async (remoteAddress: string, candidate: string) =>
    f.app.inject({
      method: 'POST',
      url: '/dashboard/api/setup',
      remoteAddress,
      payload: { token: candidate, name: 'eva', password: PASSWORD },
    });
  for (const stranger of ['203.0.113.9', '203.0.113.10']) {
    for (let i = 0; i < FAILURES_PER_ADDRESS; i++)
      t.is((await setup(stranger, `guess-${i}`)).statusCode, 403, `${stranger} wrong token ${i + 1}`);
    const stopped = await setup(stranger, token);
    t.is(stopped.statusCode, 429, `${stranger} is stopped, even with the right token`);
    t.is(stopped.json<{ code: string }>().code, 'DASHBOARD_RATE_LIMITED');
  }
  const ok = await setup('10.20.0.7', token);
  t.is(ok.statusCode, 200, 'the operator is not locked out by anyone else');
  t.like(ok.json(), { user: 'eva', role: 'engineer' });
});
