// `npm run bench:fleet`: N light edges in this process (real gRPC to a coordinator in its own
// process, real nats-server) and three figures (issue #5, "Scale"):
//   - time until one policy is acked by all of N edges, with the p50 and p99 of per-edge ack
//     latency (publish request sent → the edge's Ack answered);
//   - coordinator ingest throughput: TelemetryBatch messages (5 readings each, one cabinet tick)
//     published to JetStream from 100 edge ids, until the coordinator's durable consumer has
//     stored and acked them all;
//   - beside it, in the same run and with the same payloads, the raw rate of core NATS publishes
//     (no stream, no ack) and of acked JetStream publishes: the ceilings ingest is measured against.
//     That concurrent figure can never exceed the publish rate, so each round also measures
//   - backlog drain: the coordinator is stopped, the same number of messages is published into
//     the stream, the coordinator is restarted on its database and timed from its first delivery
//     until everything is stored and acked: the coordinator's own ingest capacity, printed with
//     the coordinator process's CPU time per message over the drain (from /proc): on this shared
//     machine the rate swings with the neighbours' load, the CPU per message much less.
// CALLE_BENCH_PROF=DIR also writes a V8 CPU profile of every coordinator process into DIR.
// Ingest rounds are repeated and the median printed. --backend sqlite|postgres|both runs it all
// on the coordinator's SQLite file, on a private PostgreSQL 15 (cloud/testing/postgres.ts), or on
// each in turn. --json FILE writes the first backend's figures at the top level, as before
// ({ rollouts: [{ edges, p50Ms, p99Ms, allMs, setupMs }], ingestPerSec, ingestBacklogPerSec,
// ingestBacklogCpuUsPerMsg, natsRawPerSec, jetstreamPublishPerSec }), and every backend's under
// `backends`.
//
// Usage: tsx cloud/bench/fleet-bench.ts [--edges 1000,10000] [--messages 20000] [--rounds 3]
//        [--channels 16] [--backend sqlite|postgres|both] [--json FILE]
import * as grpc from '@grpc/grpc-js';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LocalNatsServer } from '../../deploy/nats/local-server.js';
import { encodeMessage, FleetClient, PolicyClient, v1 } from '../../proto/index.js';
import { messageId, telemetrySubject, TELEMETRY_STREAM } from '../../proto/nats-subjects.js';
import { TELEMETRY_SPEC } from '../ingest/jetstream-setup.js';
import { coordinatorConnectionOptions } from '../nats/coordinator-nats.js';
import { LightEdge } from '../rollouts/light-edge.js';
import { LocalPostgres } from '../testing/postgres.js';

interface RolloutFigure {
  edges: number;
  p50Ms: number;
  p99Ms: number;
  allMs: number;
  /** Registering all edges and opening their Watch streams. */
  setupMs: number;
}

const { values: args } = parseArgs({
  options: {
    edges: { type: 'string', default: '1000,10000' },
    messages: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '3' },
    channels: { type: 'string', default: '16' },
    json: { type: 'string' },
    backend: { type: 'string', default: 'sqlite' },
  },
});
const backends = args.backend === 'both' ? ['sqlite', 'postgres'] : [args.backend];
if (!backends.every((b) => b === 'sqlite' || b === 'postgres')) {
  console.error(`--backend: sqlite, postgres or both, not ${JSON.stringify(args.backend)}`);
  process.exit(2);
}
const sizes = args.edges.split(',').map(Number);
const messages = Number(args.messages);
const rounds = Number(args.rounds);
const channels = Number(args.channels);

/** USER_HZ: the unit of /proc/<pid>/stat times; 100 on every Linux build that matters. */
const CLOCK_TICKS_PER_SEC = 100;
const sleep = async (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const quantile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
const median = (xs: number[]): number =>
  quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );

async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** Starts the coordinator in a child process; resolves with its ports. */
async function startCoordinatorProcess(
  db: string,
  natsUrl: string,
): Promise<{ child: ChildProcess; grpcPort: number; httpUrl: string }> {
  const script = fileURLToPath(new URL('./bench-coordinator.ts', import.meta.url));
  // CALLE_BENCH_PROF=DIR writes a V8 CPU profile of each coordinator process into DIR (open it in
  // Chrome DevTools); the figures of a profiled run are slower and not comparable.
  const prof = process.env.CALLE_BENCH_PROF;
  const flags = prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [];
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', script, db, natsUrl], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`coordinator exited with ${code}`)));
  });
  return { child, ...(JSON.parse(first) as { grpcPort: number; httpUrl: string }) };
}

/**
 * CPU time (user + system, ms) a process has used so far, from /proc (Linux; NaN elsewhere). On a
 * shared machine this is a steadier figure than a rate: it does not count time spent waiting for
 * a core, only the work the coordinator does per message.
 */
function cpuMs(pid: number | undefined): number {
  try {
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th overall.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SEC;
  } catch {
    return NaN;
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function rollout(n: number, grpcPort: number, httpUrl: string): Promise<RolloutFigure> {
  const target = `127.0.0.1:${grpcPort}`;
  const creds = grpc.credentials.createInsecure();
  // A distinct (unused) option per channel group gives each group its own HTTP/2 connection.
  const pairs = Array.from({ length: channels }, (_, i) => {
    const options = { 'calle.bench.channel': i };
    return {
      fleet: new FleetClient(target, creds, options),
      policy: new PolicyClient(target, creds, options),
    };
  });
  const edges: LightEdge[] = [];
  try {
    const started = performance.now();
    for (let i = 0; i < n; i += 250) {
      const batch = Array.from({ length: Math.min(250, n - i) }, async (_, j) =>
        LightEdge.start({
          target,
          edgeId: `bench-${String(i + j).padStart(5, '0')}`,
          district: `d${(i + j) % 21}`,
          clients: pairs[(i + j) % channels]!,
          deadlineMs: 60_000,
          retryMs: 500,
        }),
      );
      edges.push(...(await Promise.all(batch)));
    }
    await until(`${n} watches`, () => edges.every((e) => e.watching), 120_000);
    const setupMs = performance.now() - started;

    const t0 = performance.now();
    const res = await fetch(`${httpUrl}/api/policies`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        target: { allEdges: true },
        lighting: { steps: [{ at: 'sunset', levelPct: 80 }], presenceLevelPct: 80 },
      }),
    });
    if (res.status !== 201) throw new Error(`publish answered ${res.status}: ${await res.text()}`);
    const version = ((await res.json()) as { version: number }).version;
    await until(`${n} acks`, () => edges.every((e) => e.ackedAt.has(version)), 300_000);
    const latencies = edges.map((e) => e.ackedAt.get(version)! - t0).sort((a, b) => a - b);
    const figure = {
      edges: n,
      p50Ms: Math.round(quantile(latencies, 0.5)),
      p99Ms: Math.round(quantile(latencies, 0.99)),
      allMs: Math.round(latencies.at(-1)!),
      setupMs: Math.round(setupMs),
    };
    console.log(
      `rollout to ${n} edges: all acked in ${figure.allMs} ms (p50 ${figure.p50Ms} ms, p99 ${figure.p99Ms} ms); ` +
        `${n} edges registered and watching in ${Math.round(setupMs)} ms`,
    );
    return figure;
  } finally {
    for (const e of edges) e.close();
    for (const p of pairs) {
      p.fleet.close();
      p.policy.close();
    }
  }
}

/** One tick of a cabinet: 5 readings. */
const payloadFor = (edgeId: string, seq: number): Uint8Array =>
  encodeMessage(v1.TelemetryBatch, {
    edgeId,
    readings: Array.from({ length: 5 }, (_, i) => ({
      seq: seq + i,
      deviceId: `lum-${i}`,
      metric: 'level.pct',
      value: 50,
      timeMs: 1_700_000_000_000 + seq,
    })),
  });

async function rawRate(nc: NatsConnection): Promise<number> {
  const payload = payloadFor('bench-raw', 1);
  const t0 = performance.now();
  for (let i = 0; i < messages; i++) nc.publish('bench.raw', payload);
  await nc.flush();
  return messages / ((performance.now() - t0) / 1000);
}

/** Publishes `messages` batches from 100 edges (ids prefixed `prefix`); returns how many. */
async function publishTelemetry(nc: NatsConnection, prefix: string): Promise<number> {
  const js = jetstream(nc);
  const edgesN = 100;
  const perEdge = Math.ceil(messages / edgesN);
  const window = 512;
  let inFlight: Promise<unknown>[] = [];
  for (let k = 0; k < perEdge; k++) {
    for (let e = 0; e < edgesN; e++) {
      const edgeId = `${prefix}-${String(e).padStart(3, '0')}`;
      const seq = k * 5 + 1;
      inFlight.push(
        js.publish(telemetrySubject(edgeId), payloadFor(edgeId, seq), { msgID: messageId(edgeId, seq) }),
      );
      if (inFlight.length >= window) {
        await Promise.all(inFlight);
        inFlight = [];
      }
    }
  }
  await Promise.all(inFlight);
  return perEdge * edgesN;
}

async function drained(nc: NatsConnection): Promise<boolean> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.consumers.info(TELEMETRY_STREAM, TELEMETRY_SPEC.durable);
  return info.num_pending === 0 && info.num_ack_pending === 0;
}

/** Publishes while the coordinator ingests; returns JetStream publish and coordinator ingest rates. */
async function ingestRate(
  nc: NatsConnection,
  round: number,
): Promise<{ jsPerSec: number; ingestPerSec: number }> {
  const t0 = performance.now();
  const total = await publishTelemetry(nc, `ingest-${round}`);
  const published = performance.now();
  await until('the coordinator to ingest everything', async () => drained(nc), 300_000);
  const done = performance.now();
  return { jsPerSec: total / ((published - t0) / 1000), ingestPerSec: total / ((done - t0) / 1000) };
}

/**
 * Backlog drain: publishes with the coordinator stopped, restarts it, and times from the first
 * delivery (num_pending drops; polled every 5 ms) to everything stored and acked.
 */
async function backlogRate(
  nc: NatsConnection,
  round: number,
  restart: () => Promise<number | undefined>,
): Promise<{ perSec: number; cpuUsPerMsg: number }> {
  const total = await publishTelemetry(nc, `backlog-${round}`);
  const jsm = await jetstreamManager(nc);
  const pending = async (): Promise<number> =>
    (await jsm.consumers.info(TELEMETRY_STREAM, TELEMETRY_SPEC.durable)).num_pending;
  if ((await pending()) < total) throw new Error('backlog consumed while the coordinator was stopped');
  const pid = await restart();
  const end = Date.now() + 300_000;
  let t0: number | undefined;
  let cpu0 = NaN;
  for (;;) {
    const info = await jsm.consumers.info(TELEMETRY_STREAM, TELEMETRY_SPEC.durable);
    const now = performance.now();
    if (t0 === undefined && info.num_pending < total) {
      t0 = now;
      cpu0 = cpuMs(pid);
    }
    if (info.num_pending === 0 && info.num_ack_pending === 0) {
      return {
        perSec: total / ((now - (t0 ?? now)) / 1000),
        cpuUsPerMsg: ((cpuMs(pid) - cpu0) * 1000) / total,
      };
    }
    if (Date.now() > end) throw new Error('timed out waiting for the backlog to drain');
    await sleep(5);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'calle-bench-'));
const nats = await LocalNatsServer.start({ storeDir: join(dir, 'nats') });
const pg = backends.includes('postgres') ? await LocalPostgres.start() : undefined;

/** Every figure on one backend; `fresh()` names a new, empty store for each fleet size. */
async function runBackend(backend: string, fresh: (n: number) => Promise<string>) {
  const figures: RolloutFigure[] = [];
  const raw: number[] = [];
  const jsPub: number[] = [];
  const ingest: number[] = [];
  const backlog: number[] = [];
  const backlogCpu: number[] = [];
  for (const [i, n] of sizes.entries()) {
    const db = await fresh(n);
    let coordinator = await startCoordinatorProcess(db, nats.url);
    try {
      figures.push(await rollout(n, coordinator.grpcPort, coordinator.httpUrl));
      if (i === 0) {
        // The coordinator's connection options (its inbox prefix); the bench's server has no users.
        const nc = await connect(coordinatorConnectionOptions({ servers: [nats.url] }, 'calle-bench'));
        try {
          for (let r = 0; r < rounds; r++) {
            raw.push(await rawRate(nc));
            const rates = await ingestRate(nc, r);
            jsPub.push(rates.jsPerSec);
            ingest.push(rates.ingestPerSec);
            await stopProcess(coordinator.child);
            const drain = await backlogRate(nc, r, async () => {
              coordinator = await startCoordinatorProcess(db, nats.url);
              return coordinator.child.pid;
            });
            backlog.push(drain.perSec);
            backlogCpu.push(drain.cpuUsPerMsg);
            console.log(
              `[${backend}] ingest round ${r + 1}: core NATS ${Math.round(raw.at(-1)!)} msg/s, JetStream publish ` +
                `${Math.round(rates.jsPerSec)} msg/s, coordinator ingest while publishing ` +
                `${Math.round(rates.ingestPerSec)} msg/s, backlog drain ${Math.round(backlog.at(-1)!)} msg/s ` +
                `(coordinator CPU ${backlogCpu.at(-1)!.toFixed(1)} µs/msg)`,
            );
          }
        } finally {
          await nc.close();
        }
      }
    } finally {
      await stopProcess(coordinator.child);
    }
  }
  const result = {
    rollouts: figures,
    ingestPerSec: Math.round(median(ingest)),
    ingestBacklogPerSec: Math.round(median(backlog)),
    ingestBacklogCpuUsPerMsg: Number(median(backlogCpu).toFixed(1)),
    natsRawPerSec: Math.round(median(raw)),
    jetstreamPublishPerSec: Math.round(median(jsPub)),
    messages,
    rounds,
  };
  console.log(
    `\n[${backend}] medians over ${rounds} rounds of ${messages} messages (5 readings each): coordinator ingest ` +
      `${result.ingestPerSec} msg/s while publishing, ${result.ingestBacklogPerSec} msg/s draining a ` +
      `backlog (coordinator CPU ${result.ingestBacklogCpuUsPerMsg} µs/msg); raw core NATS publish ${result.natsRawPerSec} msg/s; ` +
      `acked JetStream publish ${result.jetstreamPublishPerSec} msg/s`,
  );
  for (const f of figures)
    console.log(
      `[${backend}] policy acked by all ${f.edges} edges in ${f.allMs} ms (p50 ${f.p50Ms} ms, p99 ${f.p99Ms} ms); ` +
        `registered and watching in ${f.setupMs} ms`,
    );
  return result;
}

try {
  const results: Record<string, Awaited<ReturnType<typeof runBackend>>> = {};
  for (const backend of backends) {
    // Each backend starts from an empty stream: what one left unconsumed must not feed the other.
    const admin = await connect({ servers: [nats.url] });
    await (await jetstreamManager(admin)).streams.delete(TELEMETRY_STREAM).catch(() => undefined);
    await admin.close();
    results[backend] = await runBackend(backend, async (n) =>
      backend === 'postgres' ? pg!.database() : join(mkdtempSync(join(dir, `run-${n}-`)), 'coordinator.db'),
    );
  }
  if (args.json)
    writeFileSync(
      args.json,
      `${JSON.stringify({ ...results[backends[0]!]!, backends: results }, null, 2)}\n`,
    );
} finally {
  await nats.close();
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
}
