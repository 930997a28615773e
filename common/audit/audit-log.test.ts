import test, { type ExecutionContext } from 'ava';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { pino } from 'pino';
import { openDatabase } from '../sqlite/open-database.js';
import { AUDIT_ONLY_MIGRATIONS } from './audit-schema.js';
import { tempDir, testLogger } from '../testing/temp-dir.js';
import { auditRowHash, GENESIS_HASH, verifyAuditChain } from './audit-chain.js';
import { AuditEntryError, AuditLog } from './audit-log.js';

/** A file with `n` policy rows, closed again so each test can reopen or tamper with it. */
function logWithRows(t: ExecutionContext, n: number): string {
  const file = join(tempDir(t), 'audit.db');
  const db = openDatabase(file, AUDIT_ONLY_MIGRATIONS);
  let clock = 1_750_000_000_000;
  const audit = new AuditLog({ db, log: testLogger(), now: () => clock++ });
  for (let i = 1; i <= n; i++)
    audit.append({
      actor: 'coordinator',
      action: 'policy.applied',
      target: `policy:${i}`,
      before: { version: i - 1 },
      after: { version: i },
    });
  db.close();
  return file;
}

/** Changes the file as someone with a SQLite shell would: triggers dropped first. */
function tamper(file: string, sql: string): void {
  const raw = new Database(file);
  raw.exec('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;');
  raw.exec(sql);
  raw.close();
}

function verifyFile(t: ExecutionContext, file: string) {
  const db = openDatabase(file, AUDIT_ONLY_MIGRATIONS);
  t.teardown(() => db.close());
  return new AuditLog({ db, log: testLogger() }).verify();
}

test('audit log — rows chain from the genesis hash, survive a reopen and verify', (t) => {
  const file = logWithRows(t, 3);
  const db = openDatabase(file, AUDIT_ONLY_MIGRATIONS);
  t.teardown(() => db.close());
  const audit = new AuditLog({ db, log: testLogger(), now: () => 1_760_000_000_000 });
  const row = audit.append({
    actor: 'tecnico.ana',
    action: 'override.set',
    target: 'lum-03',
    after: { levelPct: 100, expiresMs: 1, reason: 'works' },
  });
  t.like(row, { seq: 4, timeMs: 1_760_000_000_000, beforeJson: null });
  t.is(row.afterJson, '{"expiresMs":1,"levelPct":100,"reason":"works"}', 'keys sorted: canonical');
  const [newest, previous] = audit.recent(2);
  t.deepEqual(newest, row);
  t.is(row.prevHash, previous!.hash);
  t.is(row.hash, auditRowHash(row));
  t.is(audit.recent(10).at(-1)!.prevHash, GENESIS_HASH);
  t.deepEqual(audit.verify(), { ok: true, rows: 4, headHash: row.hash });
  t.like(audit.stats(), { rows: 4, headHash: row.hash, overCapacity: false });
});

test('audit log — appendWith commits the change and its row together, or neither', (t) => {
  const db = openDatabase(join(tempDir(t), 'audit.db'), AUDIT_ONLY_MIGRATIONS);
  t.teardown(() => db.close());
  db.exec('CREATE TABLE thing (v INTEGER NOT NULL)');
  const audit = new AuditLog({ db, log: testLogger() });
  const entry = { actor: 'system', action: 'thing.set', target: 'thing', after: { v: 1 } };
  t.is(
    audit.appendWith(entry, () => db.prepare('INSERT INTO thing (v) VALUES (1)').run().changes),
    1,
  );
  t.throws(
    () =>
      audit.appendWith(entry, () => {
        db.prepare('INSERT INTO thing (v) VALUES (2)').run();
        throw new Error('disk on fire');
      }),
    { message: 'disk on fire' },
  );
  // A caller's transaction that rolls back after appending takes the row with it.
  t.throws(() =>
    db.transaction(() => {
      audit.append({ ...entry, after: { v: 3 } });
      throw new Error('later step failed');
    })(),
  );
  t.deepEqual(db.prepare('SELECT v FROM thing').pluck().all(), [1]);
  t.is(audit.stats().rows, 1);
  t.like(audit.append(entry), { seq: 2 }, 'the rolled-back seq is reused, no gap');
  t.like(audit.verify(), { ok: true, rows: 2 });
});

test('audit log — node code cannot change or delete history', (t) => {
  const db = openDatabase(logWithRows(t, 2), AUDIT_ONLY_MIGRATIONS);
  t.teardown(() => db.close());
  t.throws(() => db.exec("UPDATE audit_log SET actor = 'x' WHERE seq = 1"), {
    any: true,
    message: /append-only/,
  });
  t.throws(() => db.exec('DELETE FROM audit_log WHERE seq = 2'), { any: true, message: /append-only/ });
});

test('audit log — verify names the first changed row', (t) => {
  const file = logWithRows(t, 5);
  tamper(file, `UPDATE audit_log SET after_json = '{"version":99}' WHERE seq = 3`);
  t.deepEqual(verifyFile(t, file), {
    ok: false,
    rows: 2,
    brokenAt: 3,
    reason: 'content does not match its hash (row changed)',
  });
});

test('audit log — verify catches a rewritten row whose own hash was recomputed', (t) => {
  const file = logWithRows(t, 5);
  const raw = new Database(file);
  const row = raw.prepare('SELECT * FROM audit_log WHERE seq = 2').get() as Record<string, string | number>;
  const forged = {
    seq: 2,
    timeMs: row.time_ms as number,
    actor: 'nobody',
    action: row.action as string,
    target: row.target as string,
    beforeJson: row.before_json as string,
    afterJson: row.after_json as string,
    prevHash: row.prev_hash as string,
  };
  raw.close();
  tamper(file, `UPDATE audit_log SET actor = 'nobody', hash = '${auditRowHash(forged)}' WHERE seq = 2`);
  const verdict = verifyFile(t, file);
  t.like(verdict, { ok: false, brokenAt: 3 });
  if (!verdict.ok) t.regex(verdict.reason, /^prev_hash does not match the hash of seq 2 /);
});

test('audit log — verify catches a deleted row, a reordering and a cut-off tail', (t) => {
  const deleted = logWithRows(t, 5);
  tamper(deleted, 'DELETE FROM audit_log WHERE seq = 3');
  t.like(verifyFile(t, deleted), { ok: false, rows: 2, brokenAt: 4, reason: 'seq 3 missing (rows deleted)' });

  const reordered = logWithRows(t, 5);
  tamper(
    reordered,
    'UPDATE audit_log SET seq = -1 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 3; UPDATE audit_log SET seq = 3 WHERE seq = -1;',
  );
  const verdict = verifyFile(t, reordered);
  t.like(verdict, { ok: false, rows: 1, brokenAt: 2 });
  if (!verdict.ok) t.regex(verdict.reason, /^prev_hash does not match the hash of seq 1 /);

  const cut = logWithRows(t, 5);
  tamper(cut, 'DELETE FROM audit_log WHERE seq >= 4');
  t.deepEqual(verifyFile(t, cut), {
    ok: false,
    rows: 3,
    brokenAt: 4,
    reason: 'log ends at seq 3 but 5 rows were written (newest rows removed)',
  });
});

test('audit log — warns once when the row count passes the threshold, after the commit', async (t) => {
  const db = openDatabase(join(tempDir(t), 'audit.db'), AUDIT_ONLY_MIGRATIONS);
  t.teardown(() => db.close());
  const warnings: [number, number, number][] = [];
  const count = db.prepare<[], number>('SELECT count(*) FROM audit_log').pluck();
  const audit = new AuditLog({
    db,
    log: testLogger(),
    warnAtRows: 2,
    onCapacityWarning: (rows, limit) => warnings.push([rows, limit, count.get()!]),
  });
  const entry = { actor: 'system', action: 'edge.started', target: 'edge' };
  audit.append(entry);
  audit.append(entry);
  await Promise.resolve();
  t.deepEqual(warnings, []);
  db.transaction(() => audit.append(entry))();
  audit.append(entry);
  await Promise.resolve();
  t.deepEqual(warnings, [[3, 2, 4]], 'once, with the row committed');
  t.true(audit.stats().overCapacity);

  // A node restarted over the threshold warns at start.
  const again: number[] = [];
  new AuditLog({ db, log: testLogger(), warnAtRows: 2, onCapacityWarning: (rows) => again.push(rows) });
  await Promise.resolve();
  t.deepEqual(again, [4]);
});

test('audit log — refuses an entry with a bad field, naming it, and writes nothing', (t) => {
  const db = openDatabase(join(tempDir(t), 'audit.db'), AUDIT_ONLY_MIGRATIONS);
  t.teardown(() => db.close());
  const audit = new AuditLog({ db, log: testLogger() });
  const bad = [
    [{ actor: '', action: 'a.b', target: 'x' }, 'audit.actor: must be a string of 1..200 characters'],
    [{ actor: 'system', action: 'Policy Applied', target: 'x' }, /^audit\.action: "Policy Applied"/],
    [{ actor: 'system', action: 'a.b', target: 'x', timeMs: 1.5 }, /^audit\.timeMs: /],
  ] as const;
  for (const [entry, message] of bad)
    t.throws(() => audit.append(entry), { instanceOf: AuditEntryError, message });
  t.is(audit.stats().rows, 0);
});

test('audit log — the action grammar takes dotted lower-case codes and refuses garbage', (t) => {
  const db = openDatabase(join(tempDir(t), 'audit.db'), AUDIT_ONLY_MIGRATIONS);
  t.teardown(() => db.close());
  const audit = new AuditLog({ db, log: testLogger() });
  // Every action calle writes is checked against this grammar in edge/audit/audit-actions.test.ts.
  const written = [
    'command.lighting.clear-override',
    'command.no-answer',
    'policy.applied',
    'user.password_changed',
    'power_cut.step',
    'login.ok',
    'logout',
  ];
  for (const action of written)
    t.notThrows(() => audit.append({ actor: 'system', action, target: 'x' }), action);
  t.is(audit.stats().rows, written.length);
  for (const action of [
    '',
    'Policy.applied',
    'policy applied',
    'policy..applied',
    '.policy',
    'policy.',
    '-policy',
    'policy-',
    'policy.-applied',
    'policy--applied',
    'policy.applied_',
    '9policy',
    'policy.9',
    'policy/applied',
    'policy.applied\n',
    'policy.appliéd',
    `a${'.b'.repeat(100)}`,
  ])
    t.throws(() => audit.append({ actor: 'system', action, target: 'x' }), {
      instanceOf: AuditEntryError,
      message: /^audit\.action: /,
    });
  t.is(audit.stats().rows, written.length, 'nothing written for garbage');
});

test('audit log — a row that cannot be written is loud: error logged with the entry, counted, listener told, and told again when writing resumes', async (t) => {
  const db = openDatabase(join(tempDir(t), 'audit.db'), AUDIT_ONLY_MIGRATIONS);
  t.teardown(() => db.close());
  const lines: { level: number; msg: string; entry?: { action: string } }[] = [];
  const log = pino(
    { level: 'info' },
    { write: (s: string) => void lines.push(JSON.parse(s) as (typeof lines)[0]) },
  );
  const calls: [boolean, string | undefined][] = [];
  const audit = new AuditLog({
    db,
    log,
    onWriteFailure: (failing, err) => calls.push([failing, err?.message]),
  });
  // A refused entry through record(): no throw, no row, and said out loud.
  t.is(audit.record({ actor: 'x'.repeat(201), action: 'command.done', target: 'edge:e1' }), undefined);
  // A storage failure (here the append-only trigger's twin: an insert the database refuses).
  db.exec(
    "CREATE TRIGGER audit_no_insert BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'disk says no'); END;",
  );
  t.is(audit.record({ actor: 'system', action: 'alarm.raised', target: 'e1' }), undefined);
  t.throws(() => audit.append({ actor: 'system', action: 'alarm.raised', target: 'e1' }), {
    any: true,
    message: /disk says no/,
  });
  await Promise.resolve();
  t.deepEqual(
    calls,
    [[true, 'audit.actor: must be a string of 1..200 characters']],
    'told once while failing',
  );
  const errors = lines.filter((l) => l.level === 50 && l.msg === 'audit log: row NOT written');
  t.deepEqual(
    errors.map((l) => l.entry?.action),
    ['command.done', 'alarm.raised', 'alarm.raised'],
    'each lost entry is in the log',
  );
  t.is(audit.stats().writeFailures, 3);
  db.exec('DROP TRIGGER audit_no_insert');
  t.truthy(audit.record({ actor: 'system', action: 'alarm.cleared', target: 'e1' }));
  await Promise.resolve();
  t.deepEqual(calls.at(-1), [false, undefined], 'told when rows are written again');
  t.is(audit.stats().rows, 1);
  t.true(audit.verify().ok);
});

test('audit log — verify on a running node reads the head and the rows from one snapshot: an append in between is no false break', (t) => {
  const file = logWithRows(t, 3);
  const node = openDatabase(file, AUDIT_ONLY_MIGRATIONS);
  t.teardown(() => node.close());
  const audit = new AuditLog({ db: node, log: testLogger() });
  // `calle audit verify` opens its own read-only connection; the node appends on its connection
  // right after the verifier has read meta.audit_last_seq — the moment the old code was exposed.
  const reader = new Database(file, { readonly: true, fileMustExist: true });
  t.teardown(() => reader.close());
  let appended = 0;
  const hooked = new Proxy(reader, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (prop !== 'prepare') return bindIfFunction(value, target);
      return (sql: string) => {
        const stmt = target.prepare(sql);
        if (!sql.includes('audit_last_seq')) return stmt;
        return new Proxy(stmt, {
          get(s, p) {
            const v = Reflect.get(s, p, s) as unknown;
            if (p !== 'get') return bindIfFunction(v, s);
            return () => {
              const head = s.get();
              audit.append({ actor: 'system', action: 'alarm.raised', target: 'e1' });
              appended++;
              return head;
            };
          },
        });
      };
    },
  });
  const verdict = verifyAuditChain(hooked);
  t.is(appended, 1, 'the concurrent append happened mid-verify');
  t.like(verdict, { ok: true, rows: 3 });
  t.like(verifyAuditChain(reader), { ok: true, rows: 4 });
});

/** For a Proxy over a native object: its methods must run with the object itself as `this`. */
function bindIfFunction(value: unknown, self: object): unknown {
  return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(self) : value;
}
