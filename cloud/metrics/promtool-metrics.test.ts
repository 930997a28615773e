// The coordinator's /metrics, from a real coordinator (NATS, gRPC, SQLite) after some traffic,
// through Prometheus's own `promtool check metrics`: any parse error or lint problem fails, named.
import * as grpc from '@grpc/grpc-js';
import test from 'ava';
import { join } from 'node:path';
import { promtoolCheckMetrics } from '../../common/metrics/testing/promtool.js';
import { FleetClient, type calle } from '../../proto/index.js';
import { startCoordinator } from '../coordinator.js';
import { closeClientAfter, startNats, tempDir, testLogger, unary } from '../testing/harness.js';

test('coordinator metrics — /metrics passes promtool check metrics', async (t) => {
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
    enrolment: 'open',
  });
  t.teardown(async () => coordinator.close());
  // Labelled gRPC series exist only once a call was made.
  const fleet = closeClientAfter(
    t,
    new FleetClient(`127.0.0.1:${coordinator.grpcPort}`, grpc.credentials.createInsecure()),
  );
  await unary<calle.v1.RegisterResponse>(fleet, 'register', { edgeId: 'edge-a', district: 'centro' });

  const res = await fetch(`${coordinator.httpUrl}/metrics`);
  t.is(res.status, 200);
  const text = await res.text();
  const { code, problems } = await promtoolCheckMetrics(text);
  t.deepEqual(problems, [], 'promtool found fault');
  t.is(code, 0);
  t.regex(text, /^grpc_server_handled_total\{.*grpc_method="Register".*\} 1$/m, 'the scrape saw the traffic');
});
