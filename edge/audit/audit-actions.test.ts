// Every audit action the edge and the coordinator write must pass the audit log's grammar
// (common/audit/audit-log.ts, ACTION_PATTERN): a code the grammar refuses would cost the row.
// Here, not in common/, because it lists what the parts above common write.
import test from 'ava';
import { join } from 'node:path';
import { COMMAND_OUTCOMES } from '../../cloud/commands/command-sender.js';
import { AuditLog } from '../../common/audit/audit-log.js';
import { openDatabase } from '../../common/sqlite/open-database.js';
import { tempDir, testLogger } from '../../common/testing/temp-dir.js';
import { COMMAND_TYPES } from '../../common/commands/command-types.js';
import { SUPPRESSED_ACTION } from '../commands/refusal-limiter.js';
import { EDGE_MIGRATIONS } from '../store/migrations.js';

test('audit actions — the grammar takes every action calle writes', (t) => {
  const db = openDatabase(join(tempDir(t), 'edge.db'), EDGE_MIGRATIONS);
  t.teardown(() => db.close());
  const audit = new AuditLog({ db, log: testLogger() });
  const written = [
    ...Object.keys(COMMAND_TYPES).map((type) => `command.${type}`),
    ...COMMAND_OUTCOMES.map((outcome) => `command.${outcome}`),
    'command.refused',
    SUPPRESSED_ACTION,
    'policy.applied',
    'user.password_changed',
    'signal.latch_clear_refused',
    'enrolment.approve_refused',
    'power_cut.step',
    'login.ok',
    'logout',
  ];
  t.true(written.includes('command.lighting.clear-override'));
  t.true(written.includes('command.no-answer'));
  for (const action of written)
    t.notThrows(() => audit.append({ actor: 'system', action, target: 'x' }), action);
  t.is(audit.stats().rows, written.length);
});
