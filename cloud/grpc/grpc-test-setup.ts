// Shared setup for the gRPC tests: a real server on port 0 over a real socket, with the coordinator
// services on a temp SQLite file, and generic clients from proto/index.ts.
import * as grpc from '@grpc/grpc-js';
import type { ExecutionContext } from 'ava';
import { FleetClient, PolicyClient } from '../../proto/index.js';
import { closeClientAfter, testLogger } from '../testing/harness.js';
import { localState, tempStore } from '../testing/local-state.js';
import { createFleetService } from './fleet-service.js';
import { startGrpcServer } from './grpc-server.js';
import { createPolicyService } from './policy-service.js';

export async function startServices(t: ExecutionContext) {
  const { log, lines } = testLogger(t);
  const store = tempStore(t);
  const { publisher } = await localState(store, log);
  const policyService = createPolicyService({ store, publisher, log });
  const server = await startGrpcServer({
    host: '127.0.0.1',
    port: 0,
    fleet: createFleetService({ store, log }),
    policy: policyService.handlers,
    log,
  });
  t.teardown(async () => {
    policyService.endWatches();
    await server.close(1_000);
  });
  const target = `127.0.0.1:${server.port}`;
  const fleet = closeClientAfter(t, new FleetClient(target, grpc.credentials.createInsecure()));
  const policy = closeClientAfter(t, new PolicyClient(target, grpc.credentials.createInsecure()));
  return { store, publisher, policyService, server, fleet, policy, lines };
}
