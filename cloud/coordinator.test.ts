import * as grpc from '@grpc/grpc-js';
import test from 'ava';
import { join } from 'node:path';
import { FleetClient, PolicyClient, type calle } from '../proto/index.js';
import { startCoordinator } from './coordinator.js';
import { ErrorCodes } from './errors.js';
import type { EdgeStatusJson } from './http/status-api.js';
import { SqliteStore } from './store/sqlite/sqlite-store.js';
import {
  closeClientAfter,
  edgeClient,
  publishBatch,
  startNats,
  tempDir,
  testLogger,
  unary,
  waitFor,
} from './testing/harness.js';

const getEdges = async (httpUrl: string): Promise<EdgeStatusJson[]> =>
  (await fetch(`${httpUrl}/api/edges`)).json() as Promise<EdgeStatusJson[]>;

test('coordinator — starts with NATS down, serves gRPC and HTTP, ingests once NATS is up, closes cleanly', async (t) => {
  const nats = await startNats(t);
  await nats.stop(); // keep its port: the coordinator is configured for a broker that is not there yet
  const { log } = testLogger(t);
  const coordinator = await startCoordinator({
    dbPath: join(tempDir(t), 'coordinator.db'),
    natsServers: [nats.url],
    grpcHost: '127.0.0.1',
    grpcPort: 0,
    httpHost: '127.0.0.1',
    httpPort: 0,
    log,
    enrolment: 'open', // this test registers a bare client; enrolment has its own tests
  });
  t.teardown(async () => coordinator.close());

  const target = `127.0.0.1:${coordinator.grpcPort}`;
  const fleet = closeClientAfter(t, new FleetClient(target, grpc.credentials.createInsecure()));
  const reg = await unary<calle.v1.RegisterResponse>(fleet, 'register', {
    edgeId: 'edge-a',
    district: 'centro',
  });
  t.true(reg.accepted);
  t.like(await getEdges(coordinator.httpUrl), [{ id: 'edge-a', received: 0, district: 'centro' }]);
  t.deepEqual(await (await fetch(`${coordinator.httpUrl}/healthz`)).json(), { ok: true });

  await nats.start();
  const { js } = await edgeClient(t, nats.url);
  // The coordinator creates the stream once it reaches NATS; until then the edge's publish fails
  // (no stream) and the edge keeps the batch in its outbox, which this retry stands in for.
  await waitFor(
    async () => {
      try {
        await publishBatch(js, 'edge-a', [1, 2, 3]);
        return true;
      } catch {
        return false;
      }
    },
    20_000,
    'stream created by the coordinator',
  );
  await waitFor(async () => (await getEdges(coordinator.httpUrl))[0]?.received === 3, 10_000, 'readings');
  t.like(await getEdges(coordinator.httpUrl), [{ id: 'edge-a', received: 3, highestSeq: 3, gaps: 0 }]);

  // An open Watch must not hold shutdown hostage: it ends with UNAVAILABLE and close() is prompt.
  const policy = closeClientAfter(t, new PolicyClient(target, grpc.credentials.createInsecure()));
  const stream = (policy as unknown as { watch(r: object): grpc.ClientReadableStream<unknown> }).watch({
    edgeId: 'edge-a',
    lastAppliedVersion: 0,
  });
  const received: unknown[] = [];
  stream.on('data', (b) => received.push(b));
  const ended = new Promise<grpc.ServiceError>((resolve) => stream.on('error', resolve));
  await coordinator.publish({ target: { allEdges: true }, waste: { collectAtFill: 0.8 } });
  await waitFor(() => received.length === 1, 5_000, 'policy delivered');

  const started = Date.now();
  await coordinator.close();
  t.true(Date.now() - started < 3_000, `close took ${Date.now() - started} ms`);
  t.is((await ended).code, grpc.status.UNAVAILABLE);
});

test('coordinator — refuses to start on a database from a newer release', async (t) => {
  const dbPath = join(tempDir(t), 'coordinator.db');
  new SqliteStore(dbPath).closeNow();
  const { default: Database } = await import('better-sqlite3');
  const raw = new Database(dbPath);
  raw.exec('UPDATE schema_version SET version = version + 1');
  raw.close();

  const err = await t.throwsAsync(
    startCoordinator({
      dbPath,
      natsServers: ['nats://127.0.0.1:1'],
      grpcHost: '127.0.0.1',
      grpcPort: 0,
      httpHost: '127.0.0.1',
      httpPort: 0,
      log: testLogger(t).log,
    }),
  );
  t.is((err as unknown as { code: string }).code, ErrorCodes.SCHEMA_TOO_NEW);
});

test('coordinator — a gRPC port already in use makes start fail rather than half-start', async (t) => {
  const dir = tempDir(t);
  const { log } = testLogger(t);
  const options = {
    natsServers: ['nats://127.0.0.1:1'],
    grpcHost: '127.0.0.1',
    httpHost: '127.0.0.1',
    httpPort: 0,
    log,
  };
  const first = await startCoordinator({ ...options, dbPath: join(dir, 'a.db'), grpcPort: 0 });
  t.teardown(async () => first.close());
  const err = await t.throwsAsync(
    startCoordinator({ ...options, dbPath: join(dir, 'b.db'), grpcPort: first.grpcPort }),
  );
  t.regex(err?.message ?? '', /No address added/);
  // The first one is unaffected.
  t.like(await (await fetch(`${first.httpUrl}/healthz`)).json(), { ok: true });
});
