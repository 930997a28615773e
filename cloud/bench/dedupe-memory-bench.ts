// `npm run bench:dedupe`: what one message id in a stream's duplicate window costs nats-server in
// memory (issue #16, "the duplicate window eats the hub's memory"). Two private servers, the same
// stream, the same payloads: one publishes every message with a distinct Nats-Msg-Id inside a
// window longer than the run, the other without ids. The RSS difference per message is the cost
// of the id table; multiply by the msg/s of the fleet and the window to size the hub.
//
// Usage: tsx cloud/bench/dedupe-memory-bench.ts [--messages 300000] [--json FILE]
import { jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { connect, nanos } from '@nats-io/transport-node';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { encodeMessage, v1 } from '../../proto/index.js';
import { messageId } from '../../proto/nats-subjects.js';

const { values: args } = parseArgs({
  options: { messages: { type: 'string', default: '300000' }, json: { type: 'string' } },
});
const messages = Number(args.messages);

/** Resident set size of a process in bytes (Linux /proc; NaN elsewhere). */
export function rssBytes(pid: number | undefined): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

async function startServer(dir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', '-1', '-sd', dir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      const m = /Listening for client connections on [^\s]+:(\d+)/.exec(log);
      if (m && log.includes('Server is ready')) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`nats-server exited with ${code}:\n${log}`)));
  });
  child.stderr?.resume();
  return { child, url: `nats://127.0.0.1:${port}` };
}

async function run(withIds: boolean): Promise<{ before: number; after: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'calle-dedupe-'));
  const { child, url } = await startServer(dir);
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({
      name: 'DEDUPE',
      subjects: ['calle.telemetry.>'],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      duplicate_window: nanos(3_600_000),
    });
    const js = jetstream(nc);
    const before = rssBytes(child.pid);
    let inFlight: Promise<unknown>[] = [];
    for (let i = 0; i < messages; i++) {
      const edgeId = `edge-${String(i % 10_000).padStart(5, '0')}`;
      const seq = Math.floor(i / 10_000) * 5 + 1;
      const payload = encodeMessage(v1.TelemetryBatch, {
        edgeId,
        readings: [{ seq, deviceId: 'lum-0', metric: 'level.pct', value: 50, timeMs: 1_700_000_000_000 }],
      });
      inFlight.push(
        js.publish(`calle.telemetry.${edgeId}`, payload, withIds ? { msgID: messageId(edgeId, seq) } : {}),
      );
      if (inFlight.length >= 1_000) {
        await Promise.all(inFlight);
        inFlight = [];
      }
    }
    await Promise.all(inFlight);
    // Let the server settle (its write buffers flushed) before reading its RSS.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    return { before, after: rssBytes(child.pid) };
  } finally {
    await nc.close();
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

const plain = await run(false);
const ids = await run(true);
const perIdBytes = (ids.after - ids.before - (plain.after - plain.before)) / messages;
const result = {
  messages,
  rssWithoutIdsMB: Math.round((plain.after - plain.before) / 2 ** 20),
  rssWithIdsMB: Math.round((ids.after - ids.before) / 2 ** 20),
  bytesPerMessageId: Math.round(perIdBytes),
};
console.log(
  `${messages} messages: nats-server RSS grew ${result.rssWithoutIdsMB} MB without message ids, ` +
    `${result.rssWithIdsMB} MB with ids in the duplicate window: ~${result.bytesPerMessageId} B per id`,
);
if (args.json) writeFileSync(args.json, `${JSON.stringify(result, null, 2)}\n`);
