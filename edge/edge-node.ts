// One edge node: the process in the street cabinet. It wires the site (devices and control
// loops), the durable store, the console, and the two uplinks. Control starts first and never
// waits for the network: with no NATS and no coordinator the street is still lit and its signals
// still cycle, and the outbox keeps every reading until the uplink returns.
import type { Logger } from 'pino';
import type { calle } from '../proto/index.js';
import type { EdgeConfig } from './config/edge-config.js';
import { createConsole } from './console/console-server.js';
import { EdgeSite } from './site/edge-site.js';
import { openDatabase } from './store/edge-db.js';
import { Outbox } from './store/outbox.js';
import { PolicyStore } from './store/policy-store.js';
import { CoordinatorLink } from './sync/coordinator-link.js';
import { NatsLink } from './sync/nats-link.js';
import { OutboxPublisher } from './sync/outbox-publisher.js';
import { SOFTWARE_VERSION } from './version.js';

export interface EdgeNodeHandle {
  /** Base URL of the local console. */
  readonly consoleUrl: string;
  readonly site: EdgeSite;
  readonly outbox: Outbox;
  close(): Promise<void>;
}

export async function startEdgeNode(config: EdgeConfig, log: Logger): Promise<EdgeNodeHandle> {
  const edgeId = config.edge.id;
  const db = openDatabase(config.store.path);
  const outbox = new Outbox({ db, edgeId, log: log.child({ module: 'outbox' }) });
  const policies = new PolicyStore(db);
  const site = new EdgeSite({ config, sink: outbox, log: log.child({ module: 'site' }) });

  // Autonomy first: a cold boot runs the last policy this node applied, before any network.
  const stored = policies.latest();
  if (stored) {
    const verdict = site.applyPolicy(stored);
    if (verdict.applied)
      log.info({ version: Number(stored.version) }, 'policy: restored the last applied policy');
    else
      log.error(
        { version: Number(stored.version), reason: verdict.reason },
        'policy: stored policy refused; running built-in defaults',
      );
  } else {
    log.info('policy: none applied yet; running built-in defaults');
  }
  site.start();
  outbox.raise({
    code: 'EDGE_STARTED',
    severity: 'info',
    message: `calle edge ${SOFTWARE_VERSION} started`,
    timeMs: Date.now(),
    active: false,
  });

  const nats = config.nats
    ? new NatsLink({ servers: config.nats.servers, name: edgeId, log: log.child({ module: 'nats' }) })
    : undefined;
  const publisher = nats
    ? new OutboxPublisher({
        outbox,
        connection: () => nats.connection,
        edgeId,
        log: log.child({ module: 'publisher' }),
      })
    : undefined;
  publisher?.start();
  if (!nats) log.warn('uplink: no NATS configured; telemetry stays in the outbox');

  const applyPolicy = (bundle: calle.v1.PolicyBundle): { applied: boolean; reason?: string } => {
    const version = Number(bundle.version);
    const current = site.policyVersion;
    if (version <= current) {
      // Never go back (a rollback is a new, higher version); an equal version is a re-delivery.
      return version === current
        ? { applied: true }
        : { applied: false, reason: `version: ${version} is lower than the applied ${current}` };
    }
    const verdict = site.applyPolicy(bundle);
    if (verdict.applied) policies.save(bundle, Date.now());
    outbox.raise({
      code: verdict.applied ? 'POLICY_APPLIED' : 'POLICY_REFUSED',
      severity: verdict.applied ? 'info' : 'warning',
      message: verdict.applied ? `policy ${version} applied` : `policy ${version} refused: ${verdict.reason}`,
      timeMs: Date.now(),
      active: false,
    });
    return verdict;
  };

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
          applyPolicy,
        },
      })
    : undefined;
  coordinator?.start();
  if (!coordinator) log.warn('uplink: no coordinator configured; running on local policy');

  const consoleApp = createConsole({
    log: log.child({ module: 'console' }),
    source: {
      devices: () => site.devices(),
      onChange: (listener) => site.onChange(listener),
      status: () => {
        const s = outbox.stats();
        return {
          edgeId,
          district: config.edge.district,
          policyVersion: site.policyVersion,
          outbox: { pending: s.pending, highestSeq: s.highestSeq, oldestPendingAgeS: s.oldestPendingAgeS },
          uplink: {
            nats: nats?.connected ? 'connected' : 'disconnected',
            coordinator: coordinator?.connected ? 'connected' : 'disconnected',
          },
        };
      },
    },
  });
  const consoleUrl = await consoleApp.listen({ host: config.console.host, port: config.console.port });

  let closed = false;
  return {
    consoleUrl,
    site,
    outbox,
    async close() {
      if (closed) return;
      closed = true;
      // Reverse order of start: stop taking requests, stop the uplinks, stop control, close the file.
      await consoleApp.close();
      coordinator?.stop();
      await publisher?.stop();
      await nats?.close();
      await site.stop();
      db.close();
    },
  };
}
