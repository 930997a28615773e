// `calle cloud`: the coordinator process wired together. One SQLite file is the record; JetStream
// ingest fills it; gRPC serves the fleet's control plane; HTTP serves the operators' overview.
// Startup order puts the store first (everything depends on it) and ingest last among the
// background parts; shutdown runs in reverse so that nothing writes to a closed database.
import type { Logger } from 'pino';
import type { calle } from '../proto/index.js';
import { createFleetService } from './grpc/fleet-service.js';
import { startGrpcServer, type RunningGrpcServer } from './grpc/grpc-server.js';
import { createPolicyService } from './grpc/policy-service.js';
import { buildStatusApi } from './http/status-api.js';
import { TelemetryIngest } from './ingest/telemetry-ingest.js';
import { PolicyPublisher, type PolicyDraft } from './policies/policy-publisher.js';
import { CoordinatorDb, type PolicyAckRow } from './store/coordinator-db.js';

export type { PolicyDraft };

export interface CoordinatorOptions {
  /** SQLite database file; created and migrated if needed. */
  readonly dbPath: string;
  /** NATS server URLs. Need not be reachable at start: ingest connects when they are. */
  readonly natsServers: string[];
  readonly grpcHost: string;
  /** 0 picks a free port; see the returned grpcPort. */
  readonly grpcPort: number;
  readonly httpHost: string;
  /** 0 picks a free port; see the returned httpUrl. */
  readonly httpPort: number;
  /** Root logger; each module gets a child. */
  readonly log: Logger;
}

export interface Coordinator {
  /** The port gRPC is bound to. */
  readonly grpcPort: number;
  /** Base URL of the status API, e.g. "http://127.0.0.1:8080". */
  readonly httpUrl: string;
  /** Stores a policy as the next version and pushes it to watching edges it targets. */
  publishPolicy(draft: PolicyDraft): calle.v1.PolicyBundle;
  /** The edges' verdicts on one policy version, by edge id. */
  policyAcks(version: number): PolicyAckRow[];
  /** Stops everything. Safe to call more than once. */
  close(): Promise<void>;
}

export async function startCoordinator(options: CoordinatorOptions): Promise<Coordinator> {
  const log = options.log;
  const db = new CoordinatorDb(options.dbPath);
  // Everything after the database is started inside this try: a failure half-way (a port in use)
  // closes what was already opened instead of leaking it, then rethrows.
  const cleanups: (() => Promise<void> | void)[] = [() => db.close()];
  const unwind = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (err) {
        log.error({ err }, 'error during coordinator shutdown');
      }
    }
  };

  try {
    const publisher = new PolicyPublisher(db, log.child({ module: 'policies' }));
    const policyService = createPolicyService({
      db,
      publisher,
      log: log.child({ module: 'policy-service' }),
    });

    const grpc: RunningGrpcServer = await startGrpcServer({
      host: options.grpcHost,
      port: options.grpcPort,
      fleet: createFleetService({ db, log: log.child({ module: 'fleet-service' }) }),
      policy: policyService.handlers,
      log: log.child({ module: 'grpc' }),
    });
    cleanups.push(async () => {
      // Watch streams never end on their own; end them first (edges reconnect and resume), or the
      // graceful shutdown would always run into its timeout.
      policyService.endWatches();
      await grpc.close();
    });

    const http = buildStatusApi({ db, log: log.child({ module: 'http' }) });
    cleanups.push(async () => {
      await http.close();
    });
    const httpUrl = await http.listen({ host: options.httpHost, port: options.httpPort });

    const ingest = TelemetryIngest.start({
      servers: options.natsServers,
      db,
      log: log.child({ module: 'ingest' }),
    });
    cleanups.push(async () => {
      await ingest.close();
    });

    log.info({ grpcPort: grpc.port, httpUrl, nats: options.natsServers }, 'coordinator started');

    let closing: Promise<void> | undefined;
    return {
      grpcPort: grpc.port,
      httpUrl,
      publishPolicy: (draft) => publisher.publishPolicy(draft),
      policyAcks: (version) => db.listPolicyAcks(version),
      async close() {
        closing ??= unwind().then(() => log.info('coordinator stopped'));
        return closing;
      },
    };
  } catch (err) {
    await unwind();
    throw err;
  }
}
