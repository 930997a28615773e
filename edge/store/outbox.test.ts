import test from 'ava';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { v1 } from '../../proto/index.js';
import { tempDir, testLogger } from '../../common/testing/temp-dir.js';
import { SchemaTooNewError } from '../../common/sqlite/migrations.js';
import { openDatabase } from '../../common/sqlite/open-database.js';
import { EDGE_MIGRATIONS } from './migrations.js';
import { Outbox, PRIORITY_ALARM, PRIORITY_EVENT, PRIORITY_TELEMETRY } from './outbox.js';

const reading = (deviceId: string, value: number) => ({
  deviceId,
  metric: 'level.pct',
  value,
  timeMs: 1_700_000_000_000,
});

test('outbox — assigns contiguous sequence numbers that survive a reopen', (t) => {
  const file = join(tempDir(t), 'edge.db');
  let db = openDatabase(file, EDGE_MIGRATIONS);
  let outbox = new Outbox({ db, edgeId: 'e1', log: testLogger() });
  outbox.record([reading('a', 1), reading('b', 2), reading('c', 3)]);
  outbox.record([reading('a', 4)]);
  t.is(outbox.stats().highestSeq, 4);
  db.close();

  db = openDatabase(file, EDGE_MIGRATIONS);
  outbox = new Outbox({ db, edgeId: 'e1', log: testLogger() });
  outbox.record([reading('a', 5), reading('b', 6)]);
  const rows = outbox.peek(10);
  t.deepEqual(
    rows.map((r) => [r.firstSeq, r.lastSeq]),
    [
      [1, 3],
      [4, 4],
      [5, 6],
    ],
  );
  const batch = v1.TelemetryBatch.decode(rows[2]!.payload);
  t.is(batch.edgeId, 'e1');
  t.deepEqual(
    batch.readings.map((r) => [r.seq, r.deviceId, r.value]),
    [
      [5, 'a', 5],
      [6, 'b', 6],
    ],
  );
  t.is(rows[0]!.subject, 'calle.telemetry.e1');
  db.close();
});

test('outbox — alarms leave before events, events before older telemetry; one sequence counter', (t) => {
  const db = openDatabase(join(tempDir(t), 'edge.db'), EDGE_MIGRATIONS);
  t.teardown(() => db.close());
  const outbox = new Outbox({ db, edgeId: 'e1', log: testLogger() });
  t.like(outbox.record([reading('a', 1), reading('b', 1)]), { firstSeq: 1, lastSeq: 2 });
  outbox.raise({ code: 'POLICY_APPLIED', severity: 'info', message: 'policy 2', timeMs: 1, active: false });
  const alarm = outbox.raise({
    code: 'DEVICE_UNAVAILABLE',
    deviceId: 'a',
    severity: 'warning',
    message: 'no answer',
    timeMs: 1,
    active: true,
  });
  t.like(alarm, { priority: PRIORITY_ALARM, firstSeq: 4, lastSeq: 4 });
  // Clearing an alarm is news, not an alarm.
  outbox.raise({
    code: 'DEVICE_UNAVAILABLE',
    deviceId: 'a',
    severity: 'warning',
    message: 'back',
    timeMs: 2,
    active: false,
  });
  const rows = outbox.peek(10);
  t.deepEqual(
    rows.map((r) => [r.priority, r.firstSeq]),
    [
      [PRIORITY_ALARM, 4],
      [PRIORITY_EVENT, 3],
      [PRIORITY_EVENT, 5],
      [PRIORITY_TELEMETRY, 1],
    ],
  );
  t.is(rows[0]!.id, alarm.id);
  const event = v1.Event.decode(rows[0]!.payload);
  t.is(event.seq, 4);
  t.is(event.code, 'DEVICE_UNAVAILABLE');
  t.is(event.severity, v1.Severity.SEVERITY_WARNING);
  t.is(rows[0]!.subject, 'calle.events.e1');
});

test('outbox — acknowledged rows are gone, the rest stay', (t) => {
  const db = openDatabase(join(tempDir(t), 'edge.db'), EDGE_MIGRATIONS);
  t.teardown(() => db.close());
  const outbox = new Outbox({ db, edgeId: 'e1', log: testLogger() });
  outbox.record([reading('a', 1)]);
  outbox.record([reading('a', 2)]);
  const [first] = outbox.peek(1);
  outbox.acknowledge(first!.id);
  outbox.acknowledge(first!.id); // a second ack for the same row changes nothing
  t.deepEqual(
    outbox.peek(10).map((r) => r.firstSeq),
    [2],
  );
  t.is(outbox.stats().pending, 1);
  t.is(outbox.stats().ackedSinceStart, 1);
});

test('outbox — when full, drops the oldest telemetry, never events, and counts it', (t) => {
  const db = openDatabase(join(tempDir(t), 'edge.db'), EDGE_MIGRATIONS);
  t.teardown(() => db.close());
  const outbox = new Outbox({ db, edgeId: 'e1', log: testLogger(), maxRows: 3 });
  outbox.raise({ code: 'START', severity: 'info', message: 'started', timeMs: 1, active: false });
  for (let i = 0; i < 5; i++) outbox.record([reading('a', i)]);
  const rows = outbox.peek(10);
  t.is(rows.length, 3);
  t.is(rows[0]!.priority, PRIORITY_EVENT);
  t.deepEqual(
    rows.slice(1).map((r) => r.firstSeq),
    [5, 6],
  );
  t.is(outbox.stats().dropped, 3);
});

test('outbox — alarms and events are kept past the bound when no telemetry is left to drop', (t) => {
  const db = openDatabase(join(tempDir(t), 'edge.db'), EDGE_MIGRATIONS);
  t.teardown(() => db.close());
  const outbox = new Outbox({ db, edgeId: 'e1', log: testLogger(), maxRows: 2 });
  outbox.record([reading('a', 0)]);
  for (let i = 0; i < 3; i++)
    outbox.raise({
      code: 'SIGNAL_FLASH_LATCHED',
      severity: 'critical',
      message: `x${i}`,
      timeMs: i,
      active: true,
    });
  outbox.raise({ code: 'POLICY_APPLIED', severity: 'info', message: 'p', timeMs: 9, active: false });
  t.deepEqual(
    outbox.peek(10).map((r) => [r.priority, r.firstSeq]),
    [
      [PRIORITY_ALARM, 2],
      [PRIORITY_ALARM, 3],
      [PRIORITY_ALARM, 4],
      [PRIORITY_EVENT, 5],
    ],
  );
  t.is(outbox.stats().dropped, 1, 'only the telemetry row went');
});

test('edge db — migration 2 moves queued rows into the three priority classes', (t) => {
  const file = join(tempDir(t), 'edge.db');
  // A file as the first release left it: 0 = events, 1 = telemetry.
  const old = openDatabase(
    file,
    EDGE_MIGRATIONS.filter((m) => m.version === 1),
  );
  const insert = old.prepare(
    "INSERT INTO outbox (subject, priority, first_seq, last_seq, payload, created_ms) VALUES ('s', ?, ?, ?, x'', 0)",
  );
  insert.run(1, 1, 1);
  insert.run(0, 2, 2);
  old.close();
  const db = openDatabase(file, EDGE_MIGRATIONS);
  t.teardown(() => db.close());
  t.is(db.pragma('user_version', { simple: true }), EDGE_MIGRATIONS.at(-1)!.version);
  const outbox = new Outbox({ db, edgeId: 'e1', log: testLogger() });
  t.deepEqual(
    outbox.peek(10).map((r) => [r.priority, r.firstSeq]),
    [
      [PRIORITY_EVENT, 2],
      [PRIORITY_TELEMETRY, 1],
    ],
  );
});

test('edge db — refuses a file written by a newer schema, and leaves it untouched', (t) => {
  const file = join(tempDir(t), 'edge.db');
  const db = openDatabase(file, EDGE_MIGRATIONS);
  db.pragma('user_version = 99');
  db.close();
  const err = t.throws(() => openDatabase(file, EDGE_MIGRATIONS), { instanceOf: SchemaTooNewError });
  t.regex(err.message, /schema version 99 is newer/);
  const raw = new Database(file, { readonly: true });
  t.teardown(() => raw.close());
  t.is(raw.pragma('user_version', { simple: true }), 99);
  t.is(raw.prepare<[], { n: number }>('SELECT count(*) AS n FROM outbox').get()?.n, 0); // tables still there
});

test('edge db — WAL with synchronous FULL', (t) => {
  const db = openDatabase(join(tempDir(t), 'edge.db'), EDGE_MIGRATIONS);
  t.teardown(() => db.close());
  t.is(db.pragma('journal_mode', { simple: true }), 'wal');
  t.is(db.pragma('synchronous', { simple: true }), 2);
});
