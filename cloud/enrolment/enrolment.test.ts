// Enrolment end to end over real gRPC: a coordinator with enrolment 'required', the real edge link
// (edge/sync/coordinator-link.ts) or a bare client, and the operator's `calle fleet` commands
// working on the coordinator's database file while it runs.
import * as grpc from '@grpc/grpc-js';
import test, { type ExecutionContext } from 'ava';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { runFleetCommand } from '../../bin/fleet-command.js';
import { loadOrCreateEdgeKey, type EdgeKey } from '../../common/signing/edge-identity.js';
import { AUTH_METADATA_KEY, signCall, type EdgeRpc } from '../../common/signing/call-proof.js';
import { signRegister } from '../../common/signing/register-proof.js';
import { CoordinatorLink } from '../../edge/sync/coordinator-link.js';
import { FleetClient, PolicyClient, v1, type calle } from '../../proto/index.js';
import { startCoordinator } from '../coordinator.js';
import { ErrorCodes } from '../errors.js';
import { closeClientAfter, tempDir, testLogger, unary, waitFor } from '../testing/harness.js';

async function setup(t: ExecutionContext) {
  const dir = tempDir(t);
  const dbPath = join(dir, 'coordinator.db');
  const { log, lines } = testLogger(t);
  const coordinator = await startCoordinator({
    dbPath,
    natsServers: ['nats://127.0.0.1:1'], // no broker: this is about the control plane
    grpcHost: '127.0.0.1',
    grpcPort: 0,
    httpHost: '127.0.0.1',
    httpPort: 0,
    log,
  });
  t.teardown(async () => coordinator.close());
  const target = `127.0.0.1:${coordinator.grpcPort}`;
  const fleet = closeClientAfter(t, new FleetClient(target, grpc.credentials.createInsecure()));
  const policy = closeClientAfter(t, new PolicyClient(target, grpc.credentials.createInsecure()));
  /** Runs `calle fleet …` on the coordinator's database; returns its output lines. */
  const cli = (...args: string[]): { code: number; out: string[]; err: string[] } => {
    const out: string[] = [];
    const err: string[] = [];
    const code = runFleetCommand([...args, '--db', dbPath], {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
    });
    return { code, out, err };
  };
  const token = (edgeId: string, district = 'centro'): string => {
    const r = cli('token', '--edge', edgeId, '--district', district, '--out', join(dir, `${edgeId}.nk`));
    t.is(r.code, 0, r.err.join('\n'));
    return r.out[1]!;
  };
  return { dir, dbPath, lines, log, target, fleet, policy, cli, token, coordinator };
}

const key = (t: ExecutionContext): EdgeKey => loadOrCreateEdgeKey(tempDir(t));

interface RegisterOptions {
  edgeId: string;
  key: EdgeKey;
  token?: string;
  timeMs?: number;
  signWith?: EdgeKey;
  district?: string;
  tags?: string[];
  softwareVersion?: string;
  /** Fields changed after signing, as a man in the middle or a tampering edge would. */
  tamper?: Pick<calle.v1.IRegisterRequest, 'district' | 'tags' | 'softwareVersion' | 'enrolmentToken'>;
}

/** The request a real edge sends: every field signed (common/signing/register-proof.ts). */
function registerRequest(o: RegisterOptions): calle.v1.IRegisterRequest {
  const fields = {
    edgeId: o.edgeId,
    district: o.district ?? 'centro',
    tags: o.tags ?? [],
    softwareVersion: o.softwareVersion ?? 'test',
    publicKey: o.key.publicKey,
    enrolmentToken: o.token ?? '',
    timeMs: o.timeMs ?? Date.now(),
  };
  return { ...fields, signature: signRegister((o.signWith ?? o.key).privateKey, fields), ...o.tamper };
}

async function register(fleet: grpc.Client, o: RegisterOptions): Promise<calle.v1.RegisterResponse> {
  return unary(fleet, 'register', registerRequest(o));
}

/** A unary call carrying calle-edge-auth signed by `by` for `rpc` (default: the call's own). */
async function signed<Res>(
  client: grpc.Client,
  method: string,
  req: { edgeId: string },
  by: EdgeKey,
  rpc: EdgeRpc,
  timeMs = Date.now(),
): Promise<Res> {
  const metadata = new grpc.Metadata();
  metadata.set(AUTH_METADATA_KEY, signCall(by.privateKey, rpc, req.edgeId, timeMs));
  const fn = (client as unknown as Record<string, (...a: unknown[]) => void>)[method]!.bind(client);
  return new Promise((resolve, reject) => {
    fn(req, metadata, (err: grpc.ServiceError | null, res: Res) => (err ? reject(err) : resolve(res)));
  });
}

async function refused(
  t: ExecutionContext,
  call: Promise<unknown>,
  code: grpc.status,
  reason: RegExp,
): Promise<void> {
  const err = (await t.throwsAsync(call)) as unknown as grpc.ServiceError;
  t.is(err.code, code, err.details);
  t.regex(err.details, reason);
}

test('enrolment — a new edge waits as pending, `calle fleet approve` lets it in, then it registers and watches', async (t) => {
  const s = await setup(t);
  const edgeKey = key(t);
  const { log } = testLogger(t);
  const link = new CoordinatorLink({
    address: s.target,
    identity: { edgeId: 'atocha-01', district: 'centro', tags: [], softwareVersion: 'test' },
    key: edgeKey,
    enrolmentToken: s.token('atocha-01'),
    log,
    host: {
      heartbeat: () => ({ highestSeq: 0, outboxPending: 0, policyVersion: 0, devicesUnavailable: 0 }),
      policyVersion: () => 0,
      applyPolicy: () => ({ applied: true }),
    },
  });
  t.teardown(() => link.stop());
  link.start();

  await waitFor(
    () => s.cli('pending').out.some((l) => l.startsWith('atocha-01  pending')),
    10_000,
    'pending',
  );
  t.true(
    s.cli('pending').out[0]!.includes(`key ${edgeKey.keyId}`),
    'the operator sees the key id the edge logs',
  );
  t.false(link.connected);
  // Pending: every other rpc is refused with the reason.
  await refused(
    t,
    unary(s.fleet, 'heartbeat', { edgeId: 'atocha-01' }),
    grpc.status.FAILED_PRECONDITION,
    /waiting for operator approval/,
  );
  await refused(
    t,
    unary(s.policy, 'ack', { edgeId: 'atocha-01', version: 1, applied: false, reason: 'x' }),
    grpc.status.FAILED_PRECONDITION,
    /EDGE_PENDING_APPROVAL/,
  );
  // The same edge asking again (its token already spent, its key known) stays pending.
  const again = await register(s.fleet, { edgeId: 'atocha-01', key: edgeKey });
  t.false(again.accepted);
  t.is(again.state, v1.EdgeState.EDGE_STATE_PENDING);
  t.regex(again.reason, /^waiting for operator approval \(key id [0-9a-f]{32}\)$/);

  t.is(s.cli('approve', 'atocha-01').code, 0);
  await waitFor(() => link.connected, 15_000, 'the edge link to register and watch after approval');
  const hb = await signed<calle.v1.HeartbeatResponse>(
    s.fleet,
    'heartbeat',
    { edgeId: 'atocha-01' },
    edgeKey,
    'Heartbeat',
  );
  t.true(hb.serverTimeMs > 0);
  t.true(s.lines.some((l) => l.msg === 'edge enrolled; approve it with: calle fleet approve atocha-01'));
});

test('enrolment — an enrolled edge presenting another key or a bad signature is refused with PERMISSION_DENIED naming why', async (t) => {
  const s = await setup(t);
  const [a, b] = [key(t), key(t)];
  t.false((await register(s.fleet, { edgeId: 'e1', key: a, token: s.token('e1') })).accepted);
  t.is(s.cli('approve', 'e1').code, 0);
  t.like(await register(s.fleet, { edgeId: 'e1', key: a }), {
    accepted: true,
    state: v1.EdgeState.EDGE_STATE_APPROVED,
  });

  await refused(
    t,
    register(s.fleet, { edgeId: 'e1', key: b }),
    grpc.status.PERMISSION_DENIED,
    new RegExp(`public_key: key id ${b.keyId} differs from the enrolled key id ${a.keyId}`),
  );
  await refused(
    t,
    register(s.fleet, { edgeId: 'e1', key: a, signWith: b }),
    grpc.status.PERMISSION_DENIED,
    /signature: does not verify/,
  );
  await refused(
    t,
    register(s.fleet, { edgeId: 'e1', key: a, timeMs: Date.now() - 10 * 60_000 }),
    grpc.status.PERMISSION_DENIED,
    /time_ms: .* -60\d s away/,
  );
  await refused(
    t,
    unary(s.fleet, 'register', { edgeId: 'e1', district: 'centro' }),
    grpc.status.PERMISSION_DENIED,
    /public_key: an Ed25519 key is 32 bytes, got 0/,
  );
  t.true(
    s.lines.some((l) => l.msg === 'rpc refused: identity' && l.code === ErrorCodes.ENROLMENT_REFUSED),
    'logged for the operator',
  );
});

test('enrolment — the Register proof covers what the coordinator stores: tampered district, tags or version and changed replays are refused, the district stays the enrolled one', async (t) => {
  const s = await setup(t);
  const a = key(t);
  const signedAs = { edgeId: 'e1', key: a, tags: ['lighting'], softwareVersion: '1.0.0' };
  t.false((await register(s.fleet, { ...signedAs, token: s.token('e1') })).accepted);
  t.is(s.cli('approve', 'e1').code, 0);
  // The unchanged path works, and stores what was signed.
  t.true((await register(s.fleet, signedAs)).accepted);
  const stored = () => {
    const db = new Database(s.dbPath, { readonly: true });
    try {
      return db
        .prepare<[], { district: string; tags: string; version: string }>(
          "SELECT district, tags, software_version AS version FROM edges WHERE id = 'e1'",
        )
        .get();
    } finally {
      db.close();
    }
  };
  const original = { district: 'centro', tags: '["lighting"]', version: '1.0.0' };
  t.deepEqual(stored(), original);

  // A request changed after signing: a man in the middle, or a replay of a recorded Register with
  // its fields edited, within the 5-minute window.
  const recorded = registerRequest(signedAs);
  for (const tamper of [
    { district: 'retiro' },
    { tags: ['lighting', 'signals'] },
    { tags: [] },
    { softwareVersion: '0.9.0' },
    { enrolmentToken: 'calle-et-forged' },
  ]) {
    await refused(
      t,
      unary(s.fleet, 'register', { ...recorded, ...tamper }),
      grpc.status.PERMISSION_DENIED,
      /signature: does not verify with public_key over edge_id, district, tags, software_version/,
    );
  }
  // The replay as recorded re-registers exactly what was signed: nothing to gain.
  t.true((await unary<calle.v1.RegisterResponse>(s.fleet, 'register', recorded)).accepted);

  // The edge itself, with its own key, cannot move to another district: that is the enrolment's.
  await refused(
    t,
    register(s.fleet, { ...signedAs, district: 'retiro' }),
    grpc.status.PERMISSION_DENIED,
    /district: "retiro" differs from the enrolled district "centro"/,
  );
  t.deepEqual(stored(), original, 'nothing stored from any refused Register');

  // What the edge may change is its own, signed: a new version and tags after an upgrade.
  t.true(
    (await register(s.fleet, { ...signedAs, tags: ['lighting', 'waste'], softwareVersion: '1.1.0' }))
      .accepted,
  );
  t.deepEqual(stored(), { district: 'centro', tags: '["lighting","waste"]', version: '1.1.0' });
});

test('enrolment — a replayed or foreign token is refused, and an edge without one is not enrolled', async (t) => {
  const s = await setup(t);
  const [a, b] = [key(t), key(t)];
  const tokenE1 = s.token('e1');
  t.false((await register(s.fleet, { edgeId: 'e1', key: a, token: tokenE1 })).accepted);
  await refused(
    t,
    register(s.fleet, { edgeId: 'e1', key: b, token: tokenE1 }),
    grpc.status.PERMISSION_DENIED,
    /enrolment_token: already used/,
  );
  const tokenE2 = s.token('e2');
  await refused(
    t,
    register(s.fleet, { edgeId: 'e3', key: b, token: tokenE2 }),
    grpc.status.PERMISSION_DENIED,
    /issued for another edge/,
  );
  await refused(
    t,
    register(s.fleet, { edgeId: 'e2', key: b }),
    grpc.status.PERMISSION_DENIED,
    /CALLE_ERR_EDGE_NOT_ENROLLED: edge "e2" is not enrolled/,
  );
  await refused(
    t,
    register(s.fleet, { edgeId: 'e2', key: b, token: tokenE2, district: 'retiro' }),
    grpc.status.PERMISSION_DENIED,
    /district: the token was issued for district "centro"/,
  );
  // The failed attempts did not burn the token: the right edge can still use it.
  t.false((await register(s.fleet, { edgeId: 'e2', key: b, token: tokenE2 })).accepted);
});

test('enrolment — a revoked edge is refused at Register, Heartbeat and Watch', async (t) => {
  const s = await setup(t);
  const a = key(t);
  await register(s.fleet, { edgeId: 'e1', key: a, token: s.token('e1') });
  s.cli('approve', 'e1');
  t.true((await register(s.fleet, { edgeId: 'e1', key: a })).accepted);
  t.is(s.cli('revoke', 'e1').code, 0);
  await refused(
    t,
    register(s.fleet, { edgeId: 'e1', key: a }),
    grpc.status.PERMISSION_DENIED,
    /EDGE_REVOKED/,
  );
  await refused(
    t,
    unary(s.fleet, 'heartbeat', { edgeId: 'e1' }),
    grpc.status.PERMISSION_DENIED,
    /revoked by an operator/,
  );
  const watch = (s.policy as unknown as { watch(r: object): grpc.ClientReadableStream<unknown> }).watch({
    edgeId: 'e1',
  });
  const err = await new Promise<grpc.ServiceError>((resolve) => watch.on('error', resolve));
  t.is(err.code, grpc.status.PERMISSION_DENIED);
});

test('enrolment — an approved edge’s Heartbeat, Watch and Ack must be signed by its enrolled key, for that rpc', async (t) => {
  const s = await setup(t);
  const [a, b] = [key(t), key(t)];
  await register(s.fleet, { edgeId: 'e1', key: a, token: s.token('e1') });
  s.cli('approve', 'e1');
  t.true((await register(s.fleet, { edgeId: 'e1', key: a })).accepted);
  const beat = { edgeId: 'e1' };
  t.truthy(await signed(s.fleet, 'heartbeat', beat, a, 'Heartbeat'));

  await refused(
    t,
    unary(s.fleet, 'heartbeat', beat),
    grpc.status.PERMISSION_DENIED,
    /calle-edge-auth: missing/,
  );
  await refused(
    t,
    signed(s.fleet, 'heartbeat', beat, b, 'Heartbeat'),
    grpc.status.PERMISSION_DENIED,
    /does not verify with the edge's enrolled key/,
  );
  await refused(
    t,
    signed(s.fleet, 'heartbeat', beat, a, 'Ack'),
    grpc.status.PERMISSION_DENIED,
    /does not verify/,
  );
  await refused(
    t,
    signed(s.fleet, 'heartbeat', beat, a, 'Heartbeat', Date.now() - 6 * 60_000),
    grpc.status.PERMISSION_DENIED,
    /-36\d s away/,
  );
  const ack = { edgeId: 'e1', version: 1, applied: false, reason: 'test' };
  await refused(
    t,
    signed(s.policy, 'ack', ack, a, 'Heartbeat'),
    grpc.status.PERMISSION_DENIED,
    /does not verify/,
  );
  t.like(await signed<calle.v1.PolicyAckResponse>(s.policy, 'ack', ack, a, 'Ack'), { recorded: true });
  const watch = (s.policy as unknown as { watch(r: object): grpc.ClientReadableStream<unknown> }).watch({
    edgeId: 'e1',
  });
  const err = await new Promise<grpc.ServiceError>((resolve) => watch.on('error', resolve));
  t.regex(err.details, /calle-edge-auth: missing/);
});

test('enrolment — revoking an edge ends the Watch it opened before, at the next policy for it', async (t) => {
  const s = await setup(t);
  const a = key(t);
  await register(s.fleet, { edgeId: 'e1', key: a, token: s.token('e1') });
  s.cli('approve', 'e1');
  t.true((await register(s.fleet, { edgeId: 'e1', key: a })).accepted);
  const metadata = new grpc.Metadata();
  metadata.set(AUTH_METADATA_KEY, signCall(a.privateKey, 'Watch', 'e1', Date.now()));
  const watch = (
    s.policy as unknown as {
      watch(r: object, m: grpc.Metadata): grpc.ClientReadableStream<calle.v1.PolicyBundle>;
    }
  ).watch({ edgeId: 'e1', lastAppliedVersion: 0 }, metadata);
  const received: number[] = [];
  watch.on('data', (b: calle.v1.PolicyBundle) => received.push(Number(b.version)));
  const ended = new Promise<grpc.ServiceError>((resolve) => watch.on('error', resolve));
  const lighting = { steps: [{ at: 'sunset', offsetMin: 0, levelPct: 100 }], presenceLevelPct: 80 };
  await s.coordinator.publish({ target: { edgeIds: ['e1'] }, lighting });
  await waitFor(() => received.length === 1, 5_000, 'the first policy');

  t.is(s.cli('revoke', 'e1').code, 0);
  await s.coordinator.publish({ target: { edgeIds: ['e1'] }, lighting });
  const err = await ended;
  t.is(err.code, grpc.status.PERMISSION_DENIED);
  t.regex(err.details, /revoked/);
  t.deepEqual(received, [1], 'the policy published after the revocation never reached it');
});
