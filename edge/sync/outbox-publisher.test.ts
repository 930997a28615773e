import { jetstreamManager } from '@nats-io/jetstream';
import test from 'ava';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalNatsServer } from '../../deploy/nats/local-server.js';
import { TELEMETRY_STREAM } from '../../proto/nats-subjects.js';
import { openDatabase } from '../../common/sqlite/open-database.js';
import { Outbox } from '../store/outbox.js';
import { tempDir, testLogger } from '../../common/testing/temp-dir.js';
import { NatsLink } from './nats-link.js';
import { ByteBudget, wireBytes } from './byte-budget.js';
import { OutboxPublisher } from './outbox-publisher.js';
import { EDGE_MIGRATIONS } from '../store/migrations.js';

async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('outbox publisher — drains to JetStream, keeps queueing through a broker crash, then drains once', async (t) => {
  const dir = tempDir(t);
  const nats = await LocalNatsServer.start({ storeDir: join(dir, 'nats') });
  t.teardown(async () => nats.close());
  const log = testLogger();

  // The coordinator owns the stream; here the test stands in for it.
  const admin = new NatsLink({ servers: [nats.url], edgeId: 'admin', log });
  t.teardown(async () => admin.close());
  await until('admin connection', () => admin.connected);
  const jsm = await jetstreamManager(admin.connection!);
  await jsm.streams.add({
    name: TELEMETRY_STREAM,
    subjects: ['calle.telemetry.>'],
    duplicate_window: 3_600_000_000_000,
  });
  const streamMessages = async (): Promise<number> =>
    (await jsm.streams.info(TELEMETRY_STREAM)).state.messages;

  const db = openDatabase(join(dir, 'edge.db'), EDGE_MIGRATIONS);
  t.teardown(() => db.close());
  const outbox = new Outbox({ db, edgeId: 'e1', log });
  const link = new NatsLink({ servers: [nats.url], edgeId: 'e1', log });
  t.teardown(async () => link.close());
  const publisher = new OutboxPublisher({
    outbox,
    connection: () => link.connection,
    edgeId: 'e1',
    log,
    ackTimeoutMs: 1_000,
    idleMs: 100,
  });
  t.teardown(async () => publisher.stop());
  publisher.start();

  const tick = (i: number) =>
    outbox.record([{ deviceId: 'lum-1', metric: 'level.pct', value: i, timeMs: Date.now() }]);
  for (let i = 0; i < 20; i++) tick(i);
  await until('first drain', () => outbox.stats().pending === 0);
  t.is(await streamMessages(), 20);

  await nats.stop('SIGKILL');
  await until('link down', () => !link.connected);
  for (let i = 20; i < 50; i++) tick(i);
  await sleep(300);
  t.is(outbox.stats().pending, 30, 'rows queue while the broker is down');

  await nats.start();
  await until('drain after restart', () => outbox.stats().pending === 0);
  await until('admin back', () => admin.connected);
  t.is(await streamMessages(), 50, 'every row reached the stream exactly once');
  t.is(outbox.stats().highestSeq, 50);
});

test('outbox publisher — with a bandwidth budget, alarms go at once and telemetry waits for the budget to refill', async (t) => {
  const dir = tempDir(t);
  const nats = await LocalNatsServer.start({ storeDir: join(dir, 'nats') });
  t.teardown(async () => nats.close());
  const log = testLogger();
  const admin = new NatsLink({ servers: [nats.url], edgeId: 'admin', log });
  t.teardown(async () => admin.close());
  await until('admin connection', () => admin.connected);
  const jsm = await jetstreamManager(admin.connection!);
  await jsm.streams.add({ name: TELEMETRY_STREAM, subjects: ['calle.telemetry.>'] });
  await jsm.streams.add({ name: 'CALLE_EVENTS', subjects: ['calle.events.>'] });
  const count = async (stream: string): Promise<number> => (await jsm.streams.info(stream)).state.messages;

  const db = openDatabase(join(dir, 'edge.db'), EDGE_MIGRATIONS);
  t.teardown(() => db.close());
  const outbox = new Outbox({ db, edgeId: 'e1', log });
  const link = new NatsLink({ servers: [nats.url], edgeId: 'e1', log });
  t.teardown(async () => link.close());
  let now = 1_000_000;
  // 864,000 bytes a day = 10 B/s, a 100 s bucket: 1,000 bytes, about four telemetry rows.
  const budget = new ByteBudget({ bytesPerDay: 864_000, burstS: 100 });
  const publisher = new OutboxPublisher({
    outbox,
    connection: () => link.connection,
    edgeId: 'e1',
    log,
    ackTimeoutMs: 1_000,
    idleMs: 50,
    budget,
    now: () => now,
  });
  t.teardown(async () => publisher.stop());
  for (let i = 0; i < 10; i++)
    outbox.record([{ deviceId: 'lum-1', metric: 'level.pct', value: i, timeMs: now }]);
  // How many rows the 1,000-byte bucket pays for, by the same wire-size rule.
  let fits = 0;
  for (let spent = 0; fits < 10; fits++) {
    const row = outbox.peek(10)[fits]!;
    spent += wireBytes(row.subject, row.payload.length);
    if (spent > 1_000) break;
  }
  t.true(fits > 0 && fits < 10);
  publisher.start();
  await until(
    'the bucket spent',
    async () => (await count(TELEMETRY_STREAM)) > 0 && outbox.stats().pending > 0,
  );
  await sleep(300);
  const sent = await count(TELEMETRY_STREAM);
  t.is(sent, fits, 'exactly the rows within the 1,000-byte bucket');
  // An alarm overtakes the held telemetry at once, budget or not.
  outbox.raise({
    code: 'FIRE',
    severity: 'critical',
    message: 'container on fire',
    timeMs: now,
    active: true,
  });
  await until('the alarm published', async () => (await count('CALLE_EVENTS')) === 1);
  t.is(await count(TELEMETRY_STREAM), sent, 'telemetry still held');
  // The budget refills with time: everything leaves, nothing was dropped.
  now += 1_000_000;
  await until('drained after the refill', () => outbox.stats().pending === 0);
  t.is(await count(TELEMETRY_STREAM), 10);
});
