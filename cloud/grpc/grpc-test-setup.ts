// Shared setup for the gRPC tests: a real server on port 0 over a real socket, with the coordinator
// services on a temp SQLite file, and generic clients from proto/index.ts.
import * as grpc from '@grpc/grpc-js';
import type { ExecutionContext } from 'ava';
import { join } from 'node:path';
import { FleetClient, PolicyClient } from '../../proto/index.js';
import { PolicyPublisher } from '../policies/policy-publisher.js';
import { CoordinatorDb } from '../store/coordinator-db.js';
import { closeClientAfter, tempDir, testLogger } from '../testing/harness.js';
import { createFleetService } from './fleet-service.js';
import { startGrpcServer } from './grpc-server.js';
import { createPolicyService } from './policy-service.js';

export async function startServices(t: ExecutionContext) {
  const { log, lines } = testLogger(t);
  const db = new CoordinatorDb(join(tempDir(t), 'coordinator.db'));
  const publisher = new PolicyPublisher(db, log);
  const policyService = createPolicyService({ db, publisher, log });
  const server = await startGrpcServer({
    host: '127.0.0.1',
    port: 0,
    fleet: createFleetService({ db, log }),
    policy: policyService.handlers,
    log,
  });
  t.teardown(async () => {
    policyService.endWatches();
    await server.close(1_000);
    db.close();
  });
  const target = `127.0.0.1:${server.port}`;
  const fleet = closeClientAfter(t, new FleetClient(target, grpc.credentials.createInsecure()));
  const policy = closeClientAfter(t, new PolicyClient(target, grpc.credentials.createInsecure()));
  return { db, publisher, policyService, server, fleet, policy, lines };
}
