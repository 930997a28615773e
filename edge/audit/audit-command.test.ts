import test from 'ava';
import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { openDatabase } from '../../common/sqlite/open-database.js';
import { EDGE_MIGRATIONS } from '../store/migrations.js';
import { tempDir, testLogger } from '../../common/testing/temp-dir.js';
import { runAuditCommand } from './audit-command.js';
import { AuditLog } from '../../common/audit/audit-log.js';

const CALLE = fileURLToPath(new URL('../../bin/calle.ts', import.meta.url));

function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = runAuditCommand(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

test('audit command — OK with the row count while the node holds the file open and writes on', (t) => {
  const file = join(tempDir(t), 'edge.db');
  const db = openDatabase(file, EDGE_MIGRATIONS);
  t.teardown(() => db.close());
  const audit = new AuditLog({ db, log: testLogger() });
  for (let i = 0; i < 3; i++)
    audit.append({ actor: 'system', action: 'policy.restored', target: `policy:${i}` });
  const { headHash } = audit.stats();
  const result = run(['verify', '--store', file]);
  t.is(result.code, 0);
  t.is(result.out, `${file}: audit log OK: 3 rows, head ${headHash}`);
  audit.append({ actor: 'system', action: 'policy.restored', target: 'policy:9' });
  t.like(audit.verify(), { ok: true, rows: 4 }, 'the node writes on after the check');
});

test('audit command — a broken chain prints the seq and reason, exit 1; bad usage exit 2', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'edge.db');
  const db = openDatabase(file, EDGE_MIGRATIONS);
  const audit = new AuditLog({ db, log: testLogger() });
  for (let i = 0; i < 4; i++)
    audit.append({ actor: 'system', action: 'policy.restored', target: `policy:${i}` });
  db.exec("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET target = 'policy:7' WHERE seq = 2");
  db.close();
  t.deepEqual(run(['verify', '--store', file]), {
    code: 1,
    out: `${file}: audit log BROKEN at seq 2: content does not match its hash (row changed) (1 rows before it check out)`,
    err: '',
  });

  t.like(run(['verify']), { code: 2, err: 'calle audit verify: --store FILE is required' });
  t.like(run(['check', '--store', file]), { code: 2 });
  t.regex(run(['verify', '--store', join(dir, 'nope.db')]).err, /nope\.db: cannot open: /);
  const junk = 'not a database at all, just text long enough to look like a header';
  writeFileSync(join(dir, 'junk.db'), junk);
  t.like(run(['verify', '--store', join(dir, 'junk.db')]), { code: 2 });
  t.is(readFileSync(join(dir, 'junk.db'), 'utf8'), junk, 'read-only: the evidence is untouched');

  const v1 = join(dir, 'v1.db');
  openDatabase(v1, EDGE_MIGRATIONS.slice(0, 1)).close();
  t.like(run(['verify', '--store', v1]), {
    code: 2,
    err: `${v1}: no audit log (schema version 1; the audit log arrived in 3)`,
  });
  const raw = new Database(v1, { readonly: true });
  t.is(raw.pragma('user_version', { simple: true }), 1, 'verify never migrates');
  raw.close();
});

test('audit command — `calle audit verify` dispatches and exits with the verdict', async (t) => {
  const file = join(tempDir(t), 'edge.db');
  const db = openDatabase(file, EDGE_MIGRATIONS);
  new AuditLog({ db, log: testLogger() }).append({ actor: 'system', action: 'edge.started', target: 'edge' });
  db.close();
  const { stdout } = await promisify(execFile)(process.execPath, [
    '--import=tsx',
    CALLE,
    'audit',
    'verify',
    '--store',
    file,
  ]);
  t.regex(stdout, /audit log OK: 1 rows, head [0-9a-f]{64}\n$/);
  const broken = new Database(file);
  broken.exec('DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log');
  broken.close();
  const failed = await promisify(execFile)(process.execPath, [
    '--import=tsx',
    CALLE,
    'audit',
    'verify',
    '--store',
    file,
  ]).then(
    () => 0,
    (err: { code?: number }) => err.code,
  );
  t.is(failed, 1);
});
