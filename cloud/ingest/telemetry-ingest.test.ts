import { jetstreamManager } from '@nats-io/jetstream';
import test, { type ExecutionContext } from 'ava';
import { join } from 'node:path';
import { encodeMessage, v1 } from '../../proto/index.js';
import { eventSubject, messageId, telemetrySubject, TELEMETRY_STREAM } from '../../proto/nats-subjects.js';
import { ErrorCodes } from '../errors.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { edgeClient, publishBatch, startNats, tempDir, testLogger, waitFor } from '../testing/harness.js';
import { TELEMETRY_SPEC } from './jetstream-setup.js';
import { TelemetryIngest } from './telemetry-ingest.js';

async function setup(t: ExecutionContext) {
  const nats = await startNats(t);
  const { log, lines } = testLogger(t);
  const db = new SqliteStore(join(tempDir(t), 'coordinator.db'));
  const ingest = TelemetryIngest.start({ servers: [nats.url], store: db.telemetry, log, retryMs: 200 });
  t.teardown(async () => {
    await ingest.close();
    db.closeNow();
  });
  await ingest.ready;
  const edge = await edgeClient(t, nats.url);
  return { nats, db, ingest, lines, ...edge };
}

test('ingest — a batch re-sent with the same or a new msg id is stored once, duplicates counted', async (t) => {
  const { db, js } = await setup(t);
  t.false((await publishBatch(js, 'edge-a', [1, 2, 3])).duplicate);
  // Same Nats-Msg-Id inside the duplicate window: JetStream itself drops it.
  t.true((await publishBatch(js, 'edge-a', [1, 2, 3])).duplicate);
  // A different msg id (a re-send after the window, or a re-batched outbox): reaches us, and the
  // (edge_id, seq) keys drop it.
  t.false((await publishBatch(js, 'edge-a', [1, 2, 3], 'edge-a:resent-1')).duplicate);

  await waitFor(
    async () => (await db.telemetry.stats('edge-a'))?.duplicates === 3,
    10_000,
    'duplicates counted',
  );
  t.is(await db.telemetry.countReadings('edge-a'), 3);
  t.like(await db.telemetry.stats('edge-a'), {
    readingsReceived: 3,
    duplicates: 3,
    highestContiguousSeq: 3,
    gaps: 0,
  });
});

test('ingest — highest contiguous seq and gaps follow seqs 1,2,3,5 then 4', async (t) => {
  const { db, js } = await setup(t);
  await publishBatch(js, 'edge-a', [1, 2, 3]);
  await publishBatch(js, 'edge-a', [5]);
  await waitFor(async () => (await db.telemetry.stats('edge-a'))?.highestSeq === 5, 10_000, 'seq 5 stored');
  t.like(await db.telemetry.stats('edge-a'), { highestContiguousSeq: 3, gaps: 1, readingsReceived: 4 });

  await publishBatch(js, 'edge-a', [4]);
  await waitFor(
    async () => (await db.telemetry.stats('edge-a'))?.highestContiguousSeq === 5,
    10_000,
    'gap filled',
  );
  t.like(await db.telemetry.stats('edge-a'), { highestContiguousSeq: 5, gaps: 0, readingsReceived: 5 });
});

test('ingest — survives a nats-server SIGKILL and restart, and stores what comes afterwards', async (t) => {
  const { nats, db, js, lines } = await setup(t);
  await publishBatch(js, 'edge-a', [1, 2]);
  await waitFor(
    async () => (await db.telemetry.stats('edge-a'))?.highestContiguousSeq === 2,
    10_000,
    'first batch',
  );

  await nats.stop('SIGKILL');
  await waitFor(
    () => lines.some((l) => l.msg === 'NATS disconnected; reconnecting'),
    10_000,
    'disconnect seen',
  );
  await nats.start();

  // The edge's own client reconnects too; until it has, a publish can fail, as it would in the field.
  await waitFor(() => lines.some((l) => l.msg === 'NATS reconnected'), 15_000, 'ingest reconnected');
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      await publishBatch(js, 'edge-a', [3, 4]);
      break;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  await waitFor(
    async () => (await db.telemetry.stats('edge-a'))?.highestContiguousSeq === 4,
    30_000,
    'batch after restart',
  );
  t.like(await db.telemetry.stats('edge-a'), { readingsReceived: 4, duplicates: 0, gaps: 0 });
});

test('ingest — a malformed payload is terminated, logged, and the next good one is stored', async (t) => {
  const { db, js, nc, lines } = await setup(t);
  // Wire type 7 does not exist in protobuf: decoding throws.
  await js.publish(telemetrySubject('edge-a'), new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]), {
    msgID: 'junk-1',
  });
  await publishBatch(js, 'edge-a', [1]);

  await waitFor(
    async () => (await db.telemetry.stats('edge-a'))?.highestContiguousSeq === 1,
    10_000,
    'good batch stored',
  );
  const refused = lines.find((l) => l.msg === 'message refused; terminated');
  t.is(refused?.code, ErrorCodes.MALFORMED_PAYLOAD);
  // Terminated, not left pending: nothing awaits an ack and nothing will be redelivered.
  // (The term and the ack travel asynchronously, so poll briefly.)
  const jsm = await jetstreamManager(nc);
  let info = await jsm.consumers.info(TELEMETRY_STREAM, TELEMETRY_SPEC.durable);
  for (let i = 0; i < 40 && info.num_ack_pending > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    info = await jsm.consumers.info(TELEMETRY_STREAM, TELEMETRY_SPEC.durable);
  }
  t.is(info.num_ack_pending, 0);
  t.is(info.num_pending, 0);
  t.is(info.num_redelivered, 0);
});

test('ingest — a batch whose edge_id differs from its subject is terminated and stores nothing', async (t) => {
  const { db, js, lines } = await setup(t);
  const forged = encodeMessage(v1.TelemetryBatch, { edgeId: 'edge-b', readings: [{ seq: 1, value: 1 }] });
  await js.publish(telemetrySubject('edge-a'), forged, { msgID: messageId('edge-a', 1) });
  await publishBatch(js, 'edge-a', [1], 'edge-a:1-genuine');

  await waitFor(
    async () => (await db.telemetry.stats('edge-a'))?.readingsReceived === 1,
    10_000,
    'genuine batch stored',
  );
  t.is(lines.find((l) => l.msg === 'message refused; terminated')?.code, ErrorCodes.EDGE_ID_MISMATCH);
  t.is(await db.telemetry.stats('edge-b'), undefined);
});

test('ingest — events are stored once and share the edge sequence with readings', async (t) => {
  const { db, js } = await setup(t);
  const event = {
    seq: 2,
    edgeId: 'edge-a',
    deviceId: 'lum-07',
    code: 'DEVICE_UNAVAILABLE',
    severity: v1.Severity.SEVERITY_WARNING,
    message: 'no Modbus answer for 30 s',
    timeMs: 1_700_000_000_002,
    active: true,
  };
  await js.publish(eventSubject('edge-a'), encodeMessage(v1.Event, event), { msgID: messageId('edge-a', 2) });
  await js.publish(eventSubject('edge-a'), encodeMessage(v1.Event, event), { msgID: 'edge-a:2-resent' });
  await publishBatch(js, 'edge-a', [1]);
  await publishBatch(js, 'edge-a', [3]);

  await waitFor(
    async () => (await db.telemetry.stats('edge-a'))?.highestContiguousSeq === 3,
    10_000,
    'seq 1..3 stored',
  );
  await waitFor(
    async () => (await db.telemetry.stats('edge-a'))?.duplicates === 1,
    10_000,
    'duplicate event counted',
  );
  t.like(await db.telemetry.stats('edge-a'), { readingsReceived: 2, eventsReceived: 1, gaps: 0 });
  t.deepEqual(await db.telemetry.listEvents('edge-a'), [{ ...event, severity: 2 }]);
});

test('ingest — replicas with their own durable consumers each store everything (regression: a shared consumer split it)', async (t) => {
  const nats = await startNats(t);
  const { log } = testLogger(t);
  const dir = tempDir(t);
  const replicas = ['a', 'b'].map((replicaId) => {
    const db = new SqliteStore(join(dir, `${replicaId}.db`));
    const ingest = TelemetryIngest.start({
      servers: [nats.url],
      store: db.telemetry,
      log,
      retryMs: 200,
      replicaId,
    });
    t.teardown(async () => {
      await ingest.close();
      db.closeNow();
    });
    return { db, ingest };
  });
  await Promise.all(replicas.map(async (r) => r.ingest.ready));
  const { js } = await edgeClient(t, nats.url);
  for (let seq = 1; seq <= 20; seq += 2) await publishBatch(js, 'edge-a', [seq, seq + 1]);
  for (const [i, r] of replicas.entries())
    await waitFor(
      async () => (await r.db.telemetry.stats('edge-a'))?.highestContiguousSeq === 20,
      10_000,
      `replica ${i}`,
    );
  t.deepEqual(await Promise.all(replicas.map(async (r) => r.db.telemetry.countReadings('edge-a'))), [20, 20]);
  const jsm = await jetstreamManager((await edgeClient(t, nats.url)).nc);
  const names = (await jsm.consumers.list(TELEMETRY_STREAM).next()).map((c) => c.name).sort();
  t.deepEqual(names, [`${TELEMETRY_SPEC.durable}-a`, `${TELEMETRY_SPEC.durable}-b`]);
});
