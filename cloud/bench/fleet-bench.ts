// `npm run bench:fleet`: N light edges in this process (real gRPC to a coordinator in its own
// process, real nats-server) and three figures (issue #5, "Scale"):
//   - time until one policy is acked by all of N edges, with the p50 and p99 of per-edge ack
//     latency (publish request sent → the edge's Ack answered);
//   - coordinator ingest throughput: TelemetryBatch messages (5 readings each, one cabinet tick)
//     published to JetStream from 100 edge ids, until the coordinator's durable consumer has
//     stored and acked them all;
//   - beside it, in the same run and with the same payloads, the raw rate of core NATS publishes
//     (no stream, no ack) and of acked JetStream publishes: the ceilings ingest is measured against.
// Ingest rounds are repeated and the median printed. --json FILE writes
// { rollouts: [{ edges, p50Ms, p99Ms, allMs }], ingestPerSec, natsRawPerSec, jetstreamPublishPerSec }.
//
// Usage: tsx cloud/bench/fleet-bench.ts [--edges 1000,10000] [--messages 20000] [--rounds 3]
//        [--channels 16] [--json FILE]
import * as grpc from '@grpc/grpc-js';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LocalNatsServer } from '../../deploy/nats/local-server.js';
import { encodeMessage, FleetClient, PolicyClient, v1 } from '../../proto/index.js';
import { messageId, telemetrySubject, TELEMETRY_STREAM } from '../../proto/nats-subjects.js';
import { TELEMETRY_SPEC } from '../ingest/jetstream-setup.js';
import { LightEdge } from '../rollouts/light-edge.js';

interface RolloutFigure {
  edges: number;
  p50Ms: number;
  p99Ms: number;
  allMs: number;
}

const { values: args } = parseArgs({
  options: {
    edges: { type: 'string', default: '1000,10000' },
    messages: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '3' },
    channels: { type: 'string', default: '16' },
    json: { type: 'string' },
  },
});
const sizes = args.edges.split(',').map(Number);
const messages = Number(args.messages);
const rounds = Number(args.rounds);
const channels = Number(args.channels);

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
  dir: string,
  natsUrl: string,
): Promise<{ child: ChildProcess; grpcPort: number; httpUrl: string }> {
  const script = fileURLToPath(new URL('./bench-coordinator.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, join(dir, 'coordinator.db'), natsUrl], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`coordinator exited with ${code}`)));
  });
  return { child, ...(JSON.parse(first) as { grpcPort: number; httpUrl: string }) };
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

/** Publishes `messages` batches from 100 edges; returns JetStream publish and coordinator ingest rates. */
async function ingestRate(
  nc: NatsConnection,
  round: number,
): Promise<{ jsPerSec: number; ingestPerSec: number }> {
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const edgesN = 100;
  const perEdge = Math.ceil(messages / edgesN);
  const t0 = performance.now();
  const window = 512;
  let inFlight: Promise<unknown>[] = [];
  for (let k = 0; k < perEdge; k++) {
    for (let e = 0; e < edgesN; e++) {
      const edgeId = `ingest-${round}-${String(e).padStart(3, '0')}`;
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
  const published = performance.now();
  await until(
    'the coordinator to ingest everything',
    async () => {
      const info = await jsm.consumers.info(TELEMETRY_STREAM, TELEMETRY_SPEC.durable);
      return info.num_pending === 0 && info.num_ack_pending === 0;
    },
    300_000,
  );
  const done = performance.now();
  const total = perEdge * edgesN;
  return { jsPerSec: total / ((published - t0) / 1000), ingestPerSec: total / ((done - t0) / 1000) };
}

const dir = mkdtempSync(join(tmpdir(), 'calle-bench-'));
const nats = await LocalNatsServer.start({ storeDir: join(dir, 'nats') });
const figures: RolloutFigure[] = [];
const raw: number[] = [];
const jsPub: number[] = [];
const ingest: number[] = [];
try {
  for (const [i, n] of sizes.entries()) {
    const runDir = join(dir, `run-${n}`);
    const coordinator = await startCoordinatorProcess(mkdtempSync(`${runDir}-`), nats.url);
    try {
      figures.push(await rollout(n, coordinator.grpcPort, coordinator.httpUrl));
      if (i === 0) {
        const nc = await connect({ servers: nats.url });
        try {
          for (let r = 0; r < rounds; r++) {
            raw.push(await rawRate(nc));
            const rates = await ingestRate(nc, r);
            jsPub.push(rates.jsPerSec);
            ingest.push(rates.ingestPerSec);
            console.log(
              `ingest round ${r + 1}: core NATS ${Math.round(raw.at(-1)!)} msg/s, JetStream publish ` +
                `${Math.round(rates.jsPerSec)} msg/s, coordinator ingest ${Math.round(rates.ingestPerSec)} msg/s`,
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
    natsRawPerSec: Math.round(median(raw)),
    jetstreamPublishPerSec: Math.round(median(jsPub)),
    messages,
    rounds,
  };
  console.log(
    `\nmedians over ${rounds} rounds of ${messages} messages (5 readings each): coordinator ingest ` +
      `${result.ingestPerSec} msg/s; raw core NATS publish ${result.natsRawPerSec} msg/s; ` +
      `acked JetStream publish ${result.jetstreamPublishPerSec} msg/s`,
  );
  for (const f of figures)
    console.log(
      `policy acked by all ${f.edges} edges in ${f.allMs} ms (p50 ${f.p50Ms} ms, p99 ${f.p99Ms} ms)`,
    );
  if (args.json) writeFileSync(args.json, `${JSON.stringify(result, null, 2)}\n`);
} finally {
  await nats.close();
  rmSync(dir, { recursive: true, force: true });
}
