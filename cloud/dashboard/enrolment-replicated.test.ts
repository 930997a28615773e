// The dashboard's enrolment decisions on replicated coordinators (two replicas, one nats-server,
// enrolment 'required'): an edge enrols at replica B, an engineer approves it on A's dashboard over
// HTTP, the decision is made in the calle_enrolment KV record (as `calle fleet --nats`) and B then
// accepts the edge's signed Heartbeat over real gRPC.
import * as grpc from '@grpc/grpc-js';
import test, { type ExecutionContext } from 'ava';
import { join } from 'node:path';
import { runFleetCommandAsync } from '../../bin/fleet-command.js';
import { AUTH_METADATA_KEY, signCall } from '../../common/signing/call-proof.js';
import { loadOrCreateEdgeKey, type EdgeKey } from '../../common/signing/edge-identity.js';
import { signRegister } from '../../common/signing/register-proof.js';
import { FleetClient, type calle } from '../../proto/index.js';
import { startCoordinator } from '../coordinator.js';
import { ephemeralSigner } from '../keys/policy-signer.js';
import { closeClientAfter, startNats, tempDir, testLogger, unary, waitFor } from '../testing/harness.js';
import { openDashboardStore } from './dashboard-store.js';
import type { EnrolmentJson } from './enrolment-api.js';

const PASSWORD = 'correct horse battery';

async function replica(t: ExecutionContext, natsUrl: string, dir: string, replicaId: string) {
  const { log } = testLogger(t);
  const c = await startCoordinator({
    dbPath: join(dir, `${replicaId}.db`),
    dashboardDbPath: join(dir, `${replicaId}-dashboard.db`),
    natsServers: [natsUrl],
    grpcHost: '127.0.0.1',
    grpcPort: 0,
    httpHost: '127.0.0.1',
    httpPort: 0,
    log,
    signer: ephemeralSigner(),
    rolloutTickMs: 50,
    replication: { replicaId, leaseTtlMs: 1_000 },
  });
  t.teardown(async () => c.close());
  const fleet = closeClientAfter(
    t,
    new FleetClient(`127.0.0.1:${c.grpcPort}`, grpc.credentials.createInsecure()),
  );
  return Object.assign(c, { fleet });
}

async function heartbeat(fleet: grpc.Client, edgeId: string, by: EdgeKey): Promise<unknown> {
  const metadata = new grpc.Metadata();
  metadata.set(AUTH_METADATA_KEY, signCall(by.privateKey, 'Heartbeat', edgeId, Date.now()));
  const call = (fleet as unknown as Record<string, (...a: unknown[]) => void>).heartbeat!.bind(fleet);
  return new Promise((resolve, reject) => {
    call({ edgeId }, metadata, (err: grpc.ServiceError | null, res: unknown) =>
      err ? reject(err) : resolve(res),
    );
  });
}

test('enrolment api, replicated — approved on A’s dashboard through KV; B then accepts the edge’s Heartbeat', async (t) => {
  const nats = await startNats(t);
  const dir = tempDir(t);
  const a = await replica(t, nats.url, dir, 'a');
  const b = await replica(t, nats.url, dir, 'b');
  const store = openDashboardStore({ file: join(dir, 'a-dashboard.db'), log: testLogger(t).log });
  await store.users.add('eva', 'engineer', PASSWORD, 'cli');
  store.close();

  const out: string[] = [];
  const code = await runFleetCommandAsync(
    ['token', '--edge', 'e1', '--district', 'centro', '--out', join(dir, 'e1.nk'), '--nats', nats.url],
    { out: (l) => out.push(l), err: (l) => out.push(l) },
  );
  t.is(code, 0, out.join('\n'));
  const token = out[1]!;
  const edgeKey = loadOrCreateEdgeKey(tempDir(t));
  const register = async () => {
    const fields = {
      edgeId: 'e1',
      district: 'centro',
      tags: [],
      softwareVersion: 'test',
      publicKey: edgeKey.publicKey,
      enrolmentToken: token,
      timeMs: Date.now(),
    };
    return unary<calle.v1.RegisterResponse>(b.fleet, 'register', {
      ...fields,
      signature: signRegister(edgeKey.privateKey, fields),
    });
  };

  // Sign in on A's dashboard as the page does.
  const login = await fetch(`${a.httpUrl}/dashboard/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'eva', password: PASSWORD }),
  });
  t.is(login.status, 200);
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const { csrf } = (await login.json()) as { csrf: string };
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${a.httpUrl}/dashboard/api/${path}`, {
      method,
      headers: {
        cookie,
        'x-csrf-token': csrf,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  // B spends the token in KV; A's dashboard lists the edge pending with its key id.
  let pending: EnrolmentJson | undefined;
  await waitFor(
    async () => {
      await register().catch(() => undefined);
      const list = (await api('GET', 'enrolments')).json as unknown as { edges: EnrolmentJson[] };
      pending = list.edges.find((e) => e.edgeId === 'e1' && e.state === 'pending');
      return pending !== undefined;
    },
    10_000,
    'e1 pending on a',
  );
  t.is(pending!.keyId, edgeKey.keyId);
  await t.throwsAsync(heartbeat(b.fleet, 'e1', edgeKey), { message: /waiting for operator approval/ });

  // A key id that is not the enrolled one is refused inside the compare-and-set, naming the field.
  // (Ingest's NATS connection may still be coming up: until then the answer is 503, nothing done.)
  let mismatch: Awaited<ReturnType<typeof api>> | undefined;
  await waitFor(
    async () => {
      mismatch = await api('POST', 'enrolments/e1/approve', { confirm: 'e1', keyId: '0'.repeat(32) });
      return mismatch.status !== 503;
    },
    10_000,
    'NATS connected on a',
  );
  t.is(mismatch!.status, 409);
  t.regex(String(mismatch!.json['message']), /^keyId: /);

  const approved = await api('POST', 'enrolments/e1/approve', { confirm: 'e1', keyId: edgeKey.keyId });
  t.is(approved.status, 200, JSON.stringify(approved.json));
  t.is((approved.json['edge'] as EnrolmentJson).state, 'approved');
  // A's copy had the decision before the answer; B's mirror copies it from KV: the edge's next
  // Register there is accepted, then its signed Heartbeat.
  await waitFor(async () => (await register()).accepted === true, 5_000, 'B accepts the Register');
  await t.notThrowsAsync(heartbeat(b.fleet, 'e1', edgeKey));
});
