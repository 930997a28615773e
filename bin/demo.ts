// `calle demo`: a whole simulated smart street on one machine — a private nats-server with
// JetStream, the coordinator, and one edge node running the example Madrid street — so a
// newcomer sees every part working together. Logs go to a file so the terminal shows the URLs.
// NATS runs as in production (demo-nats.ts). The state folder is private (0700) and its databases
// and demo.log (which holds the setup codes) are 0600: the demo's secrets are real secrets on a
// shared machine.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { startCoordinator, type Coordinator } from '../cloud/coordinator.js';
import type { SiteInventory } from '../cloud/ngsi/site-inventory.js';
import { ensureKeyPair } from '../cloud/keys/signing-key.js';
import { loadEdgeConfig } from '../edge/config/load-config.js';
import { startEdgeNode, type EdgeNodeHandle } from '../edge/edge-node.js';
import type { LocalNatsServer } from '../deploy/nats/local-server.js';
import { startDemoNats } from './demo-nats.js';

export const DEMO_SITE = fileURLToPath(new URL('../edge/examples/madrid-street.json', import.meta.url));

/** Files that only the demo's user may read; SQLite gives its -wal and -shm the database's mode. */
const PRIVATE_FILES = ['demo.log', 'coordinator.db', 'dashboard.db', 'edge.db', 'energy.db'];

/**
 * Makes the state folder 0700 and its private files 0600, creating the empty ones now: the
 * processes that fill them create with the umask's 0644. Folders and files from an older demo
 * are tightened too.
 */
function makeStatePrivate(stateDir: string): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  chmodSync(stateDir, 0o700);
  for (const name of PRIVATE_FILES)
    for (const file of [name, `${name}-wal`, `${name}-shm`].map((f) => join(stateDir, f))) {
      if (file.endsWith('.db') || file.endsWith('.log')) closeSync(openSync(file, 'a', 0o600));
      if (existsSync(file)) chmodSync(file, 0o600);
    }
}

export interface DemoOptions {
  /** Where the broker, the coordinator and the edge keep their files. */
  readonly stateDir: string;
  /** Console port; 0 (default) picks a free one. */
  readonly consolePort?: number;
  /** HTTP port of the coordinator's status API; 0 (default) picks a free one. */
  readonly coordinatorPort?: number;
  /** Overrides the example site's telemetry interval (tests use 1 s). */
  readonly telemetryIntervalS?: number;
}

export interface RunningDemo {
  readonly consoleUrl: string;
  /** Base URL of the coordinator's status API. */
  readonly coordinatorUrl: string;
  readonly natsUrl: string;
  readonly logFile: string;
  readonly nats: LocalNatsServer;
  readonly coordinator: Coordinator;
  readonly edge: EdgeNodeHandle;
  close(): Promise<void>;
}

export async function runDemo(options: DemoOptions): Promise<RunningDemo> {
  const stateDir = resolve(options.stateDir);
  makeStatePrivate(stateDir);
  const logFile = join(stateDir, 'demo.log');
  const destination = pino.destination({ dest: logFile, sync: false, mkdir: true });
  const log = pino({ level: process.env.CALLE_LOG_LEVEL ?? 'info' }, destination);

  const closers: Array<() => Promise<void>> = [];
  const close = async (): Promise<void> => {
    for (const c of closers.reverse()) {
      try {
        await c();
      } catch (err) {
        log.error({ err }, 'demo: error while stopping');
      }
    }
    destination.flushSync();
  };

  try {
    // The policy signing key, made once per state folder and kept: the demo edge pins its public
    // half, and its stored policy (and trusted version) must still verify on the next run.
    const keys = ensureKeyPair(join(stateDir, 'keys'));
    log.info({ keyId: keys.keyId, publicKey: keys.publicFile }, 'demo: policy signing key');

    // The site file is read first: the hub's accounts name its edge, and the coordinator's NGSI-LD
    // view needs the cabinet's position and lighting groups, which telemetry does not carry.
    const site = loadEdgeConfig(DEMO_SITE);
    const { nats, coordinatorAuth, edgeSeedFile } = await startDemoNats(stateDir, site.edge.id);
    closers.push(async () => nats.close());
    log.info({ url: nats.url }, 'demo: nats-server started (hub.conf, per-edge nkey, no anonymous access)');
    const ngsiInventory: SiteInventory = new Map([
      [
        site.edge.id,
        {
          location: [site.edge.longitude, site.edge.latitude],
          lightingGroups: site.lightingGroups.map((g) => ({
            id: g.id,
            name: g.name,
            luminaires: g.luminaires,
          })),
        },
      ],
    ]);
    const coordinator = await startCoordinator({
      dbPath: join(stateDir, 'coordinator.db'),
      natsServers: [nats.url],
      natsAuth: coordinatorAuth,
      grpcHost: '127.0.0.1',
      grpcPort: 0,
      httpHost: '127.0.0.1',
      httpPort: options.coordinatorPort ?? 0,
      signingKeyFile: keys.privateFile,
      ngsiInventory,
      log: log.child({ service: 'coordinator' }),
      // The demo edge joins without a token or approval; production runs with 'required'.
      enrolment: 'open',
    });
    closers.push(async () => coordinator.close());

    const config = {
      ...site,
      store: { ...site.store, path: join(stateDir, 'edge.db') },
      nats: { servers: [nats.url], nkeySeedFile: edgeSeedFile },
      coordinator: { grpc: `127.0.0.1:${coordinator.grpcPort}` },
      trust: { coordinatorKey: keys.publicFile },
      console: { ...site.console, host: '127.0.0.1', port: options.consolePort ?? 0 },
      telemetry: { ...site.telemetry, intervalS: options.telemetryIntervalS ?? site.telemetry.intervalS },
    };
    const edge = await startEdgeNode(config, log.child({ edge: config.edge.id }));
    closers.push(async () => edge.close());

    return {
      consoleUrl: edge.consoleUrl,
      coordinatorUrl: coordinator.httpUrl,
      natsUrl: nats.url,
      logFile,
      nats,
      coordinator,
      edge,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
