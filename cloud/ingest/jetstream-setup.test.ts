import { jetstreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalNatsServer } from '../../deploy/nats/local-server.js';
import { TELEMETRY_STREAM } from '../../proto/nats-subjects.js';
import { edgeClient, publishBatch, startNats, tempDir, testLogger } from '../testing/harness.js';
import { BacklogWatch } from './backlog-watch.js';
import { DUPLICATE_WINDOW_MS, ensureIngestStream, TELEMETRY_SPEC } from './jetstream-setup.js';
import { streamLimits } from './stream-sizing.js';

test('stream setup — minutes of duplicate window, bytes and age from the outage budget, also on update', async (t) => {
  const nats = await startNats(t);
  const { log } = testLogger(t);
  const { nc } = await edgeClient(t, nats.url);
  const jsm = await jetstreamManager(nc);
  // An existing stream from an older coordinator: 24 h window, no byte limit.
  await jsm.streams.add({
    name: TELEMETRY_STREAM,
    subjects: ['calle.telemetry.>'],
    duplicate_window: nanos(86_400_000),
  });
  const limits = streamLimits({ hours: 24, cabinets: 1_000, intervalS: 5 }).telemetry;
  await ensureIngestStream(jsm, TELEMETRY_SPEC, limits, log);
  const { config } = await jsm.streams.info(TELEMETRY_STREAM);
  t.is(config.duplicate_window, nanos(DUPLICATE_WINDOW_MS));
  t.true(DUPLICATE_WINDOW_MS <= 10 * 60_000, 'a window of minutes');
  t.is(config.max_bytes, limits.maxBytes);
  t.is(config.max_age, nanos(24 * 3_600_000));
});

test('stream setup — a budget larger than the hub’s max_file_store is refused naming both settings', async (t) => {
  const dir = tempDir(t);
  const conf = join(dir, 'small.conf');
  writeFileSync(conf, 'jetstream { max_file_store: 100MB }\n');
  const nats = await LocalNatsServer.start({ configFile: conf, storeDir: join(dir, 'js') });
  t.teardown(async () => nats.close());
  const { log } = testLogger(t);
  const { nc } = await edgeClient(t, nats.url);
  const jsm = await jetstreamManager(nc);
  const limits = streamLimits({ hours: 24, cabinets: 1_000, intervalS: 5 }).telemetry;
  const err = await t.throwsAsync(ensureIngestStream(jsm, TELEMETRY_SPEC, limits, log));
  t.regex(
    err.message,
    /CALLE_TELEMETRY: the outage budget needs 5\.\d GB .*max_file_store .*--outage-budget/,
  );
});

test('backlog watch — warns, then errs, as unstored messages use up the budget; quiet when drained', async (t) => {
  const nats = await startNats(t);
  const { log, lines } = testLogger(t);
  const { nc, js } = await edgeClient(t, nats.url);
  const jsm = await jetstreamManager(nc);
  // A budget of ~36 messages (~139 B each stored); nothing consumes them.
  const limits = { maxBytes: 36 * 139, maxAgeMs: 3_600_000 };
  await ensureIngestStream(jsm, TELEMETRY_SPEC, limits, log);
  const watch = new BacklogWatch({
    specs: [TELEMETRY_SPEC],
    limits: new Map([[TELEMETRY_STREAM, limits]]),
    log,
  });
  t.is((await watch.check(jsm))[0]?.level, 'ok');
  for (let seq = 1; seq <= 20; seq++) await publishBatch(js, 'edge-a', [seq]);
  const half = (await watch.check(jsm))[0]!;
  t.is(half.pendingMessages, 20);
  t.is(half.level, 'warn', `share ${half.share}`);
  for (let seq = 21; seq <= 34; seq++) await publishBatch(js, 'edge-a', [seq]);
  t.is((await watch.check(jsm))[0]?.level, 'error');
  const errLine = lines.find((l) => l.level === 50 && String(l.msg).includes('outage budget'));
  t.truthy(errLine);
  t.like(errLine, { stream: TELEMETRY_STREAM, pendingMessages: 34 });
  t.is(typeof errLine?.minutesLeft, 'number', 'the rate since the last check gives the time left');
  // The coordinator catches up: the consumer's backlog drains.
  const consumer = await js.consumers.get(TELEMETRY_STREAM, TELEMETRY_SPEC.durable);
  const batch = await consumer.fetch({ max_messages: 100, expires: 2_000 });
  for await (const m of batch) {
    m.ack();
    if (m.info.pending === 0) break;
  }
  t.is((await watch.check(jsm))[0]?.level, 'ok');
  t.true(lines.some((l) => l.msg === 'ingest backlog back within its budget'));
});
