// One edge node: the process in the street cabinet. It wires the site (devices and control
// loops), the durable store, the console, and the two uplinks. Control starts first and never
// waits for the network: with no NATS and no coordinator the street is still lit and its signals
// still cycle, and the outbox keeps every reading until the uplink returns.
//
// Before all of it the node takes the store's lock (edge/store/store-lock.ts): one controller per
// store. Every part started is recorded (edge/system/started-parts.ts), so a start that fails
// half-way — a console port in use, a bad file — stops what it had started and rethrows.
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { AuditLog } from '../common/audit/audit-log.js';
import { auditAlarms } from './audit/audit-alarms.js';
import { auditedSink } from './audit/audited-sink.js';
import type { EdgeConfig } from './config/edge-config.js';
import { createConsole } from './console/console-server.js';
import { createEdgeMetrics, timeTicks } from './metrics/edge-metrics.js';
import { startEnergyRecording } from './energy/energy-recorder.js';
import { EdgeSite } from './site/edge-site.js';
import { openDatabase } from '../common/sqlite/open-database.js';
import { lockStore } from './store/store-lock.js';
import { StartedParts } from './system/started-parts.js';
import { Outbox } from './store/outbox.js';
import { PolicyStore } from './store/policy-store.js';
import { ephemeralEdgeKey, loadOrCreateEdgeKey } from '../common/signing/edge-identity.js';
import { CoordinatorLink } from './sync/coordinator-link.js';
import { channelCredentials } from './sync/grpc-credentials.js';
import { CommandReceiver } from './commands/command-receiver.js';
import { DEFAULT_ALLOWED_COMMANDS } from '../common/commands/command-types.js';
import { ByteBudget } from './sync/byte-budget.js';
import { NatsLink, readNkeySeed } from './sync/nats-link.js';
import { OutboxPublisher } from './sync/outbox-publisher.js';
import { loadPinnedKey } from './trust/pinned-key.js';
import { PolicyFreshness, policyFreshnessStatus } from './trust/policy-freshness.js';
import { PolicyPipeline } from './policy/policy-pipeline.js';
import { PolicyTrust } from './trust/policy-trust.js';
import { openConsoleAccess } from './users/console-access.js';
import { SOFTWARE_VERSION } from './version.js';
import { EDGE_MIGRATIONS } from './store/migrations.js';

export interface EdgeNodeHandle {
  /** Base URL of the local console. */
  readonly consoleUrl: string;
  readonly site: EdgeSite;
  readonly outbox: Outbox;
  /** The hash-chained audit trail; the console and the supervisor append to it. */
  readonly audit: AuditLog;
  /** The console's one-time setup token while the node has no console user (common/access). */
  readonly consoleSetupToken: string | undefined;
  close(): Promise<void>;
}

export interface EdgeNodeOptions {
  /** The node's clock (tests run the street at night whatever the hour); default Date.now. */
  readonly now?: () => number;
  /** How often the running policy's expiry is checked (policy-freshness.ts); default 60 s (tests less). */
  readonly policyCheckEveryMs?: number;
}

/**
 * Starts the node. Throws StoreLockedError (edge/store/store-lock.ts) when another process holds
 * the store; any other start failure stops every part already started before it is rethrown.
 */
export async function startEdgeNode(
  config: EdgeConfig,
  log: Logger,
  options: EdgeNodeOptions = {},
): Promise<EdgeNodeHandle> {
  const parts = new StartedParts(log);
  try {
    // First of all: nothing may be read, opened or started on a store another process runs.
    if (config.store.path !== ':memory:') {
      const lock = lockStore(config.store.path, SOFTWARE_VERSION);
      parts.add('store lock', () => lock.release());
    }
    return await startParts(config, log, options, parts);
  } catch (err) {
    if (parts.names.length > 0)
      log.error({ err, started: parts.names }, 'edge: start failed; stopping every part already started');
    await parts.stopAll();
    throw err;
  }
}

async function startParts(
  config: EdgeConfig,
  log: Logger,
  options: EdgeNodeOptions,
  parts: StartedParts,
): Promise<EdgeNodeHandle> {
  const edgeId = config.edge.id;
  const now = options.now ?? Date.now;
  // The pinned key is read before anything is opened: a bad key file stops the start cleanly.
  const pinned = config.trust ? loadPinnedKey(config.trust.coordinatorKey, config.file) : undefined;
  const nextKey = config.trust?.nextCoordinatorKey;
  const next = nextKey ? loadPinnedKey(nextKey, config.file, 'trust.nextCoordinatorKey') : undefined;
  // The identity key lives beside the store (/var/lib/calle): made at the first start, then only read.
  const key =
    config.store.path === ':memory:' ? ephemeralEdgeKey() : loadOrCreateEdgeKey(dirname(config.store.path));
  log.info(
    { keyId: key.keyId, file: key.file || undefined },
    key.created ? "identity: created this edge's key" : "identity: loaded this edge's key",
  );
  // Checked before anything is opened, like the keys: a bad seed file stops the start cleanly.
  if (config.nats?.nkeySeedFile) readNkeySeed(config.nats.nkeySeedFile);
  const coordinatorTls = config.coordinator?.tls;
  const credentials = coordinatorTls
    ? channelCredentials({
        caFile: coordinatorTls.ca,
        ...(coordinatorTls.cert && coordinatorTls.key
          ? { certFile: coordinatorTls.cert, keyFile: coordinatorTls.key }
          : {}),
      })
    : undefined;
  const db = openDatabase(config.store.path, EDGE_MIGRATIONS);
  parts.add('store', () => {
    db.close();
  });
  const outbox = new Outbox({ db, edgeId, log: log.child({ module: 'outbox' }), now });
  const audit = new AuditLog({
    db,
    log: log.child({ module: 'audit' }),
    now,
    // IEC 62443-4-2 CR 2.9 and 2.10: a filling or failing audit log is an alarm.
    ...auditAlarms((event) => outbox.raise(event), now, log.child({ module: 'audit' })),
  });
  const policies = new PolicyStore(db);
  // Every policy, from the coordinator or from the store at boot, is verified here first.
  const trust = new PolicyTrust({ db, pinned, next, log: log.child({ module: 'trust' }), now });
  if (next)
    log.info(
      { keyId: pinned?.keyId, nextKeyId: next.keyId },
      'trust: key rotation: the next coordinator key is pinned too',
    );
  const site = new EdgeSite({
    config,
    sink: auditedSink(outbox, audit, edgeId),
    log: log.child({ module: 'site' }),
    now,
  });

  // Every bundle, the stored one at boot and each from the coordinator, goes through the one
  // pipeline: trust, bounds, apply, store + audit, ack (edge/policy/policy-pipeline.ts).
  const freshness = new PolicyFreshness({
    raise: (event) => outbox.raise(event),
    log: log.child({ module: 'policy-freshness' }),
    now,
    ...(options.policyCheckEveryMs !== undefined ? { checkEveryMs: options.policyCheckEveryMs } : {}),
  });
  const pipeline = new PolicyPipeline({
    trust,
    site,
    policies,
    audit,
    outbox,
    freshness,
    log: log.child({ module: 'policies' }),
    now,
  });
  // Autonomy first: a cold boot runs the last policy this node applied, before any network.
  pipeline.restore();
  freshness.start();
  parts.add('policy freshness', () => freshness.stop());
  parts.add('site', async () => site.stop());
  site.start();
  // Billing evidence (energy.db beside the store): hourly hash-chained records per lighting group.
  const energy = startEnergyRecording({
    file: config.store.path === ':memory:' ? ':memory:' : join(dirname(config.store.path), 'energy.db'),
    now,
    groups: () => site.lightingGroups(),
    log: log.child({ module: 'energy' }),
  });
  parts.add('energy records', () => energy.stop());
  outbox.raise({
    code: 'EDGE_STARTED',
    severity: 'info',
    message: `calle edge ${SOFTWARE_VERSION} started`,
    timeMs: Date.now(),
    active: false,
  });

  const nats = config.nats
    ? new NatsLink({
        servers: config.nats.servers,
        edgeId,
        log: log.child({ module: 'nats' }),
        ...(config.nats.nkeySeedFile ? { nkeySeedFile: config.nats.nkeySeedFile } : {}),
      })
    : undefined;
  if (nats) parts.add('nats', async () => nats.close());
  const publisher = nats
    ? new OutboxPublisher({
        outbox,
        connection: () => nats.connection,
        edgeId,
        log: log.child({ module: 'publisher' }),
        ...(config.nats?.budget ? { budget: new ByteBudget(config.nats.budget) } : {}),
      })
    : undefined;
  publisher?.start();
  if (publisher) parts.add('publisher', async () => publisher.stop());
  if (!nats) log.warn('uplink: no NATS configured; telemetry stays in the outbox');
  // Remote commands need both the uplink and the pinned key they are signed with.
  const commands =
    nats && pinned
      ? new CommandReceiver({
          edgeId,
          pinnedKeys: trust.keys,
          allowed: config.commands?.allow ?? DEFAULT_ALLOWED_COMMANDS,
          db,
          actions: site,
          audit,
          log: log.child({ module: 'commands' }),
          now,
        })
      : undefined;
  if (commands) parts.add('commands', () => commands.close());
  if (nats && commands)
    void nats.firstConnection().then((nc) => {
      if (nc) commands.listen(nc);
    });
  else if (nats) log.warn('commands: no trust.coordinatorKey configured; remote commands are not accepted');

  const coordinator = config.coordinator
    ? new CoordinatorLink({
        address: config.coordinator.grpc,
        identity: {
          edgeId,
          district: config.edge.district,
          tags: config.edge.tags,
          softwareVersion: SOFTWARE_VERSION,
        },
        log: log.child({ module: 'coordinator' }),
        key,
        ...(config.coordinator.enrolmentToken ? { enrolmentToken: config.coordinator.enrolmentToken } : {}),
        ...(credentials ? { credentials } : {}),
        host: {
          heartbeat: () => {
            const s = outbox.stats();
            return {
              highestSeq: s.highestSeq,
              outboxPending: s.pending,
              policyVersion: site.policyVersion,
              devicesUnavailable: site.devices().filter((d) => !d.available).length,
            };
          },
          policyVersion: () => site.policyVersion,
          policyExpiresMs: () => pipeline.runningExpiresMs,
          applyPolicy: (bundle) => pipeline.receive(bundle),
        },
      })
    : undefined;
  if (coordinator) freshness.rerequest = () => coordinator.requestPolicy();
  coordinator?.start();
  if (coordinator) parts.add('coordinator link', () => coordinator.stop());
  if (!coordinator) log.warn('uplink: no coordinator configured; running on local policy');

  const metrics = createEdgeMetrics({
    edgeId,
    outboxStats: () => outbox.stats(),
    devices: () => site.devices(),
    natsConnected: () => nats?.connected ?? false,
    coordinatorConnected: () => coordinator?.connected ?? false,
    policyVersion: () => site.policyVersion,
  });
  timeTicks(site, metrics.tickSeconds);

  const consoleLog = log.child({ module: 'console' });
  // Wall-clock time for sessions and lockouts, whatever clock the street runs on.
  const access = openConsoleAccess({ db, audit, log: consoleLog });
  const consoleApp = createConsole({
    log: consoleLog,
    access,
    actions: {
      clearSignalLatch: (id, origin) => site.clearSignalLatch(id, origin),
      flashIntersection: (id, actor) => site.flashIntersection(id, actor),
      restoreIntersection: (id, actor) => site.restoreIntersection(id, actor),
      overrideLighting: (group, levelPct, durationS, actor) =>
        site.overrideLighting(group, levelPct, durationS, actor),
      clearLightingOverride: (group, actor) => site.clearLightingOverride(group, actor),
    },
    lightingGroups: () => site.lightingGroups(),
    signals: () => site.signalStates(),
    collectionList: (horizonMs) => site.collectionList(horizonMs),
    stagedPolicy: () => site.stagedPolicy(),
    metrics: () =>
      metrics.registry.render((name, err) => consoleLog.warn({ err, name }, 'metrics: collector failed')),
    ...(config.store.path !== ':memory:' ? { diskPath: dirname(config.store.path) } : {}),
    source: {
      devices: () => site.devices(),
      onChange: (listener) => site.onChange(listener),
      status: () => {
        const s = outbox.stats();
        return {
          edgeId,
          district: config.edge.district,
          policyVersion: site.policyVersion,
          ...policyFreshnessStatus(freshness.view),
          outbox: { pending: s.pending, highestSeq: s.highestSeq, oldestPendingAgeS: s.oldestPendingAgeS },
          uplink: {
            nats: nats?.connected ? 'connected' : 'disconnected',
            coordinator: coordinator?.connected ? 'connected' : 'disconnected',
          },
        };
      },
    },
  });
  parts.add('console', async () => consoleApp.close());
  const consoleUrl = await consoleApp.listen({ host: config.console.host, port: config.console.port });

  return {
    consoleUrl,
    site,
    outbox,
    audit,
    get consoleSetupToken() {
      return access.setup.value;
    },
    // Reverse order of start: stop taking requests, stop the uplinks, stop control, close the
    // file, release the store.
    close: async () => parts.stopAll(),
  };
}
