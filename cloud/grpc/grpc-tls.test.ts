// gRPC health, TLS and mutual TLS against a real listener, with certificates made by openssl.
import * as grpc from '@grpc/grpc-js';
import test, { type ExecutionContext } from 'ava';
import { readFileSync } from 'node:fs';
import { channelCredentials, type EdgeTlsFiles } from '../../edge/sync/grpc-credentials.js';
import { FleetClient, type calle } from '../../proto/index.js';
import { closeClientAfter, tempDir, testLogger } from '../testing/harness.js';
import { createFleetService } from './fleet-service.js';
import { startGrpcServer } from './grpc-server.js';
import type { GrpcTlsFiles } from './grpc-tls.js';
import { HealthClient, ServingStatus, type HealthCheckResponse } from './health-service.js';
import { createPolicyService } from './policy-service.js';
import { issue, makeCa } from './test-certificates.js';
import { localState, tempStore } from '../testing/local-state.js';

type UnaryFn<Res> = (
  request: object,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, res?: Res) => void,
) => void;

async function serve(t: ExecutionContext, tls?: GrpcTlsFiles) {
  const { log } = testLogger(t);
  const db = tempStore(t);
  const { publisher } = await localState(db, log);
  const policyService = createPolicyService({ store: db, publisher, log });
  const server = await startGrpcServer({
    host: '127.0.0.1',
    port: 0,
    fleet: createFleetService({ store: db, log }),
    policy: policyService.handlers,
    log,
    ...(tls ? { tls } : {}),
  });
  t.teardown(async () => {
    policyService.endWatches();
    await server.close(1_000);
    db.closeNow();
  });
  return { server, target: `127.0.0.1:${server.port}` };
}

/** Register with a 2 s deadline; resolves to the gRPC status code (0 = OK). */
async function register(
  t: ExecutionContext,
  target: string,
  creds: grpc.ChannelCredentials,
): Promise<number> {
  const client = closeClientAfter(t, new FleetClient(target, creds));
  return new Promise((resolve) => {
    (client as unknown as Record<string, UnaryFn<calle.v1.RegisterResponse>>).register!(
      { edgeId: 'edge-a', district: 'centro' },
      { deadline: Date.now() + 2_000 },
      (err: grpc.ServiceError | null, res?: calle.v1.RegisterResponse) =>
        resolve(err ? err.code : res?.accepted ? 0 : -1),
    );
  });
}

function certificates(t: ExecutionContext) {
  const dir = tempDir(t);
  const ca = makeCa(dir, 'calle-ca');
  const rogueCa = makeCa(dir, 'rogue-ca');
  return {
    ca,
    server: issue(dir, ca, 'coordinator', 'server'),
    edge: issue(dir, ca, 'edge-a', 'client'),
    rogueEdge: issue(dir, rogueCa, 'edge-rogue', 'client'),
  };
}

test('grpc health — Check answers SERVING per service and NOT_FOUND for others; Watch sees the shutdown', async (t) => {
  const { server, target } = await serve(t);
  const health = closeClientAfter(t, new HealthClient(target, grpc.credentials.createInsecure()));
  const check = async (service: string) =>
    new Promise<HealthCheckResponse | grpc.ServiceError>((resolve) => {
      (health as unknown as Record<string, UnaryFn<HealthCheckResponse>>).check!(
        { service },
        { deadline: Date.now() + 2_000 },
        (err, res) => resolve(err ?? res!),
      );
    });
  t.deepEqual(await check(''), { status: ServingStatus.SERVING });
  t.deepEqual(await check('calle.v1.PolicyService'), { status: ServingStatus.SERVING });
  t.like(await check('calle.v1.Nope'), { code: grpc.status.NOT_FOUND });

  const seen: number[] = [];
  const stream = (
    health as unknown as { watch(r: object): grpc.ClientReadableStream<HealthCheckResponse> }
  ).watch({
    service: 'calle.v1.FleetService',
  });
  stream.on('data', (r: HealthCheckResponse) => seen.push(r.status));
  const ended = new Promise<void>((resolve) => {
    stream.on('end', resolve);
    stream.on('error', () => resolve());
  });
  while (seen.length === 0) await new Promise((r) => setTimeout(r, 20));
  await server.close(1_000);
  await ended;
  t.deepEqual(seen, [ServingStatus.SERVING, ServingStatus.NOT_SERVING]);
});

test('grpc tls — server TLS: a client trusting the CA registers; a plaintext client does not', async (t) => {
  const certs = certificates(t);
  const { target } = await serve(t, certs.server);
  t.is(await register(t, target, channelCredentials({ caFile: certs.ca.certFile })), 0);
  t.is(await register(t, target, grpc.credentials.createInsecure()), grpc.status.UNAVAILABLE);
  // A client that trusts another CA refuses the coordinator's certificate.
  t.is(
    await register(t, target, grpc.credentials.createSsl(readFileSync(certs.rogueEdge.certFile))),
    grpc.status.UNAVAILABLE,
  );
});

test('grpc tls — mutual TLS: only an edge with a certificate from the client CA gets in', async (t) => {
  const certs = certificates(t);
  const { target } = await serve(t, { ...certs.server, clientCaFile: certs.ca.certFile });
  const edge = (pair?: { certFile: string; keyFile: string }): EdgeTlsFiles => ({
    caFile: certs.ca.certFile,
    ...(pair ?? {}),
  });
  t.is(await register(t, target, channelCredentials(edge(certs.edge))), 0);
  t.is(await register(t, target, channelCredentials(edge())), grpc.status.UNAVAILABLE);
  t.is(await register(t, target, channelCredentials(edge(certs.rogueEdge))), grpc.status.UNAVAILABLE);
  t.throws(() => channelCredentials({ caFile: certs.ca.certFile, certFile: certs.edge.certFile }), {
    message: /certFile and keyFile go together/,
  });
});
