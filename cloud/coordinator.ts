// `calle cloud`: the coordinator process wired together. One SQLite file is the record; JetStream
// ingest fills it; gRPC serves the fleet's control plane; HTTP serves the operators' overview.
// Startup order puts the store first (everything depends on it) and ingest last among the
// background parts; shutdown runs in reverse so that nothing writes to a closed database.
import type { Logger } from 'pino';
import { FleetServiceDefinition, PolicyServiceDefinition, type calle } from '../proto/index.js';
import { createFleetService } from './grpc/fleet-service.js';
import { startGrpcServer, type RunningGrpcServer } from './grpc/grpc-server.js';
import type { GrpcTlsFiles } from './grpc/grpc-tls.js';
import { createPolicyService } from './grpc/policy-service.js';
import { isLoopbackHost, registerPolicyApi } from './http/policy-api.js';
import { registerRolloutApi } from './http/rollout-api.js';
import { buildStatusApi } from './http/status-api.js';
import { TelemetryIngest } from './ingest/telemetry-ingest.js';
import { ed25519Signer, type PolicySigner } from './keys/policy-signer.js';
import { loadSigningKey } from './keys/signing-key.js';
import { createCoordinatorMetrics } from './metrics/coordinator-metrics.js';
import { instrumentHandlers } from './metrics/grpc-call-metrics.js';
import { registerMetricsRoute } from './metrics/metrics-route.js';
import { EntitySource } from './ngsi/entity-source.js';
import { registerNgsiApi } from './ngsi/ngsi-api.js';
import type { SiteInventory } from './ngsi/site-inventory.js';
import { PolicyHistory } from './policies/policy-history.js';
import { PolicyPublisher, type PolicyDraft } from './policies/policy-publisher.js';
import { RolloutManager } from './rollouts/rollout-manager.js';
import { RolloutStore } from './rollouts/rollout-store.js';
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
  /**
   * PEM file of the Ed25519 policy signing key (`calle keys init`). Without it (and without
   * `signer`) policies are signed with a key that dies with the process: only for tests.
   */
  readonly signingKeyFile?: string;
  /** Signs policies instead of signingKeyFile (tests stand in for a compromised path with it). */
  readonly signer?: PolicySigner;
  /** How often staged rollouts' health gates are evaluated; default 1 s (tests use less). */
  readonly rolloutTickMs?: number;
  /** gRPC over TLS, mutual when a client CA is given (cloud/grpc/grpc-tls.ts). */
  readonly grpcTls?: GrpcTlsFiles;
  /**
   * Cabinet and device positions and lighting groups for the NGSI-LD entities (cloud/ngsi/
   * site-inventory.ts); without it only TrafficFlowObserved entities can be served.
   */
  readonly ngsiInventory?: SiteInventory;
  /** How long one NGSI-LD snapshot of the live data is reused; default 5 s (tests use 0). */
  readonly ngsiSnapshotTtlMs?: number;
}

export interface Coordinator {
  /** The port gRPC is bound to. */
  readonly grpcPort: number;
  /** Base URL of the status API, e.g. "http://127.0.0.1:8080". */
  readonly httpUrl: string;
  /** Key id of the key every policy is signed with. */
  readonly keyId: string;
  /** Stores a policy as the next version, signed, and pushes it to watching edges it targets. */
  publishPolicy(draft: PolicyDraft): calle.v1.PolicyBundle;
  /** The edges' verdicts on one policy version, by edge id. */
  policyAcks(version: number): PolicyAckRow[];
  /** Staged rollouts (cloud/rollouts): start, follow, halt, resume, roll back. */
  readonly rollouts: RolloutManager;
  /** Stops everything. Safe to call more than once. */
  close(): Promise<void>;
}

export async function startCoordinator(options: CoordinatorOptions): Promise<Coordinator> {
  const log = options.log;
  // The key is read before the database is opened: a missing or unprotected key stops the start.
  const signer =
    options.signer ??
    (options.signingKeyFile ? ed25519Signer(loadSigningKey(options.signingKeyFile)) : undefined);
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
    const publisher = new PolicyPublisher(db, log.child({ module: 'policies' }), signer ? { signer } : {});
    if (!signer)
      log.warn({ keyId: publisher.keyId }, 'policies: signed with a throwaway key (no signing key file)');
    const history = new PolicyHistory(db);
    const rolloutStore = new RolloutStore(options.dbPath);
    cleanups.push(() => rolloutStore.close());
    const rollouts = new RolloutManager({
      store: rolloutStore,
      publisher,
      history,
      log: log.child({ module: 'rollouts' }),
      ...(options.rolloutTickMs !== undefined ? { tickMs: options.rolloutTickMs } : {}),
    });
    cleanups.push(() => rollouts.close());
    const policyService = createPolicyService({
      db,
      publisher,
      log: log.child({ module: 'policy-service' }),
      gate: rollouts,
    });

    const metrics = createCoordinatorMetrics({
      edgeStatus: () => db.listEdgeStatus(),
      rolloutStates: () => rolloutStore.list().map((r) => r.state),
    });
    const grpc: RunningGrpcServer = await startGrpcServer({
      host: options.grpcHost,
      port: options.grpcPort,
      fleet: instrumentHandlers(
        'calle.v1.FleetService',
        FleetServiceDefinition,
        createFleetService({ db, log: log.child({ module: 'fleet-service' }) }),
        metrics.grpc,
      ),
      policy: instrumentHandlers(
        'calle.v1.PolicyService',
        PolicyServiceDefinition,
        policyService.handlers,
        metrics.grpc,
      ),
      log: log.child({ module: 'grpc' }),
      ...(options.grpcTls ? { tls: options.grpcTls } : {}),
    });
    cleanups.push(async () => {
      // Watch streams never end on their own; end them first (edges reconnect and resume), or the
      // graceful shutdown would always run into its timeout.
      policyService.endWatches();
      await grpc.close();
    });

    const http = buildStatusApi({ db, log: log.child({ module: 'http' }) });
    registerPolicyApi(http, { publisher, history });
    registerRolloutApi(http, { rollouts, store: rolloutStore });
    registerMetricsRoute(http, metrics.registry);
    const ngsi = new EntitySource({
      db,
      dbPath: options.dbPath,
      inventory: options.ngsiInventory ?? new Map(),
      ...(options.ngsiSnapshotTtlMs !== undefined ? { ttlMs: options.ngsiSnapshotTtlMs } : {}),
    });
    cleanups.push(() => ngsi.close());
    registerNgsiApi(http, { entities: () => ngsi.entities() });
    if (!isLoopbackHost(options.httpHost))
      log.warn(
        { httpHost: options.httpHost },
        'http: the policy API has no authentication yet; anyone who reaches it can publish policies',
      );
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
      keyId: publisher.keyId,
      publishPolicy: (draft) => publisher.publishPolicy(draft),
      policyAcks: (version) => db.listPolicyAcks(version),
      rollouts,
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
