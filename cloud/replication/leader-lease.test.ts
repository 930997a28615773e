// The rollouts lease against a real nats-server: one holder at a time, takeover only after the
// holder's expiry, exactly one winner when several replicas race for a free lease.
import { connect } from '@nats-io/transport-node';
import test, { type ExecutionContext } from 'ava';
import { startNats, testLogger } from '../testing/harness.js';
import { LeaderLease } from './leader-lease.js';
import { openStateBuckets } from './state-buckets.js';

const TTL_MS = 1_000;

async function setup(t: ExecutionContext) {
  const nats = await startNats(t);
  const nc = await connect({ servers: nats.url });
  t.teardown(async () => nc.close());
  const { leases } = await openStateBuckets(nc);
  const { log } = testLogger(t);
  // One clock for every replica, moved by the test: expiry is decided by time, not by luck.
  let nowMs = 1_700_000_000_000;
  const clock = {
    now: () => nowMs,
    advance: (ms: number) => {
      nowMs += ms;
    },
  };
  const lease = (holder: string) =>
    new LeaderLease({ kv: leases, name: 'rollouts', holder, ttlMs: TTL_MS, log, now: clock.now });
  return { lease, clock, leases };
}

test('leader lease — one holder; another takes over only once the holder stopped renewing and it expired', async (t) => {
  const { lease, clock } = await setup(t);
  const a = lease('a');
  const b = lease('b');
  t.true(await a.renew());
  t.true(a.isLeader);
  t.false(await b.renew(), 'b must not take a lease a holds');
  t.false(b.isLeader);
  clock.advance(TTL_MS - 1);
  t.false(await b.renew(), 'one ms before expiry the lease is still a’s');
  t.true(await a.renew(), 'a renews, moving the expiry on');
  clock.advance(TTL_MS - 1);
  t.false(await b.renew(), 'a’s renewal must hold for a full TTL');
  // a stops renewing (it died): once its last renewal runs out, a no longer leads by its own clock
  // and b takes over.
  clock.advance(2);
  t.false(a.isLeader);
  t.true(await b.renew());
  t.true(b.isLeader);
  t.false(await a.renew(), 'a, back, must not take the lease b holds');
  t.false(a.isLeader);
});

test('leader lease — replicas racing for a free or expired lease: exactly one wins each time', async (t) => {
  const { lease, clock } = await setup(t);
  const replicas = ['a', 'b', 'c', 'd', 'e'].map(lease);
  const holders: string[] = [];
  for (let round = 0; round < 5; round++) {
    const won = await Promise.all(replicas.map(async (r) => r.renew()));
    const leaders = replicas.filter((_, i) => won[i]);
    t.is(leaders.length, 1, `round ${round}: winners ${leaders.map((l) => l.holder).join(', ')}`);
    t.deepEqual(
      replicas.filter((r) => r.isLeader),
      leaders,
      `round ${round}: only the winner counts itself leader`,
    );
    holders.push(leaders[0]!.holder);
    clock.advance(TTL_MS + 1); // the winner "dies": the next round races for an expired lease
  }
  t.is(holders.length, 5);
});

test('leader lease — a stopping holder hands the lease back at once; a crashed one after the TTL', async (t) => {
  const { lease, clock, leases } = await setup(t);
  const a = lease('a');
  const b = lease('b');
  t.true(await a.renew());
  await a.stop();
  t.false(a.isLeader);
  t.true(await b.renew(), 'released: b takes it without waiting for the TTL');
  const entry = await leases.get('rollouts');
  t.like(JSON.parse(entry!.string()), { holder: 'b', expiresAtMs: clock.now() + TTL_MS });
  await b.stop({ release: false }); // a crash: nothing handed back
  const c = lease('c');
  t.false(await c.renew());
  clock.advance(TTL_MS);
  t.true(await c.renew());
});
