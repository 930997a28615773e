// `npm run bench:replica`: how long a coordinator replica takes to be in step with the shared state
// at city scale (issue #16: "replica restart ≤ 5 s at 50,000 edges"). A private nats-server holds
// the KV buckets with N edges (registry rows, enrolment records are left out) and one verdict per
// edge; a replica's mirror starts on an empty SQLite file (a new replica: every key read), is
// closed, a few hundred edges change, and it starts again on the same file (a restart: only what
// changed since its last applied revision). Printed: both times and the entries each read.
//
// Usage: tsx cloud/bench/replica-restart-bench.ts [--edges 50000] [--changed 500] [--json FILE]
import { connect } from '@nats-io/transport-node';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { LocalNatsServer } from '../../deploy/nats/local-server.js';
import { EnrolmentStore } from '../enrolment/enrolment-store.js';
import { MirrorProgress } from '../replication/mirror-progress.js';
import { openStateBuckets, type StateBuckets } from '../replication/state-buckets.js';
import { encodeEntry, type AckEntry, type EdgeEntry } from '../replication/state-entries.js';
import { StateMirror } from '../replication/state-mirror.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';

const { values: args } = parseArgs({
  options: {
    edges: { type: 'string', default: '50000' },
    changed: { type: 'string', default: '500' },
    json: { type: 'string' },
  },
});
const edges = Number(args.edges);
const changed = Number(args.changed);
const log = pino({ level: 'warn' });

const edgeEntry = (i: number, lastSeenMs: number): EdgeEntry => ({
  id: `edge-${String(i).padStart(6, '0')}`,
  district: `d${i % 21}`,
  tags: ['streetlight'],
  softwareVersion: '1.4.2',
  registeredMs: 1_700_000_000_000,
  lastSeenMs,
  highestSeq: 1_000,
  outboxPending: 0,
  policyVersion: 7,
  devicesUnavailable: 0,
});

async function fill(buckets: StateBuckets, from: number, to: number, lastSeenMs: number): Promise<void> {
  let inFlight: Promise<unknown>[] = [];
  for (let i = from; i < to; i++) {
    const e = edgeEntry(i, lastSeenMs);
    const ack: AckEntry = { version: 7, applied: true, reason: '', timeMs: lastSeenMs };
    inFlight.push(buckets.edges.put(e.id, encodeEntry(e)), buckets.acks.put(e.id, encodeEntry(ack)));
    if (inFlight.length >= 2_000) {
      await Promise.all(inFlight);
      inFlight = [];
    }
  }
  await Promise.all(inFlight);
}

/** Starts a mirror on `file`, resolves once it is in step with the buckets and every row is committed. */
async function startReplica(buckets: StateBuckets, file: string): Promise<{ ms: number; read: number }> {
  const db = new SqliteStore(file);
  const mirror = new StateMirror({
    buckets,
    db,
    enrolment: new EnrolmentStore(db.sqlite),
    progress: new MirrorProgress(db.sqlite),
    log,
  });
  const last = async (kv: StateBuckets['edges']) => (await kv.status()).streamInfo.state.last_seq;
  const [edgesLast, acksLast] = [await last(buckets.edges), await last(buckets.acks)];
  const t0 = performance.now();
  await mirror.start({ announce: () => undefined, rollout: () => undefined });
  // start() gives up waiting after 10 s (a replica then serves and catches up); measure to the end.
  await mirror.applied('edges', edgesLast, 600_000);
  await mirror.applied('acks', acksLast, 600_000);
  // The mirror's registry and ack rows are group-committed: wait for the last group.
  await db.grouped.submit(() => undefined);
  const ms = performance.now() - t0;
  const read = mirror.entriesRead;
  await mirror.close();
  db.closeNow();
  return { ms, read };
}

const dir = mkdtempSync(join(tmpdir(), 'calle-replica-bench-'));
const nats = await LocalNatsServer.start({ storeDir: join(dir, 'nats') });
try {
  const nc = await connect({ servers: nats.url });
  const buckets = await openStateBuckets(nc);
  const t0 = performance.now();
  await fill(buckets, 0, edges, 1_700_000_000_000);
  const fillMs = performance.now() - t0;
  const file = join(dir, 'replica.db');
  const fresh = await startReplica(buckets, file);
  await fill(buckets, 0, Math.min(changed, edges), 1_700_000_100_000);
  const restart = await startReplica(buckets, file);
  await nc.close();
  const result = {
    edges,
    kvFillMs: Math.round(fillMs),
    newReplicaMs: Math.round(fresh.ms),
    newReplicaEntriesRead: fresh.read,
    restartMs: Math.round(restart.ms),
    restartEntriesRead: restart.read,
    changedWhileDown: Math.min(changed, edges),
  };
  console.log(
    `${edges} edges (registry row and verdict each): a new replica in step in ${result.newReplicaMs} ms ` +
      `(${fresh.read} entries read); restarted after ${result.changedWhileDown} edges changed: ` +
      `${result.restartMs} ms (${restart.read} entries read)`,
  );
  if (args.json) writeFileSync(args.json, `${JSON.stringify(result, null, 2)}\n`);
} finally {
  await nats.close();
  rmSync(dir, { recursive: true, force: true });
}
