// `calle cloud`: the coordinator process wired together. The store (a SQLite file, or PostgreSQL
// shared by several coordinators) is the record; JetStream ingest fills it; gRPC serves the
// fleet's control plane; HTTP serves the operators' overview.
// Startup order puts the store first (everything depends on it) and ingest last among the
// background parts; shutdown runs in reverse so that nothing writes to a closed database.
import type { Logger } from 'pino';
import type { AuditLog } from '../common/audit/audit-log.js';
import { dirname, join } from 'node:path';
import { FleetServiceDefinition, PolicyServiceDefinition, type calle } from '../proto/index.js';
import { EdgeAdmission, type EnrolmentMode } from './enrolment/edge-admission.js';
import { EnrolmentStore } from './enrolment/enrolment-store.js';
import { registerDashboard } from './dashboard/dashboard.js';
import { localDecisions, replicatedDecisions } from './dashboard/enrolment-decisions.js';
import { createFleetService } from './grpc/fleet-service.js';
import { startGrpcServer, type RunningGrpcServer } from './grpc/grpc-server.js';
import type { GrpcTlsFiles } from './grpc/grpc-tls.js';
import { createPolicyService } from './grpc/policy-service.js';
import { isLoopbackHost, registerPolicyApi } from './http/policy-api.js';
import { registerRolloutApi } from './http/rollout-api.js';
import { buildStatusApi } from './http/status-api.js';
import { TelemetryIngest } from './ingest/telemetry-ingest.js';
import { checkServerUrls } from './nats/coordinator-nats.js';
import type { CoordinatorNatsAuth } from './nats/nats-credentials.js';
import type { OutageBudget } from './ingest/stream-sizing.js';
import { commandAuditRecorder } from './commands/command-audit.js';
import { CommandSender } from './commands/command-sender.js';
import { registerCommandApi } from './http/command-api.js';
import { ed25519Signer, ephemeralSigner, type PolicySigner } from './keys/policy-signer.js';
import { loadSigningKey } from './keys/signing-key.js';
import { createCoordinatorMetrics } from './metrics/coordinator-metrics.js';
import { instrumentHandlers } from './metrics/grpc-call-metrics.js';
import { registerMetricsRoute } from './metrics/metrics-route.js';
import { DEFAULT_RETENTION, type RetentionPolicy } from './store/retention.js';
import type { SiteInventory } from './ngsi/site-inventory.js';
import { PolicyHistory } from './policies/policy-history.js';
import { PolicyPublisher, type PolicyDraft, type PublishedPolicy } from './policies/policy-publisher.js';
import { PolicyRefresher } from './policies/policy-refresher.js';
import { EnrolmentBucket } from './replication/enrolment-bucket.js';
import type { ReplicaStatus, ReplicationOptions } from './replication/coordinator-replica.js';
import { RolloutManager } from './rollouts/rollout-manager.js';
import type { RolloutRecord } from './rollouts/rollout-store.js';
import type { PolicyAckRow } from './store/coordinator-store.js';
import { SqliteStore } from './store/sqlite/sqlite-store.js';
import { openStore } from './store/open-store.js';
import { openSharedState } from './replication/shared-state.js';
import { registerTelemetryApis } from './http/telemetry-apis.js';

export type { PolicyDraft };

export type { ReplicationOptions };

export interface CoordinatorOptions {
  /** SQLite database file; created and migrated if needed. */
  readonly dbPath: string;
  /** NATS server URLs. Need not be reachable at start: ingest connects when they are. */
  readonly natsServers: string[];
  /** The coordinator's NATS credentials (cloud/nats/nats-credentials.ts); absent: a server without users. */
  readonly natsAuth?: CoordinatorNatsAuth;
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
  /**
   * SQLite replicas sharing one NATS (cluster): fleet registry, policies, acks and rollouts live in
   * JetStream KV and this replica's SQLite file is its copy (cloud/replication). Absent: one
   * coordinator, one SQLite file.
   */
  readonly replication?: ReplicationOptions;
  /** The fleet dashboard's users, sessions and audit (cloud/dashboard); default dashboard.db beside dbPath. */
  readonly dashboardDbPath?: string;
  /** An edge unheard of for longer than this shows as stale on the dashboard; default 30 s. */
  readonly dashboardStaleAfterMs?: number;
  /**
   * 'required' (default, production): edges enrol with a one-time token and wait for approval
   * (cloud/enrolment). 'open': any well-formed edge id may register — the demo and tests only.
   */
  readonly enrolment?: EnrolmentMode;
  /**
   * IPv4 CIDRs whose clients may use the unauthenticated /api/ operator routes besides loopback
   * (cloud/http/loopback-only.ts): a published container port's bridge network, for example.
   */
  readonly apiAllow?: readonly string[];
  /**
   * How long a policy signature vouches for a bundle (`--policy-validity`; cloud/policies/
   * policy-validity.ts): default 7 days, re-signed while live once a day old.
   */
  readonly policyValidityMs?: number;
  /** How often live policies are checked for re-signing; default 10 min (tests use less). */
  readonly policyRefreshEveryMs?: number;
  /** The clock policies are issued, expired and re-signed by; default Date.now (tests move it). */
  readonly policyNow?: () => number;
  /**
   * How long ingest may be away with every reading kept in the hub, for how many cabinets: sizes
   * the ingest streams in bytes (cloud/ingest/stream-sizing.ts). Default: 1,000 cabinets, 24 h.
   */
  readonly outageBudget?: OutageBudget;
  /** How long each class of data is kept (`--retention`; cloud/store/retention.ts). */
  readonly retention?: RetentionPolicy;
}

export interface Coordinator {
  /** The port gRPC is bound to. */
  readonly grpcPort: number;
  /** Base URL of the status API, e.g. "http://127.0.0.1:8080". */
  readonly httpUrl: string;
  /** Key id of the key every policy is signed with. */
  readonly keyId: string;
  /** The fleet dashboard's one-time setup code while it has no user (creates the first engineer). */
  readonly dashboardSetupToken: string | undefined;
  /** Signed commands to one edge over NATS (cloud/commands); also at POST /api/edges/:id/commands. */
  readonly commands: CommandSender;
  /** The operators' hash-chained audit log (the dashboard's, which commands write to as well). */
  readonly audit: AuditLog;
  /** Stores a policy as the next version, signed, and pushes it to watching edges it targets. */
  publish(draft: PolicyDraft): Promise<calle.v1.PolicyBundle>;
  /** This replica's id and whether it leads the rollouts; undefined without replication. */
  readonly replica: ReplicaStatus | undefined;
  /** The edges' verdicts on one policy version, by edge id. */
  policyAcks(version: number): Promise<PolicyAckRow[]>;
  /** Staged rollouts (cloud/rollouts): start, follow, halt, resume, roll back. */
  readonly rollouts: RolloutManager;
  /** Stops everything. Safe to call more than once. */
  close(): Promise<void>;
}

export async function startCoordinator(options: CoordinatorOptions): Promise<Coordinator> {
  const log = options.log;
  // Credentials in a URL would be ignored and the coordinator would run without NATS: refuse at start.
  checkServerUrls(options.natsServers);
  // The key is read before the database is opened: a missing or unprotected key stops the start.
  const signer =
    options.signer ??
    (options.signingKeyFile ? ed25519Signer(loadSigningKey(options.signingKeyFile)) : undefined);
  const store = await openStore(options.dbPath, options.enrolment ?? 'required');
  // Everything after the database is started inside this try: a failure half-way (a port in use)
  // closes what was already opened instead of leaking it, then rethrows.
  const cleanups: (() => Promise<void> | void)[] = [async () => store.close()];
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
    const tickMs = options.rolloutTickMs ?? 1_000;
    // Enrolment records live beside the SQLite store; on PostgreSQL only open enrolment runs for
    // now (openStore refuses `required`), over an empty in-memory table set.
    const enrolmentStore = new EnrolmentStore(
      (store instanceof SqliteStore ? store : new SqliteStore(':memory:')).sqlite,
    );
    const state = await openSharedState({
      store,
      url: options.dbPath,
      replication: options.replication,
      natsServers: options.natsServers,
      natsAuth: options.natsAuth,
      enrolment: enrolmentStore,
      tickMs,
      log,
    });
    const replica = state.replica;
    // Closed after gRPC and HTTP (cleanups run in reverse), so their last writes are still copied.
    cleanups.push(async () => state.close());
    const shared = state.writes;
    // One signer for policies and commands; a throwaway key when none is configured (tests).
    const policySigner = signer ?? ephemeralSigner();
    const publisher = new PolicyPublisher(store.policies, log.child({ module: 'policies' }), {
      signer: policySigner,
      replication: shared,
      ...(options.policyValidityMs !== undefined ? { validityMs: options.policyValidityMs } : {}),
      ...(options.policyNow ? { now: options.policyNow } : {}),
    });
    if (!signer)
      log.warn({ keyId: publisher.keyId }, 'policies: signed with a throwaway key (no signing key file)');
    const history = new PolicyHistory(store);
    const rollouts = new RolloutManager({
      store,
      publisher,
      history,
      log: log.child({ module: 'rollouts' }),
      tickMs,
      replication: shared,
    });
    cleanups.push(() => rollouts.close());
    const sink = {
      announce: async (p: PublishedPolicy) => publisher.announce(p),
      rollout: (r: RolloutRecord) => rollouts.applyReplicated(r),
      refresh: async (p: PublishedPolicy) => publisher.announceRefresh(p),
    };
    // Before anything serves: the gates must be known, and on a replica an edge registered on
    // another replica must be known here.
    await state.start(sink);
    // Re-signs live policies before they expire (the lease holder only, when replicated).
    const refresher = new PolicyRefresher({
      store,
      signer: policySigner,
      publisher,
      log: log.child({ module: 'policy-refresh' }),
      replication: shared,
      ...(options.policyNow ? { now: options.policyNow } : {}),
      ...(options.policyRefreshEveryMs !== undefined ? { everyMs: options.policyRefreshEveryMs } : {}),
    });
    refresher.start();
    cleanups.push(async () => refresher.stop());
    const enrolment = options.enrolment ?? 'required';
    // Marks a replica's file so that `calle fleet` without --nats refuses to write into the copy.
    enrolmentStore.markReplicated(replica !== undefined);
    const admission = new EdgeAdmission({
      mode: enrolment,
      store: enrolmentStore,
      log: log.child({ module: 'enrolment' }),
      ...(replica ? { spender: replica.enrolment } : {}),
    });
    if (enrolment === 'open')
      log.warn('enrolment: open — any edge id may register without a token or approval (demo/tests only)');
    const policyService = createPolicyService({
      store,
      publisher,
      log: log.child({ module: 'policy-service' }),
      gate: rollouts,
      admission,
    });

    const metrics = createCoordinatorMetrics({
      edgeStatus: async () => store.registry.listStatus(),
      rolloutStates: async () => (await store.rollouts.list()).map((r) => r.record.state),
      // Read at scrape time; the dashboard (and its audit log) opens further down.
      auditWriteFailures: () => dashboard.access.audit.stats().writeFailures,
    });
    const grpc: RunningGrpcServer = await startGrpcServer({
      host: options.grpcHost,
      port: options.grpcPort,
      fleet: instrumentHandlers(
        'calle.v1.FleetService',
        FleetServiceDefinition,
        createFleetService({ store, log: log.child({ module: 'fleet-service' }), admission }),
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

    const http = buildStatusApi({
      store,
      log: log.child({ module: 'http' }),
      ...(options.apiAllow ? { apiAllow: options.apiAllow } : {}),
    });
    registerPolicyApi(http, { publisher, history });
    registerRolloutApi(http, { rollouts, store, gateTickMs: tickMs });
    registerMetricsRoute(http, metrics.registry, async () => metrics.refresh());
    const telemetryApis = registerTelemetryApis(http, {
      store,
      inventory: options.ngsiInventory ?? new Map(),
      snapshotTtlMs: options.ngsiSnapshotTtlMs,
      retention: options.retention ?? DEFAULT_RETENTION,
      log: log.child({ module: 'retention' }),
    });
    cleanups.push(async () => telemetryApis.stop());
    // Commands and the dashboard's enrolment decisions use ingest's NATS connection (started below).
    const ingestRef: { current?: TelemetryIngest } = {};
    const dashboard = registerDashboard(http, {
      dbPath:
        options.dashboardDbPath ??
        (store instanceof SqliteStore
          ? join(dirname(options.dbPath), 'dashboard.db')
          : './calle-dashboard.db'),
      rollouts,
      store,
      publisher,
      history,
      // The same paths as `calle fleet approve|revoke`: the store on this database, or on a replica
      // the KV record by compare-and-set (bound lazily on ingest's connection; bucket made at start).
      enrolment: !(store instanceof SqliteStore)
        ? undefined
        : replica
          ? replicatedDecisions({
              store: enrolmentStore,
              bucket: async () => {
                const nc = ingestRef.current?.connection;
                if (!nc) throw new Error('NATS is not connected');
                return EnrolmentBucket.bind(nc);
              },
              applied: async (revision) => replica.mirror.applied('enrolment', revision),
            })
          : localDecisions(enrolmentStore),
      log: log.child({ module: 'dashboard' }),
      ...(options.dashboardStaleAfterMs !== undefined ? { staleAfterMs: options.dashboardStaleAfterMs } : {}),
    });
    cleanups.push(() => dashboard.close());
    // Commands to one edge go out on ingest's NATS connection; each attempt is an audit row of the
    // dashboard's log (the edge writes its own row for what it did or refused).
    const commands = new CommandSender({
      connection: () => ingestRef.current?.connection,
      signer: policySigner,
      log: log.child({ module: 'commands' }),
      record: commandAuditRecorder(dashboard.access.audit),
    });
    registerCommandApi(http, { sender: commands });
    if (!isLoopbackHost(options.httpHost))
      log.info(
        { httpHost: options.httpHost },
        'http: /api/ (policies, rollouts, commands) answers loopback clients only; operators use /dashboard/',
      );
    cleanups.push(async () => {
      await http.close();
    });
    const httpUrl = await http.listen({ host: options.httpHost, port: options.httpPort });

    const ingest = TelemetryIngest.start({
      servers: options.natsServers,
      auth: options.natsAuth,
      store: store.telemetry,
      log: log.child({ module: 'ingest' }),
      // SQLite replicas each read everything into their copy; coordinators sharing PostgreSQL
      // share the durable consumers, so JetStream divides the stream between them.
      ...(replica && options.replication ? { replicaId: options.replication.replicaId } : {}),
      ...(options.outageBudget ? { outageBudget: options.outageBudget } : {}),
    });
    ingestRef.current = ingest;
    cleanups.push(async () => {
      await ingest.close();
    });

    log.info(
      { grpcPort: grpc.port, httpUrl, nats: options.natsServers, natsAuth: options.natsAuth?.who ?? 'none' },
      'coordinator started',
    );

    let closing: Promise<void> | undefined;
    return {
      grpcPort: grpc.port,
      httpUrl,
      keyId: publisher.keyId,
      get dashboardSetupToken() {
        return dashboard.access.setup.value;
      },
      commands,
      audit: dashboard.access.audit,
      publish: async (draft) => publisher.publish(draft),
      replica: state.status,
      policyAcks: async (version) => store.policies.acks(version),
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
