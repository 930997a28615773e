#!/usr/bin/env node
// The calle command: `calle edge`, `calle cloud`, `calle demo`.
import { parseArgs } from 'node:util';
import { pino, type Logger } from 'pino';
import { startCoordinator } from '../cloud/coordinator.js';
import { loadInventory } from '../cloud/ngsi/site-inventory.js';
import { runKeysCommand } from '../cloud/keys/keys-command.js';
import { SigningKeyError } from '../cloud/keys/signing-key.js';
import { runAuditCommand } from '../edge/audit/audit-command.js';
import { ConfigError } from '../edge/config/config-error.js';
import { loadEdgeConfig } from '../edge/config/load-config.js';
import { startEdgeNode } from '../edge/edge-node.js';
import { checkClock } from '../edge/system/clock-check.js';
import { startServiceNotifier } from '../edge/system/service-notifier.js';
import { runUserCommand } from '../edge/users/user-command.js';
import { SOFTWARE_VERSION } from '../edge/version.js';
import { runDemo } from './demo.js';
import { runHilCommand } from './hil-command.js';
import { runPolicyCommand } from './policy-command.js';
import { runWasteCommand } from './waste-command.js';
import { parseHostPort, withEdgeOverrides } from './overrides.js';

const USAGE = `calle ${SOFTWARE_VERSION} — intelligent urban spaces: lighting, signals, waste

Usage:
  calle edge --config FILE [--nats URL]... [--coordinator HOST:PORT] [--store FILE]
             [--console HOST:PORT]
      Runs an edge node: the site in FILE, its console, and the uplinks (flags override FILE).
  calle cloud [--db FILE] [--nats URL]... [--grpc HOST:PORT] [--http HOST:PORT]
              [--signing-key FILE] [--ngsi-inventory FILE]
      Runs the coordinator: gRPC control plane, JetStream ingest, status and policy API.
      Defaults: --db ./calle-cloud.db --nats nats://127.0.0.1:4222 --grpc 127.0.0.1:50051
                --http 127.0.0.1:8090 (no authentication yet: keep it on loopback)
                --signing-key ./policy-signing.key (create it with calle keys init)
  calle policy push FILE [--staged 1,10%,100%] | status [VERSION] | rollback --to VERSION
  calle policy rollout status [ID] | halt ID | resume ID | rollback ID  [--coordinator URL]
      Publishes, follows and rolls back policies through the coordinator's API (calle policy).
  calle keys init --out DIR | id FILE
      Creates the policy signing key pair, or prints a key file's id (calle keys).
  calle demo [--state DIR]
      Starts nats-server, a coordinator and one edge with a simulated Madrid street, and prints
      the console and coordinator URLs. Ctrl-C stops everything. State: DIR (default ./.calle/demo).
  calle audit verify --store FILE
      Checks the hash chain of an edge database's audit log: OK and the row count (exit 0), or
      the first broken row with its seq and reason (exit 1).
  calle hil traffic (--sumocfg FILE | --net FILE --routes FILE [--additional FILE])
                    --controller adaptive|actuated|fixed|sumo [--seconds 3600] [--seed N] [--json]
      Runs a SUMO scenario closed-loop with calle's controller or SUMO's own program (calle hil).
  calle waste predict --input READINGS.csv --containers CONTAINERS.csv --output PREDICTIONS.csv
      Fill, emptying and predicted full time with its interval for every reading (calle waste).
  calle user add NAME --role viewer|technician|engineer | passwd NAME | list  --store FILE
      Manages the console's local users in an edge database; passwords are read from stdin.
  calle --version | --help

Environment: CALLE_LOG_LEVEL (default info).
`;

function logger(): Logger {
  return pino({ level: process.env.CALLE_LOG_LEVEL ?? 'info', base: { pid: process.pid } });
}

/** Resolves on SIGINT or SIGTERM. */
async function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
}

async function edge(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string' },
      nats: { type: 'string', multiple: true },
      coordinator: { type: 'string' },
      store: { type: 'string' },
      console: { type: 'string' },
    },
  });
  if (!values.config) throw new UsageError('calle edge: --config FILE is required');
  const config = withEdgeOverrides(loadEdgeConfig(values.config), values);
  const log = logger().child({ edge: config.edge.id });
  await checkClock(log.child({ module: 'clock' }));
  const node = await startEdgeNode(config, log);
  log.info({ console: node.consoleUrl }, 'edge: running');
  // Healthy = the control loop ticked within the last 10 s (it ticks every second).
  const systemd = startServiceNotifier({
    log: log.child({ module: 'systemd' }),
    healthy: () => Date.now() - (node.site.lastTickMs ?? 0) < 10_000,
  });
  const signal = await untilSignal();
  log.info({ signal }, 'edge: stopping');
  systemd.stop();
  await node.close();
}

async function cloud(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      db: { type: 'string', default: './calle-cloud.db' },
      nats: { type: 'string', multiple: true, default: ['nats://127.0.0.1:4222'] },
      grpc: { type: 'string', default: '127.0.0.1:50051' },
      http: { type: 'string', default: '127.0.0.1:8090' },
      'signing-key': { type: 'string', default: './policy-signing.key' },
      'ngsi-inventory': { type: 'string' },
    },
  });
  const grpcAt = parseHostPort('--grpc', values.grpc);
  // Positions and lighting groups the NGSI-LD entities need and telemetry does not carry.
  const ngsiInventory = values['ngsi-inventory'] ? loadInventory(values['ngsi-inventory']) : undefined;
  const httpAt = parseHostPort('--http', values.http);
  const log = logger().child({ service: 'coordinator' });
  const coordinator = await startCoordinator({
    dbPath: values.db,
    natsServers: values.nats,
    grpcHost: grpcAt.host,
    grpcPort: grpcAt.port,
    httpHost: httpAt.host,
    httpPort: httpAt.port,
    signingKeyFile: values['signing-key'],
    ...(ngsiInventory ? { ngsiInventory } : {}),
    log,
  });
  log.info({ grpcPort: coordinator.grpcPort, http: coordinator.httpUrl }, 'coordinator: running');
  const signal = await untilSignal();
  log.info({ signal }, 'coordinator: stopping');
  await coordinator.close();
}

async function demo(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { state: { type: 'string', default: './.calle/demo' } } });
  const running = await runDemo({ stateDir: values.state });
  console.log(`console: ${running.consoleUrl}`);
  // No default password (ETSI EN 303 645 §5.1): the first engineer is made with this one-time code.
  const setupToken = running.edge.consoleSetupToken;
  if (setupToken) console.log(`console setup code (one use, creates the first engineer): ${setupToken}`);
  console.log(`coordinator: ${running.coordinatorUrl}`);
  console.log(`logs: ${running.logFile}   (Ctrl-C stops everything)`);
  await untilSignal();
  console.log('stopping…');
  await running.close();
}

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'edge':
        await edge(rest);
        return 0;
      case 'cloud':
        await cloud(rest);
        return 0;
      case 'demo':
        await demo(rest);
        return 0;
      case 'audit':
        return runAuditCommand(rest);
      case 'policy':
        return await runPolicyCommand(rest);
      case 'keys':
        return runKeysCommand(rest);
      case 'user':
        return await runUserCommand(rest);
      case 'hil':
        return await runHilCommand(rest);
      case 'waste':
        return runWasteCommand(rest);
      case '--version':
        console.log(SOFTWARE_VERSION);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        console.log(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`calle: unknown command '${command}'`);
    }
  } catch (err) {
    // Configuration and usage errors are the operator's to fix: a clear message, no stack trace.
    if (
      err instanceof ConfigError ||
      err instanceof UsageError ||
      err instanceof SigningKeyError ||
      (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
    ) {
      console.error((err as Error).message);
      if (err instanceof UsageError) console.error('run `calle --help` for usage');
      return 2;
    }
    console.error(err);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
