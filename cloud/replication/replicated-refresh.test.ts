// Policy refresh with replicated coordinators: only the lease holder re-signs, through the KV entry;
// every replica stores the refresh and hands it to the edges watching it; when the holder dies the
// next one takes the duty with the lease. Real nats-server, real gRPC, a light edge on replica b.
import test from 'ava';
import { join } from 'node:path';
import type { calle } from '../../proto/index.js';
import { contentDigest } from '../../common/signing/policy-expiry.js';
import { verifyBundleSignature } from '../../common/signing/policy-signature.js';
import { startCoordinator, type Coordinator } from '../coordinator.js';
import { ephemeralSigner } from '../keys/policy-signer.js';
import { PolicyHistory } from '../policies/policy-history.js';
import { LightEdge } from '../rollouts/light-edge.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { startNats, tempDir, testLogger, waitFor } from '../testing/harness.js';

const DAY = 86_400_000;

test('replication — only the lease holder re-signs; the refresh reaches an edge watching another replica; the next holder takes over', async (t) => {
  const nats = await startNats(t);
  const dir = tempDir(t);
  const signer = ephemeralSigner();
  const clock = { offset: 0 };
  const logs = new Map<string, Record<string, unknown>[]>();
  const start = async (replicaId: string): Promise<Coordinator> => {
    const { log, lines } = testLogger(t);
    logs.set(replicaId, lines);
    const coordinator = await startCoordinator({
      dbPath: join(dir, `${replicaId}.db`),
      natsServers: [nats.url],
      grpcHost: '127.0.0.1',
      grpcPort: 0,
      httpHost: '127.0.0.1',
      httpPort: 0,
      log: log.child({ replica: replicaId }),
      signer,
      enrolment: 'open',
      rolloutTickMs: 50,
      replication: { replicaId, leaseTtlMs: 1_000 },
      policyNow: () => Date.now() + clock.offset,
      policyRefreshEveryMs: 50,
    });
    t.teardown(async () => coordinator.close());
    return coordinator;
  };
  const resigned = (replicaId: string): number =>
    logs.get(replicaId)!.filter((l) => l.msg === 'policy re-signed before it expires').length;
  /** The bundle of `version` in one replica's SQLite copy. */
  const storedOn = async (replicaId: string, version: number): Promise<calle.v1.PolicyBundle> => {
    const db = new SqliteStore(join(dir, `${replicaId}.db`));
    try {
      return (await new PolicyHistory(db).get(version))!;
    } finally {
      db.closeNow();
    }
  };

  const a = await start('a');
  await waitFor(() => a.replica!.isLeader, 5_000, 'a leads');
  const b = await start('b');
  t.false(b.replica!.isLeader);

  // A light edge on b keeps every bundle it is handed; refreshes (a version again) are not acked.
  const bundles: calle.v1.PolicyBundle[] = [];
  const edge = await LightEdge.start({
    target: `127.0.0.1:${b.grpcPort}`,
    edgeId: 'edge-01',
    retryMs: 50,
    verdict: (bundle) => {
      bundles.push(bundle);
      return bundles.filter((x) => Number(x.version) === Number(bundle.version)).length > 1
        ? 'ignore'
        : { applied: true, reason: '' };
    },
  });
  t.teardown(() => edge.close());

  const v1 = await a.publish({
    target: { districts: ['centro'] },
    lighting: { steps: [{ at: 'sunset', levelPct: 50 }] },
  });
  await waitFor(() => edge.applied === 1, 5_000, 'v1 applied on the edge');
  await waitFor(async () => (await b.policyAcks(1)).some((x) => x.applied), 5_000, 'the ack on b');

  // Two days on: v1 is due. a re-signs it once; b, not leading, does not.
  clock.offset = 2 * DAY;
  await waitFor(() => bundles.length === 2, 5_000, 'the refresh delivered by b');
  const refreshed = bundles[1]!;
  t.is(Number(refreshed.version), 1);
  t.is(contentDigest(refreshed), contentDigest(v1));
  t.true(Number(refreshed.expiresMs) > Number(v1.expiresMs));
  t.deepEqual(verifyBundleSignature(refreshed, signer.publicKey), { ok: true });
  t.is(resigned('a'), 1);
  t.is(resigned('b'), 0, 'only the lease holder re-signs');
  t.is(edge.applied, 1, 'still version 1');

  // a stops; b takes the lease, and with it the re-signing.
  await a.close();
  await waitFor(() => b.replica!.isLeader, 5_000, 'b leads');
  clock.offset = 4 * DAY;
  await waitFor(() => resigned('b') === 1, 5_000, 'b re-signs');
  await waitFor(() => bundles.length === 3, 5_000, 'the second refresh delivered');
  t.true(Number(bundles[2]!.expiresMs) > Number(refreshed.expiresMs));
  await b.close();
  for (const replica of ['a', 'b'])
    t.is(
      Number((await storedOn(replica, 1)).expiresMs) >= Number(refreshed.expiresMs),
      true,
      `${replica}'s copy refreshed`,
    );
  t.is(Number((await storedOn('b', 1)).expiresMs), Number(bundles[2]!.expiresMs));
});
