#!/usr/bin/env node
// The calle command: `calle edge`, `calle cloud`, `calle demo`.
import { parseArgs } from 'node:util';
import { pino, type Logger } from 'pino';
import { startCoordinator } from '../cloud/coordinator.js';
import { loadInventory } from '../cloud/ngsi/site-inventory.js';
import { runKeysCommand } from '../cloud/keys/keys-command.js';
import { SigningKeyError } from '../cloud/keys/signing-key.js';
import { parseValidity } from '../cloud/policies/policy-validity.js';
import { runAuditCommand } from '../edge/audit/audit-command.js';
import { ConfigError } from '../edge/config/config-error.js';
import { loadEdgeConfig } from '../edge/config/load-config.js';
import { startEdgeNode } from '../edge/edge-node.js';
import { StoreLockedError, StoreLockError } from '../edge/store/store-lock.js';
import { checkClock } from '../edge/system/clock-check.js';
import { startServiceNotifier } from '../edge/system/service-notifier.js';
import { runUserCommand } from '../edge/users/user-command.js';
import { SOFTWARE_VERSION } from '../edge/version.js';
import { ENROLMENT_MODES, type EnrolmentMode } from '../cloud/enrolment/edge-admission.js';
import { watchCertificates, type WatchedCertificate } from '../edge/identity/certificate-expiry.js';
import { EdgeIdentityError, loadOrCreateEdgeKey } from '../common/signing/edge-identity.js';
import { dirname } from 'node:path';
import { runDemo } from './demo.js';
import { runFleetCommandAsync } from './fleet-command.js';
import { runHilCommand } from './hil-command.js';
import { ipv4Cidr } from '../cloud/http/loopback-only.js';
import {
  NATS_CREDENTIAL_FLAGS,
  NatsCredentialsError,
  natsAuthFromFlags,
} from '../cloud/nats/nats-credentials.js';
import { runCommandCommand } from './command-command.js';
import { runDashboardCommand } from './dashboard-user-command.js';
import { runPolicyCommand } from './policy-command.js';
import { runWasteCommand } from './waste-command.js';
import { runLightingCommand } from './lighting-command.js';
import { parseHostPort, withEdgeOverrides } from './overrides.js';
import {
  checkOutageBudget,
  DEFAULT_OUTAGE_BUDGET,
  parseBudgetHours,
  type OutageBudget,
} from '../cloud/ingest/stream-sizing.js';
import { parseRetention, type RetentionPolicy } from '../cloud/store/retention.js';

const USAGE = `calle ${SOFTWARE_VERSION} — intelligent urban spaces: lighting, signals, waste

Usage:
  calle edge --config FILE [--nats URL]... [--nats-seed FILE] [--coordinator HOST:PORT]
             [--enrolment-token TOKEN] [--grpc-ca FILE [--grpc-cert FILE --grpc-key FILE]]
             [--store FILE] [--console HOST:PORT] [--identity]
      Runs an edge node: the site in FILE, its console, and the uplinks (flags override FILE).
      The node's identity key is made at its first start beside the store; --identity prints
      its key id (compare with calle fleet pending) and exits.
  calle cloud [--db FILE] [--nats URL]... [--nats-user NAME --nats-password-file FILE | --nats-creds FILE]
              [--grpc HOST:PORT] [--http HOST:PORT]
              [--grpc-cert FILE --grpc-key FILE [--grpc-client-ca FILE]] [--enrolment required|open]
              [--signing-key FILE] [--ngsi-inventory FILE] [--dashboard-db FILE]
              [--replica-id ID [--kv-replicas N]] [--api-allow CIDR]... [--policy-validity 7d]
              [--outage-budget 24h] [--fleet-cabinets 1000]
              [--retention raw=14d,rollup15m=90d,rollup1h=400d,events=365d]
      Runs the coordinator: gRPC control plane, JetStream ingest, status, policy and command
      APIs, the fleet dashboard at /dashboard/ (users in --dashboard-db, default dashboard.db
      beside --db). --replica-id: one of several replicas on one NATS, state in JetStream KV
      (N copies of each bucket: 1 on one nats-server, 3 on a cluster). /api/ (policies,
      rollouts, commands) answers loopback clients only, plus --api-allow networks.
      NATS credentials come from files (mode 0600), never from the URL: the hub's coordinator
      user and its password file, or an nkey seed / .creds file.
      --policy-validity: how long each policy signature holds (2d-90d, default 7d); live
      policies are re-signed once a day old, and an edge whose policy expires raises POLICY_STALE.
      --outage-budget and --fleet-cabinets size the ingest streams in bytes: how long the
      coordinator may be away with every reading kept in the hub (see hub.conf max_file_store).
      --retention: days each class of data is kept (classes left out keep these defaults);
      enforced hourly by dropping whole day/month tables; GET /data-inventory lists them.
      Defaults: --db ./calle-cloud.db --nats nats://127.0.0.1:4222 --grpc 127.0.0.1:50051
                --http 127.0.0.1:8090
                --signing-key ./policy-signing.key (create it with calle keys init)
                --enrolment required (edges need a token and approval; open: demo and tests only)
  calle fleet token --edge ID --district D [--ttl 24h] [--out SEEDFILE] | pending | list
              | approve ID | revoke ID | nats-accounts --out FILE
              [--db FILE | --nats URL... (--nats-user NAME --nats-password-file FILE | --nats-creds FILE)]
      Enrolment: one-time tokens and NATS users for new edges, approval, revocation (calle fleet).
  calle policy push FILE [--staged 1,10%,100%] | status [VERSION] | rollback --to VERSION
  calle policy rollout status [ID] | halt ID | resume ID | rollback ID  [--coordinator URL]
      Publishes, follows and rolls back policies through the coordinator's API (calle policy).
  calle command EDGE TYPE [NAME=VALUE …] --actor NAME [--ttl S] [--coordinator URL]
      Sends one signed command to one edge and prints its answer (calle command --help).
  calle dashboard user add NAME --role viewer|technician|engineer | passwd NAME | list  --store FILE
  calle dashboard audit verify --store FILE
      The fleet dashboard's operators and audit log (FILE: dashboard.db beside the coordinator's --db).
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
                      [--level 0.8]
      Fill, emptying and predicted full time with its interval (holding the full time with
      probability --level) for every reading; beyond 60 days written empty (calle waste).
  calle lighting replay --config SITE.json --counts COUNTS.csv --output LEVELS.csv
                        [--strategy adaptive|full|midnight] [--age-days N]
      The site's lighting loop over counted traffic on a simulated clock: levels, class and power
      per group per minute, energy and under-lit minutes (calle lighting).
  calle lighting mv --energy ENERGY.db --month YYYY-MM
      Monthly measurement-and-verification report per lighting group from the hash-chained
      energy records: baseline vs actual kWh, method (metered or modelled), coverage.
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
      'enrolment-token': { type: 'string' },
      'nats-seed': { type: 'string' },
      'grpc-ca': { type: 'string' },
      'grpc-cert': { type: 'string' },
      'grpc-key': { type: 'string' },
      identity: { type: 'boolean', default: false },
    },
  });
  if (!values.config) throw new UsageError('calle edge: --config FILE is required');
  const config = withEdgeOverrides(loadEdgeConfig(values.config), values);
  if (values.identity) {
    // Run it as the service's user (sudo -u calle): the key file must stay readable by the node.
    const key = loadOrCreateEdgeKey(dirname(config.store.path));
    console.log(
      `edge ${config.edge.id} identity key id ${key.keyId}${key.created ? ' (created now)' : ''}: ${key.file}`,
    );
    return;
  }
  const log = logger().child({ edge: config.edge.id });
  await checkClock(log.child({ module: 'clock' }));
  const tls = config.coordinator?.tls;
  const certificates = watchCertificates({
    files: [
      ...(tls ? [{ role: 'coordinator.tls.ca', file: tls.ca }] : []),
      ...(tls?.cert ? [{ role: 'coordinator.tls.cert', file: tls.cert }] : []),
    ],
    log: log.child({ module: 'certificates' }),
  });
  let node: Awaited<ReturnType<typeof startEdgeNode>>;
  try {
    // Takes the store's lock first; on any failure it has stopped what it started.
    node = await startEdgeNode(config, log);
  } catch (err) {
    certificates.stop();
    throw err;
  }
  log.info({ console: node.consoleUrl }, 'edge: running');
  // Healthy = the control loop ticked within the last 10 s (it ticks every second).
  const systemd = startServiceNotifier({
    log: log.child({ module: 'systemd' }),
    healthy: () => Date.now() - (node.site.lastTickMs ?? 0) < 10_000,
  });
  const signal = await untilSignal();
  log.info({ signal }, 'edge: stopping');
  systemd.stop();
  certificates.stop();
  await node.close();
}

/** --outage-budget / --fleet-cabinets, checked (cloud/ingest/stream-sizing.ts); undefined if neither. */
function outageBudgetOf(hours: string | undefined, cabinets: string | undefined): OutageBudget | undefined {
  if (hours === undefined && cabinets === undefined) return undefined;
  if (cabinets !== undefined && !/^\d+$/.test(cabinets))
    throw new UsageError(`calle cloud: --fleet-cabinets '${cabinets}': expected a whole number of cabinets`);
  try {
    return checkOutageBudget({
      ...DEFAULT_OUTAGE_BUDGET,
      ...(hours !== undefined ? { hours: parseBudgetHours(hours) } : {}),
      ...(cabinets !== undefined ? { cabinets: Number(cabinets) } : {}),
    });
  } catch (err) {
    throw new UsageError(`calle cloud: --outage-budget/--fleet-cabinets: ${(err as Error).message}`);
  }
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
      'grpc-cert': { type: 'string' },
      'grpc-key': { type: 'string' },
      'grpc-client-ca': { type: 'string' },
      enrolment: { type: 'string', default: 'required' },
      'replica-id': { type: 'string' },
      'kv-replicas': { type: 'string' },
      'dashboard-db': { type: 'string' },
      'api-allow': { type: 'string', multiple: true, default: [] },
      ...NATS_CREDENTIAL_FLAGS,
      'policy-validity': { type: 'string' },
      'outage-budget': { type: 'string' },
      'fleet-cabinets': { type: 'string' },
      retention: { type: 'string' },
    },
  });
  // Read now: a missing or unprotected secret stops the start with the flag's name.
  const natsAuth = natsAuthFromFlags(values);
  const outageBudget = outageBudgetOf(values['outage-budget'], values['fleet-cabinets']);
  for (const cidr of values['api-allow'])
    try {
      ipv4Cidr(cidr);
    } catch (err) {
      throw new UsageError(`calle cloud: ${(err as Error).message}`);
    }
  const kvReplicas = values['kv-replicas'] === undefined ? undefined : Number(values['kv-replicas']);
  if (kvReplicas !== undefined && !(Number.isInteger(kvReplicas) && kvReplicas >= 1 && kvReplicas <= 5))
    throw new UsageError(`calle cloud: --kv-replicas '${values['kv-replicas']}': expected 1 to 5`);
  if (kvReplicas !== undefined && values['replica-id'] === undefined)
    throw new UsageError('calle cloud: --kv-replicas needs --replica-id (replication)');
  let retention: RetentionPolicy | undefined;
  try {
    retention = values.retention === undefined ? undefined : parseRetention('--retention', values.retention);
  } catch (err) {
    throw new UsageError(`calle cloud: ${(err as Error).message}`);
  }
  let policyValidityMs: number | undefined;
  try {
    const validity = values['policy-validity'];
    policyValidityMs = validity === undefined ? undefined : parseValidity('--policy-validity', validity);
  } catch (err) {
    throw new UsageError(`calle cloud: ${(err as Error).message}`);
  }
  const grpcAt = parseHostPort('--grpc', values.grpc);
  if (!ENROLMENT_MODES.includes(values.enrolment as EnrolmentMode))
    throw new UsageError(`calle cloud: --enrolment '${values.enrolment}': expected required or open`);
  const certFile = values['grpc-cert'];
  const keyFile = values['grpc-key'];
  if ((certFile === undefined) !== (keyFile === undefined))
    throw new UsageError('calle cloud: --grpc-cert and --grpc-key go together');
  if (values['grpc-client-ca'] !== undefined && certFile === undefined)
    throw new UsageError('calle cloud: --grpc-client-ca (mutual TLS) needs --grpc-cert and --grpc-key');
  const grpcTls =
    certFile !== undefined && keyFile !== undefined
      ? { certFile, keyFile, ...(values['grpc-client-ca'] ? { clientCaFile: values['grpc-client-ca'] } : {}) }
      : undefined;
  // Positions and lighting groups the NGSI-LD entities need and telemetry does not carry.
  const ngsiInventory = values['ngsi-inventory'] ? loadInventory(values['ngsi-inventory']) : undefined;
  const httpAt = parseHostPort('--http', values.http);
  const log = logger().child({ service: 'coordinator' });
  const watched: WatchedCertificate[] = grpcTls
    ? [
        { role: '--grpc-cert', file: grpcTls.certFile },
        ...(grpcTls.clientCaFile ? [{ role: '--grpc-client-ca', file: grpcTls.clientCaFile }] : []),
      ]
    : [];
  const certificates = watchCertificates({ files: watched, log: log.child({ module: 'certificates' }) });
  const coordinator = await startCoordinator({
    dbPath: values.db,
    natsServers: values.nats,
    ...(natsAuth ? { natsAuth } : {}),
    grpcHost: grpcAt.host,
    grpcPort: grpcAt.port,
    httpHost: httpAt.host,
    httpPort: httpAt.port,
    signingKeyFile: values['signing-key'],
    enrolment: values.enrolment as EnrolmentMode,
    ...(values['replica-id'] !== undefined
      ? {
          replication: {
            replicaId: values['replica-id'],
            ...(kvReplicas !== undefined ? { bucketReplicas: kvReplicas } : {}),
          },
        }
      : {}),
    ...(values['dashboard-db'] !== undefined ? { dashboardDbPath: values['dashboard-db'] } : {}),
    ...(values['api-allow'].length > 0 ? { apiAllow: values['api-allow'] } : {}),
    ...(policyValidityMs !== undefined ? { policyValidityMs } : {}),
    ...(outageBudget ? { outageBudget } : {}),
    ...(retention ? { retention } : {}),
    ...(grpcTls ? { grpcTls } : {}),
    ...(ngsiInventory ? { ngsiInventory } : {}),
    log,
  });
  log.info({ grpcPort: coordinator.grpcPort, http: coordinator.httpUrl }, 'coordinator: running');
  const signal = await untilSignal();
  log.info({ signal }, 'coordinator: stopping');
  certificates.stop();
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
  console.log(`fleet dashboard: ${running.coordinatorUrl}/dashboard/`);
  const dashboardToken = running.coordinator.dashboardSetupToken;
  if (dashboardToken)
    console.log(`dashboard setup code (one use, creates the first engineer): ${dashboardToken}`);
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
      case 'command':
        return await runCommandCommand(rest);
      case 'dashboard':
        return await runDashboardCommand(rest);
      case 'fleet':
        return await runFleetCommandAsync(rest);
      case 'user':
        return await runUserCommand(rest);
      case 'hil':
        return await runHilCommand(rest);
      case 'waste':
        return runWasteCommand(rest);
      case 'lighting':
        return runLightingCommand(rest);
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
      err instanceof EdgeIdentityError ||
      err instanceof NatsCredentialsError ||
      (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
    ) {
      console.error((err as Error).message);
      if (err instanceof UsageError) console.error('run `calle --help` for usage');
      return 2;
    }
    // Another process holds the store: say who, without a stack trace, and fail.
    if (err instanceof StoreLockedError || err instanceof StoreLockError) {
      console.error(err.message);
      return 1;
    }
    console.error(err);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
if (process.exitCode !== 0 && process.argv[2] === 'edge') {
  // A controller that failed to start must not linger. startEdgeNode stops every part it started;
  // should anything still hold the event loop, this says so and ends the process anyway.
  setTimeout(() => {
    console.error('calle edge: something was still running after a failed start; exiting');
    process.exit(process.exitCode);
  }, 3_000).unref();
}
