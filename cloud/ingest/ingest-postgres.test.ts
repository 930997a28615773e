// Ingest on the PostgreSQL store through a crash of PostgreSQL: what JetStream delivers while the
// database is down fails, is nak'ed and comes back; once the database has recovered every reading
// is stored exactly once, and the per-edge counters (kept in the same transactions) are exact.
import test from 'ava';
import { PgStore } from '../store/postgres/pg-store.js';
import { edgeClient, publishBatch, startNats, testLogger, waitFor } from '../testing/harness.js';
import { startPostgres } from '../testing/postgres.js';
import { TelemetryIngest } from './telemetry-ingest.js';

test('ingest (postgres) — PostgreSQL crashes and restarts mid-stream: every reading stored once, counters exact', async (t) => {
  const [nats, pg] = await Promise.all([startNats(t), startPostgres(t)]);
  const store = await PgStore.open(await pg.database());
  const { log, lines } = testLogger(t);
  const ingest = TelemetryIngest.start({ servers: [nats.url], store: store.telemetry, log, retryMs: 200 });
  t.teardown(async () => {
    await ingest.close();
    await store.close();
  });
  await ingest.ready;
  const { js } = await edgeClient(t, nats.url);
  const batches = (from: number, to: number) =>
    Array.from({ length: (to - from + 1) / 3 }, (_, i) => [from + 3 * i, from + 3 * i + 1, from + 3 * i + 2]);

  for (const seqs of batches(1, 30)) await publishBatch(js, 'edge-a', seqs);
  await waitFor(
    async () => (await store.telemetry.stats('edge-a'))?.highestContiguousSeq === 30,
    10_000,
    'first 30',
  );

  await pg.kill();
  for (const seqs of batches(31, 60)) await publishBatch(js, 'edge-a', seqs);
  await waitFor(
    () => lines.some((l) => l.msg === 'storing message failed; will be redelivered'),
    10_000,
    'a failed store',
  );
  await pg.restart();

  await waitFor(
    async () => (await store.telemetry.stats('edge-a'))?.highestContiguousSeq === 60,
    30_000,
    'all 60 after the restart',
  );
  t.like(await store.telemetry.stats('edge-a'), { readingsReceived: 60, highestSeq: 60, gaps: 0 });
  t.is(await store.telemetry.countReadings('edge-a'), 60, 'stored once each');
  const [hour] = await store.series.rollups({ resolution: '1h', fromMs: 0, toMs: Number.MAX_SAFE_INTEGER });
  t.is(hour?.n, 60, 'the rollup counted each reading once');
});
