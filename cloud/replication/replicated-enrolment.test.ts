// Enrolment across two coordinator replicas on one nats-server, with enrolment 'required': tokens,
// enrolled keys and operators' decisions live in the calle_enrolment KV bucket, `calle fleet
// --nats` changes them there, and each replica admits edges from its SQLite copy. Real gRPC, real
// NATS, the real edge link (edge/sync/coordinator-link.ts) with an identity key.
import * as grpc from '@grpc/grpc-js';
import { connect } from '@nats-io/transport-node';
import test, { type ExecutionContext } from 'ava';
import { join } from 'node:path';
import { runFleetCommand, runFleetCommandAsync } from '../../bin/fleet-command.js';
import { AUTH_METADATA_KEY, signCall, type EdgeRpc } from '../../common/signing/call-proof.js';
import { loadOrCreateEdgeKey, type EdgeKey } from '../../common/signing/edge-identity.js';
import { signRegister } from '../../common/signing/register-proof.js';
import { CoordinatorLink } from '../../edge/sync/coordinator-link.js';
import { FleetClient, PolicyClient, v1, type calle } from '../../proto/index.js';
import { startCoordinator, type Coordinator } from '../coordinator.js';
import { CoordinatorError } from '../errors.js';
import { ephemeralSigner } from '../keys/policy-signer.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { closeClientAfter, startNats, tempDir, testLogger, unary, waitFor } from '../testing/harness.js';
import { EnrolmentBucket } from './enrolment-bucket.js';
import { openStateBuckets } from './state-buckets.js';

type Cli = { code: number; out: string[]; err: string[] };

async function setup(t: ExecutionContext) {
  const nats = await startNats(t);
  const dir = tempDir(t);
  const signer = ephemeralSigner();
  const logs = new Map<string, Record<string, unknown>[]>();
  const dbOf = (replicaId: string): string => join(dir, `${replicaId}.db`);
  const start = async (
    replicaId: string,
  ): Promise<Coordinator & { fleet: grpc.Client; policy: grpc.Client }> => {
    const { log, lines } = testLogger(t);
    logs.set(replicaId, lines);
    const c = await startCoordinator({
      dbPath: dbOf(replicaId),
      natsServers: [nats.url],
      grpcHost: '127.0.0.1',
      grpcPort: 0,
      httpHost: '127.0.0.1',
      httpPort: 0,
      log: log.child({ replica: replicaId }),
      signer,
      rolloutTickMs: 50,
      replication: { replicaId, leaseTtlMs: 1_000 },
      // enrolment: the production default, 'required'.
    });
    t.teardown(async () => c.close());
    const target = `127.0.0.1:${c.grpcPort}`;
    const fleet = closeClientAfter(t, new FleetClient(target, grpc.credentials.createInsecure()));
    const policy = closeClientAfter(t, new PolicyClient(target, grpc.credentials.createInsecure()));
    return Object.assign(c, { fleet, policy });
  };
  const capture = (): { io: { out(l: string): void; err(l: string): void }; r: Omit<Cli, 'code'> } => {
    const r = { out: [] as string[], err: [] as string[] };
    return { io: { out: (l) => r.out.push(l), err: (l) => r.err.push(l) }, r };
  };
  /** `calle fleet … --nats URL`: the operator's path on replicated coordinators. */
  const kvCli = async (...args: string[]): Promise<Cli> => {
    const { io, r } = capture();
    return { code: await runFleetCommandAsync([...args, '--nats', nats.url], io), ...r };
  };
  /** `calle fleet … --db <replica's file>`. */
  const fileCli = (replicaId: string, ...args: string[]): Cli => {
    const { io, r } = capture();
    return { code: runFleetCommand([...args, '--db', dbOf(replicaId)], io), ...r };
  };
  const token = async (edgeId: string): Promise<string> => {
    const r = await kvCli(
      'token',
      '--edge',
      edgeId,
      '--district',
      'centro',
      '--out',
      join(dir, `${edgeId}.nk`),
    );
    t.is(r.code, 0, r.err.join('\n'));
    return r.out[1]!;
  };
  const watchingOn = (replicaId: string, edgeId: string): boolean =>
    logs.get(replicaId)!.some((l) => l.msg === 'watching policies' && l.edgeId === edgeId);
  /** How many replicas recorded a spend of `edgeId`'s token (each logs its own). */
  const enrolments = (edgeId: string): number =>
    [...logs.values()].flat().filter((l) => l.edgeId === edgeId && /^edge enrolled/.test(String(l.msg)))
      .length;
  return { nats, dir, dbOf, start, kvCli, fileCli, token, watchingOn, enrolments };
}

const key = (t: ExecutionContext): EdgeKey => loadOrCreateEdgeKey(tempDir(t));

async function register(
  fleet: grpc.Client,
  o: { edgeId: string; key: EdgeKey; token?: string },
): Promise<calle.v1.RegisterResponse> {
  const fields = {
    edgeId: o.edgeId,
    district: 'centro',
    tags: [],
    softwareVersion: 'test',
    publicKey: o.key.publicKey,
    enrolmentToken: o.token ?? '',
    timeMs: Date.now(),
  };
  return unary(fleet, 'register', { ...fields, signature: signRegister(o.key.privateKey, fields) });
}

async function heartbeat(fleet: grpc.Client, edgeId: string, by: EdgeKey): Promise<unknown> {
  const rpc: EdgeRpc = 'Heartbeat';
  const metadata = new grpc.Metadata();
  metadata.set(AUTH_METADATA_KEY, signCall(by.privateKey, rpc, edgeId, Date.now()));
  const call = (fleet as unknown as Record<string, (...a: unknown[]) => void>).heartbeat!.bind(fleet);
  return new Promise((resolve, reject) => {
    call({ edgeId }, metadata, (err: grpc.ServiceError | null, res: unknown) =>
      err ? reject(err) : resolve(res),
    );
  });
}

/**
 * Registers with the token until the outcome of its spend is known: the refusal, or the answer
 * once `enrolledHere()` (this key pending in the replica's copy).
 */
async function settled(
  fleet: grpc.Client,
  o: { edgeId: string; key: EdgeKey; token: string },
  enrolledHere: () => boolean,
): Promise<calle.v1.RegisterResponse | grpc.ServiceError> {
  let last: calle.v1.RegisterResponse | grpc.ServiceError | undefined;
  await waitFor(
    async () => {
      try {
        last = await register(fleet, o);
        return enrolledHere();
      } catch (err) {
        last = err as grpc.ServiceError;
        return true;
      }
    },
    5_000,
    `the outcome for ${o.edgeId}`,
  );
  return last!;
}

test('replicated enrolment — a token from KV enrols at B, the approval reaches both, and the edge fails over from A to B', async (t) => {
  const s = await setup(t);
  const a = await s.start('a');
  const b = await s.start('b');
  const edgeKey = key(t);
  const tokenE1 = await s.token('e1');

  // Each replica's copy knows the token; writing into a copy is refused and names the way.
  await waitFor(() => s.fileCli('a', 'list').out.some((l) => l.startsWith('e1  invited')), 5_000, 'e1 on a');
  const refused = s.fileCli('a', 'approve', 'e1');
  t.is(refused.code, 1);
  t.regex(refused.err[0]!, /a replicated coordinator's copy; .* --nats nats:\/\//);

  // The edge's Register goes to B: pending, once the spend is recorded in KV.
  const first = await register(b.fleet, { edgeId: 'e1', key: edgeKey, token: tokenE1 });
  t.like(first, { accepted: false, state: v1.EdgeState.EDGE_STATE_PENDING });
  await waitFor(
    () => s.fileCli('a', 'pending').out.some((l) => l.includes(`key ${edgeKey.keyId}`)),
    5_000,
    'pending on a',
  );
  t.like(await register(b.fleet, { edgeId: 'e1', key: edgeKey, token: tokenE1 }), {
    accepted: false,
    state: v1.EdgeState.EDGE_STATE_PENDING,
  });
  // A knows the key B enrolled: another key is refused there, and so is the spent token.
  const other = key(t);
  const err = (await t.throwsAsync(
    register(a.fleet, { edgeId: 'e1', key: other, token: tokenE1 }),
  )) as unknown as grpc.ServiceError;
  t.is(err.code, grpc.status.PERMISSION_DENIED);
  t.regex(err.details, /already used/);

  // Approved through KV; the real edge link starts on A (first in its list) and is let in.
  const approved = await s.kvCli('approve', 'e1');
  t.is(approved.code, 0, approved.err.join('\n'));
  const { log } = testLogger(t);
  const link = new CoordinatorLink({
    address: `ipv4:127.0.0.1:${a.grpcPort},127.0.0.1:${b.grpcPort}`,
    identity: { edgeId: 'e1', district: 'centro', tags: [], softwareVersion: 'test' },
    key: edgeKey,
    enrolmentToken: tokenE1, // a cabinet keeps it in its configuration
    log,
    host: {
      heartbeat: () => ({ highestSeq: 0, outboxPending: 0, policyVersion: 0, devicesUnavailable: 0 }),
      policyVersion: () => 0,
      applyPolicy: () => ({ applied: true }),
    },
  });
  t.teardown(() => link.stop());
  link.start();
  await waitFor(() => link.connected && s.watchingOn('a', 'e1'), 10_000, 'e1 watching on a');

  // A dies; the edge registers and watches on B with its per-call proofs, and B heartbeats it.
  await a.close();
  await waitFor(() => s.watchingOn('b', 'e1'), 10_000, 'e1 watching on b');
  await t.notThrowsAsync(heartbeat(b.fleet, 'e1', edgeKey));
  await t.throwsAsync(heartbeat(b.fleet, 'e1', other), { message: /does not verify/ });
});

test('replicated enrolment — one token spent at A and B at once enrols exactly one key, on both', async (t) => {
  const s = await setup(t);
  const a = await s.start('a');
  const b = await s.start('b');
  const ids = ['r1', 'r2', 'r3', 'r4'];
  const tokens = await Promise.all(ids.map(async (id) => s.token(id)));
  await waitFor(
    () => s.fileCli('b', 'list').out.filter((l) => l.includes('invited')).length === ids.length,
    5_000,
    'tokens on b',
  );
  for (const [i, edgeId] of ids.entries()) {
    const atA = { edgeId, key: key(t), token: tokens[i]! };
    const atB = { edgeId, key: key(t), token: tokens[i]! };
    // Both replicas accept the token locally and race to spend it in KV.
    await Promise.all([register(a.fleet, atA), register(b.fleet, atB)]);
    const pendingWith = (replica: string, k: EdgeKey) => () =>
      s
        .fileCli(replica, 'pending')
        .out.some((l) => l.startsWith(`${edgeId}  pending`) && l.includes(k.keyId));
    const outcomes = await Promise.all([
      settled(a.fleet, atA, pendingWith('a', atA.key)),
      settled(b.fleet, atB, pendingWith('b', atB.key)),
    ]);
    const enrolled = outcomes.filter((o) => !(o instanceof Error));
    const refusedOnes = outcomes.filter((o): o is grpc.ServiceError => o instanceof Error);
    t.is(enrolled.length, 1, `${edgeId}: exactly one key enrolled`);
    t.is(refusedOnes.length, 1);
    t.regex(refusedOnes[0]!.details, /enrolment_token: already used/);
    t.is(s.enrolments(edgeId), 1, `${edgeId}: one spend recorded, fleet-wide`);
    const winner = outcomes[0] instanceof Error ? atB.key : atA.key;
    for (const replica of ['a', 'b'])
      await waitFor(
        pendingWith(replica, winner),
        5_000,
        `${edgeId} pending with the winning key on ${replica}`,
      );
  }
});

test('replicated enrolment — the bucket spends a token once among many concurrent spends from two connections', async (t) => {
  const nats = await startNats(t);
  // Before any replica made the bucket, the CLI says so rather than creating one.
  const err: string[] = [];
  const io = { out: () => undefined, err: (l: string) => err.push(l) };
  t.is(await runFleetCommandAsync(['list', '--nats', nats.url], io), 1);
  t.regex(err[0]!, /calle_enrolment: not found .*calle cloud --replica-id/);
  t.is(runFleetCommand(['list', '--nats', nats.url], io), 2, 'the synchronous entry works on files only');
  const ncs = await Promise.all([connect({ servers: nats.url }), connect({ servers: nats.url })]);
  t.teardown(async () => Promise.all(ncs.map(async (nc) => nc.close())));
  const [x, y] = await Promise.all(
    ncs.map(async (nc) => new EnrolmentBucket((await openStateBuckets(nc)).enrolment)),
  );
  const nowMs = Date.now();
  const { token } = await x!.issueToken({ edgeId: 'e1', district: 'centro', ttlMs: 60_000, nowMs });
  const spends = Array.from({ length: 16 }, async (_, i) =>
    (i % 2 ? x! : y!).consume({
      token,
      edgeId: 'e1',
      district: 'centro',
      publicKey: Buffer.alloc(32, i),
      nowMs,
    }),
  );
  const results = await Promise.allSettled(spends);
  const won = results.filter((r) => r.status === 'fulfilled');
  t.is(won.length, 1);
  for (const r of results)
    if (r.status === 'rejected') {
      t.true(r.reason instanceof CoordinatorError);
      t.regex((r.reason as Error).message, /already used/);
    }
  const row = (await y!.get('e1'))!;
  t.is(row.state, 'pending');
  t.deepEqual(
    row.publicKey,
    (won[0] as PromiseFulfilledResult<{ row: { publicKey: Buffer } }>).value.row.publicKey,
  );
});

test('replicated enrolment — a revocation through KV is enforced by both replicas, ending a Watch on B', async (t) => {
  const s = await setup(t);
  const a = await s.start('a');
  const b = await s.start('b');
  const edgeKey = key(t);
  const tokenE1 = await s.token('e1');
  await waitFor(() => s.fileCli('a', 'list').out.some((l) => l.startsWith('e1  invited')), 5_000, 'e1 on a');
  await register(a.fleet, { edgeId: 'e1', key: edgeKey, token: tokenE1 });
  await waitFor(
    () => s.fileCli('b', 'pending').out.length === 1 && s.fileCli('b', 'pending').out[0]!.startsWith('e1'),
    5_000,
    'pending on b',
  );
  t.is((await s.kvCli('approve', 'e1')).code, 0);
  for (const c of [a, b]) {
    await waitFor(
      async () => (await register(c.fleet, { edgeId: 'e1', key: edgeKey })).accepted,
      5_000,
      'accepted',
    );
    await t.notThrowsAsync(heartbeat(c.fleet, 'e1', edgeKey));
  }
  const metadata = new grpc.Metadata();
  metadata.set(AUTH_METADATA_KEY, signCall(edgeKey.privateKey, 'Watch', 'e1', Date.now()));
  const watch = (
    b.policy as unknown as {
      watch(r: object, m: grpc.Metadata): grpc.ClientReadableStream<calle.v1.PolicyBundle>;
    }
  ).watch({ edgeId: 'e1', lastAppliedVersion: 0 }, metadata);
  const ended = new Promise<grpc.ServiceError>((resolve) => watch.on('error', resolve));
  watch.on('data', () => undefined);

  const revoked = await s.kvCli('revoke', 'e1');
  t.is(revoked.code, 0, revoked.err.join('\n'));
  for (const c of [a, b])
    await waitFor(
      async () =>
        heartbeat(c.fleet, 'e1', edgeKey).then(
          () => false,
          (err: grpc.ServiceError) =>
            err.code === grpc.status.PERMISSION_DENIED && /revoked/.test(err.details),
        ),
      5_000,
      'heartbeat refused as revoked',
    );
  const err = (await t.throwsAsync(
    register(b.fleet, { edgeId: 'e1', key: edgeKey }),
  )) as unknown as grpc.ServiceError;
  t.regex(err.details, /EDGE_REVOKED/);
  // A policy published on A reaches B's Watch for e1 only as its end.
  await a.publish({
    target: { edgeIds: ['e1'] },
    lighting: { steps: [{ at: 'sunset', levelPct: 50 }], presenceLevelPct: 50 },
  });
  t.regex((await ended).details, /revoked/);
  t.is((await s.kvCli('approve', 'e1')).code, 1, 'a revoked edge needs a new token, in KV as on a file');
});

test('replicated enrolment — a coordinator switched to replication brings its enrolment into KV', async (t) => {
  const s = await setup(t);
  new SqliteStore(s.dbOf('a')).closeNow();
  const issued = s.fileCli(
    'a',
    'token',
    '--edge',
    'old-1',
    '--district',
    'centro',
    '--out',
    join(s.dir, 'old-1.nk'),
  );
  t.is(issued.code, 0, issued.err.join('\n'));
  await s.start('a');
  const b = await s.start('b');
  t.true(
    s.fileCli('b', 'list').out.some((l) => l.startsWith('old-1  invited')),
    'b knows it at start',
  );
  t.like(await register(b.fleet, { edgeId: 'old-1', key: key(t), token: issued.out[1]! }), {
    state: v1.EdgeState.EDGE_STATE_PENDING,
  });
  await waitFor(
    async () => (await s.kvCli('pending')).out.some((l) => l.startsWith('old-1  pending')),
    5_000,
    'pending in KV',
  );
});
