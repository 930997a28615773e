// The coordinator store alone, without NATS (issue #5): TelemetryBatch messages (5 readings each,
// 100 edges) decoded and stored by ingestBatch at 1, 256 and 1,024 messages per commit, on a real
// file with synchronous=FULL. One message per commit is the baseline (what ingest did before group
// commit); the batched figures are the ceiling that `npm run bench:fleet` ingest is measured
// against. Each size is run --rounds times after a warm-up round, median printed, with the CPU
// time per message (steadier than the rate when other processes share the cores).
//
// Usage: tsx cloud/bench/store-bench.ts [--messages 20000] [--rounds 3]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { encodeMessage, v1 } from '../../proto/index.js';
import { ingestBatch } from '../ingest/ingest-message.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';

const { values: args } = parseArgs({
  options: { messages: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '3' } },
});
const messages = Number(args.messages);
const rounds = Number(args.rounds);
/** One message per commit costs an fsync each: fewer of them keep the baseline round short. */
const BASELINE_MESSAGES = Math.min(messages, 1_000);

function wire(round: number, count: number): { subject: string; data: Uint8Array }[] {
  const out = [];
  for (let k = 0; out.length < count; k++) {
    for (let e = 0; e < 100 && out.length < count; e++) {
      const edgeId = `store-${round}-${String(e).padStart(3, '0')}`;
      const seq = k * 5 + 1;
      const readings = Array.from({ length: 5 }, (_, i) => ({
        seq: seq + i,
        deviceId: `lum-${i}`,
        metric: 'level.pct',
        value: 50,
        timeMs: 1_700_000_000_000 + seq,
      }));
      out.push({
        subject: `calle.telemetry.${edgeId}`,
        data: encodeMessage(v1.TelemetryBatch, { edgeId, readings }),
      });
    }
  }
  return out;
}

/** Messages stored per second, and CPU µs per message (steadier on a shared machine: waiting
 * for a core or for fsync is not counted). */
async function rate(
  db: SqliteStore,
  msgs: { subject: string; data: Uint8Array }[],
  perCommit: number,
): Promise<{ perSec: number; cpuUs: number }> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < msgs.length; i += perCommit) {
    for (const o of await ingestBatch(db.telemetry, 'telemetry', msgs.slice(i, i + perCommit)))
      if (o.kind !== 'ack') throw new Error(`message not stored: ${o.kind}`);
  }
  const cpu = process.cpuUsage(cpu0);
  return {
    perSec: msgs.length / ((performance.now() - t0) / 1000),
    cpuUs: (cpu.user + cpu.system) / msgs.length,
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

const dir = mkdtempSync(join(tmpdir(), 'calle-store-bench-'));
const db = new SqliteStore(join(dir, 'coordinator.db'));
try {
  let round = 0;
  await rate(db, wire(round++, messages), 256); // warm-up: JIT, page cache, statement cache
  const results: Record<number, number[]> = { 1: [], 256: [], 1024: [] };
  const cpu: Record<number, number[]> = { 1: [], 256: [], 1024: [] };
  for (let r = 0; r < rounds; r++) {
    for (const perCommit of [1, 256, 1024]) {
      const count = perCommit === 1 ? BASELINE_MESSAGES : messages;
      const r = await rate(db, wire(round++, count), perCommit);
      results[perCommit]!.push(r.perSec);
      cpu[perCommit]!.push(r.cpuUs);
    }
  }
  for (const [perCommit, xs] of Object.entries(results))
    console.log(
      `store ${perCommit.padStart(4)} message(s) per commit: ${Math.round(median(xs))} msg/s ` +
        `(median of ${rounds}; ${xs.map((x) => Math.round(x)).join(', ')}), ` +
        `CPU ${median(cpu[Number(perCommit)]!).toFixed(1)} µs/msg`,
    );
} finally {
  db.closeNow();
  rmSync(dir, { recursive: true, force: true });
}
