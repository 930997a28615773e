import test from 'ava';
import { join } from 'node:path';
import { openDatabase } from '../../common/sqlite/open-database.js';
import { Outbox } from '../store/outbox.js';
import { tempDir, testLogger } from '../../common/testing/temp-dir.js';
import { AuditLog } from '../../common/audit/audit-log.js';
import { auditedSink } from './audited-sink.js';
import { EDGE_MIGRATIONS } from '../store/migrations.js';

test('audited sink — a critical alarm goes to the outbox and to the audit chain; routine events only to the outbox', (t) => {
  const db = openDatabase(join(tempDir(t), 'edge.db'), EDGE_MIGRATIONS);
  t.teardown(() => db.close());
  const log = testLogger();
  const outbox = new Outbox({ db, edgeId: 'e1', log });
  const audit = new AuditLog({ db, log });
  const sink = auditedSink(outbox, audit, 'e1');

  sink.raise({
    code: 'CONTAINER_FULL',
    deviceId: 'fill-01',
    severity: 'warning',
    message: 'full',
    timeMs: 1,
    active: true,
  });
  sink.raise({
    code: 'SIGNAL_FLASH_LATCHED',
    severity: 'critical',
    message: 'x1: flashing amber, conflict',
    timeMs: 2,
    active: true,
  });
  sink.record([{ deviceId: 'lum-01', metric: 'level.pct', value: 100, timeMs: 3 }]);

  t.is(outbox.stats().pending, 3);
  const rows = audit.recent(10);
  t.is(rows.length, 1);
  t.like(rows[0], { actor: 'system', action: 'alarm.raised', target: 'e1' });
  t.like(audit.verify(), { ok: true });
});
