// The coordinator's /metrics scraped over HTTP from a real coordinator (NATS, gRPC, SQLite).
import * as grpc from '@grpc/grpc-js';
import test from 'ava';
import { join } from 'node:path';
import {
  parseExposition,
  sampleValue,
  type ParsedFamily,
} from '../../common/metrics/testing/exposition-parser.js';
import { FleetClient, PolicyClient, type calle } from '../../proto/index.js';
import { startCoordinator } from '../coordinator.js';
import {
  closeClientAfter,
  edgeClient,
  publishBatch,
  startNats,
  tempDir,
  testLogger,
  unary,
  waitFor,
} from '../testing/harness.js';

async function scrape(url: string): Promise<Map<string, ParsedFamily>> {
  const res = await fetch(`${url}/metrics`);
  if (res.status !== 200) throw new Error(`GET /metrics: ${res.status}`);
  if (!res.headers.get('content-type')?.startsWith('text/plain; version=0.0.4'))
    throw new Error(`content-type ${res.headers.get('content-type')}`);
  return parseExposition(await res.text());
}

test('coordinator metrics — ingest totals, duplicates, gaps, edges and gRPC codes move as traffic arrives', async (t) => {
  const nats = await startNats(t);
  const { log } = testLogger(t);
  const coordinator = await startCoordinator({
    dbPath: join(tempDir(t), 'coordinator.db'),
    natsServers: [nats.url],
    grpcHost: '127.0.0.1',
    grpcPort: 0,
    httpHost: '127.0.0.1',
    httpPort: 0,
    log,
    enrolment: 'open', // a bare client registers; enrolment has its own tests
  });
  t.teardown(async () => coordinator.close());

  const before = await scrape(coordinator.httpUrl);
  const types = Object.fromEntries([...before.values()].map((f) => [f.name, f.type]));
  t.like(types, {
    calle_ingest_readings_total: 'counter',
    calle_ingest_events_total: 'counter',
    calle_ingest_duplicates_total: 'counter',
    calle_ingest_gaps: 'gauge',
    calle_edges: 'gauge',
    calle_rollouts: 'gauge',
    grpc_server_started_total: 'counter',
    grpc_server_handled_total: 'counter',
    process_cpu_seconds_total: 'counter',
    process_resident_memory_bytes: 'gauge',
  });
  t.is(sampleValue(before, 'calle_ingest_readings_total'), 0);
  t.is(sampleValue(before, 'calle_edges', { state: 'online' }), 0);

  const fleet = closeClientAfter(
    t,
    new FleetClient(`127.0.0.1:${coordinator.grpcPort}`, grpc.credentials.createInsecure()),
  );
  await unary<calle.v1.RegisterResponse>(fleet, 'register', { edgeId: 'edge-a', district: 'centro' });
  const err = await unary(fleet, 'heartbeat', { edgeId: 'edge-b' }).catch((e: grpc.ServiceError) => e);
  t.is((err as grpc.ServiceError).code, grpc.status.NOT_FOUND);

  const { js } = await edgeClient(t, nats.url);
  await waitFor(
    async () => {
      try {
        await publishBatch(js, 'edge-a', [1, 2, 3]);
        return true;
      } catch {
        return false;
      }
    },
    10_000,
    'stream created by the coordinator',
  );
  await publishBatch(js, 'edge-a', [6]); // 4 and 5 never arrive: two gaps
  await publishBatch(js, 'edge-a', [2], 'edge-a:resend-2'); // a re-send under a new msg id
  let after = before;
  await waitFor(
    async () => {
      after = await scrape(coordinator.httpUrl);
      return sampleValue(after, 'calle_ingest_duplicates_total') === 1;
    },
    10_000,
    'duplicate counted',
  );
  t.is(sampleValue(after, 'calle_ingest_readings_total'), 4);
  t.is(sampleValue(after, 'calle_ingest_gaps'), 2);
  t.is(sampleValue(after, 'calle_edges', { state: 'registered' }), 1);
  t.is(sampleValue(after, 'calle_edges', { state: 'online' }), 1);
  t.is(sampleValue(after, 'calle_rollouts', { state: 'running' }), 0);
  const fleetLabels = { grpc_service: 'calle.v1.FleetService' };
  t.is(sampleValue(after, 'grpc_server_started_total', { ...fleetLabels, grpc_method: 'Register' }), 1);
  t.is(
    sampleValue(after, 'grpc_server_handled_total', {
      ...fleetLabels,
      grpc_method: 'Register',
      grpc_code: 'OK',
    }),
    1,
  );
  t.is(
    sampleValue(after, 'grpc_server_handled_total', {
      ...fleetLabels,
      grpc_method: 'Heartbeat',
      grpc_code: 'NOT_FOUND',
    }),
    1,
  );
  // A server stream is counted when it ends: here the edge hangs up its Watch.
  const policy = closeClientAfter(
    t,
    new PolicyClient(`127.0.0.1:${coordinator.grpcPort}`, grpc.credentials.createInsecure()),
  );
  const watch = (policy as unknown as { watch(r: object): grpc.ClientReadableStream<unknown> }).watch({
    edgeId: 'edge-a',
    lastAppliedVersion: 0,
  });
  watch.on('error', () => {}); // CANCELLED, expected
  const watchLabels = { grpc_service: 'calle.v1.PolicyService', grpc_method: 'Watch' };
  await waitFor(
    async () =>
      sampleValue(await scrape(coordinator.httpUrl), 'grpc_server_started_total', watchLabels) === 1,
    5_000,
    'watch started',
  );
  watch.cancel();
  await waitFor(
    async () =>
      sampleValue(await scrape(coordinator.httpUrl), 'grpc_server_handled_total', {
        ...watchLabels,
        grpc_code: 'CANCELLED',
      }) === 1,
    5_000,
    'watch counted as cancelled',
  );
  t.pass();
});
