// The victim of the power-cut test (edge/store/power-cut.test.ts): writes to the edge database as
// hard as it can, through the real Outbox and AuditLog, until it is killed.
//
//   node power-cut-writer.js FILE
//
// Protocol on stdout, one line per fact, each written only AFTER its transaction committed:
//   ready                      the database is open (migrated, recovered); writes start now
//   o <id> <firstSeq> <lastSeq>  an outbox row committed
//   u <seq> <hash>             an audit row committed
//   A <id>                     about to acknowledge (delete) outbox row <id>
//   a <id>                     the delete committed
// Lines go out with writeSync on fd 1: when it returns, the bytes are in the pipe and survive the
// SIGKILL that follows, so the parent never misses a report for a commit it was told about.
import { writeSync } from 'node:fs';
import type { Logger } from 'pino';
import { AuditLog } from '../../../common/audit/audit-log.js';
import type { TelemetryReading } from '../../telemetry-sink.js';
import { openDatabase } from '../../../common/sqlite/open-database.js';
import { Outbox, type OutboxAppend } from '../outbox.js';
import { EDGE_MIGRATIONS } from '../migrations.js';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: power-cut-writer FILE\n');
  process.exit(2);
}

// pino would add a large module to every one of hundreds of starts; nothing here needs to log.
const noop = (): void => undefined;
const quiet = { warn: noop, error: noop, info: noop, debug: noop, child: () => quiet } as unknown as Logger;

const say = (line: string): void => {
  writeSync(1, `${line}\n`);
};
const sayRow = (r: OutboxAppend | undefined): void => {
  if (r) say(`o ${r.id} ${r.firstSeq} ${r.lastSeq}`);
};

const db = openDatabase(file, EDGE_MIGRATIONS);
// Far above what the test writes: a drop would look like a lost row (drops have their own test).
const outbox = new Outbox({ db, edgeId: 'power-cut', log: quiet, maxRows: 10_000_000 });
const audit = new AuditLog({ db, log: quiet });
let pending = outbox.stats().pending;
say('ready');

const readings = (n: number, i: number): TelemetryReading[] =>
  Array.from({ length: n }, (_, k) => ({
    deviceId: `lum-${String(k % 40).padStart(2, '0')}`,
    metric: k % 2 ? 'power.w' : 'level.pct',
    value: (i * 31 + k) % 101,
    timeMs: Date.now(),
  }));

// A safety net: a writer the parent forgot does not run for ever.
const deadline = Date.now() + 15_000;
for (let i = 1; Date.now() < deadline; i++) {
  // Mostly tick-sized batches; now and then a large one, so a transaction spans many pages.
  sayRow(outbox.record(readings(i % 50 === 0 ? 400 : 20, i)));
  pending++;
  if (i % 3 === 0) {
    sayRow(
      outbox.raise({
        code: 'DEVICE_UNAVAILABLE',
        deviceId: 'lum-03',
        severity: i % 6 === 0 ? 'critical' : 'info',
        message: `cycle ${i}`,
        timeMs: Date.now(),
        active: i % 6 === 0,
      }),
    );
    pending++;
  }
  if (i % 10 === 0) {
    const row = audit.append({
      actor: 'system',
      action: 'power_cut.step',
      target: `step:${i}`,
      after: { i },
    });
    say(`u ${row.seq} ${row.hash}`);
  }
  if (i % 15 === 0) {
    // The pattern edge-node uses for a policy: the change, its event and its audit row, one commit.
    const both = db.transaction(() => ({
      row: outbox.raise({
        code: 'POLICY_APPLIED',
        severity: 'info',
        message: `policy ${i}`,
        timeMs: Date.now(),
        active: false,
      }),
      audit: audit.append({
        actor: 'coordinator',
        action: 'policy.applied',
        target: `policy:${i}`,
        before: { version: i - 1 },
        after: { version: i },
      }),
    }))();
    pending++;
    sayRow(both.row);
    say(`u ${both.audit.seq} ${both.audit.hash}`);
  }
  // Publish-and-delete like the publisher, fast enough to keep the file small.
  const ack = pending > 300 ? 3 : i % 2;
  for (const row of outbox.peek(ack)) {
    say(`A ${row.id}`);
    outbox.acknowledge(row.id);
    pending--;
    say(`a ${row.id}`);
  }
}
db.close();
