import test from 'ava';
import { join } from 'node:path';
import { AuditLog } from '../audit/audit-log.js';
import { openDatabase } from '../store/edge-db.js';
import { tempDir, testLogger } from '../../common/testing/temp-dir.js';
import { hashPassword, verifyPassword } from './password-hash.js';
import { can } from './roles.js';
import { SessionStore } from './session-store.js';
import { runUserCommand, type UserCommandIo } from './user-command.js';
import { UserStore } from './user-store.js';

const PASSWORD = 'correct horse battery';

function open(t: import('ava').ExecutionContext, file = join(tempDir(t), 'edge.db')) {
  const db = openDatabase(file);
  t.teardown(() => db.close());
  const audit = new AuditLog({ db, log: testLogger() });
  return { db, audit, users: new UserStore({ db, audit }) };
}

test('users — scrypt hashes carry their parameters and a fresh salt, and verify only the right password', async (t) => {
  const a = await hashPassword(PASSWORD);
  const b = await hashPassword(PASSWORD);
  t.regex(a, /^scrypt\$15\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
  t.not(a, b, 'salted');
  t.true(await verifyPassword(PASSWORD, a));
  t.false(await verifyPassword(PASSWORD + ' ', a));
  t.false(
    await verifyPassword(PASSWORD, 'plain-text-from-somewhere'),
    'a malformed hash is a no, not a throw',
  );
});

test('users — roles are ordered: viewer < technician < engineer', (t) => {
  t.false(can('viewer', 'signal.clear'));
  t.false(can('technician', 'signal.clear'));
  t.true(can('engineer', 'signal.clear'));
  t.true(can('technician', 'lighting.override'));
  t.false(can('viewer', 'lighting.override'));
  t.true(can('viewer', 'view'));
});

test('users — changes are audited with before and after, never with a hash; the last engineer stays', async (t) => {
  const { users, audit, db } = open(t);
  await users.add('eva', 'engineer', PASSWORD, 'cli');
  await users.add('tom', 'viewer', PASSWORD, 'eva');
  users.setRole('tom', 'technician', 'eva');
  await users.setPassword('tom', 'another good password', 'tom');
  await t.throwsAsync(users.add('tom', 'viewer', PASSWORD, 'eva'), {
    message: 'name: user "tom" already exists',
  });
  await t.throwsAsync(users.add('Bad Name', 'viewer', PASSWORD, 'eva'), { message: /^name: / });
  await t.throwsAsync(users.add('sol', 'viewer', 'short', 'eva'), {
    message: /^password: must be at least 10/,
  });
  t.throws(() => users.setRole('eva', 'viewer', 'eva'), { message: /last engineer/ });
  t.throws(() => users.remove('eva', 'eva'), { message: /last engineer/ });

  const rows = audit.recent(10).reverse();
  t.deepEqual(
    rows.map((r) => [r.actor, r.action, r.target, r.beforeJson, r.afterJson]),
    [
      ['cli', 'user.added', 'user:eva', null, '{"name":"eva","role":"engineer"}'],
      ['eva', 'user.added', 'user:tom', null, '{"name":"tom","role":"viewer"}'],
      ['eva', 'user.role_changed', 'user:tom', '{"role":"viewer"}', '{"role":"technician"}'],
      ['tom', 'user.password_changed', 'user:tom', null, '{"passwordChanged":true}'],
    ],
  );
  const dump = JSON.stringify(db.prepare('SELECT * FROM audit_log').all());
  t.notRegex(dump, /scrypt\$/, 'no hash in the audit log');
  t.truthy(await users.authenticate('tom', 'another good password'));
  t.falsy(await users.authenticate('tom', PASSWORD));
  t.falsy(await users.authenticate('nobody', PASSWORD));
});

test('users — calle user add, list and passwd work on an edge database, reading the password from input', async (t) => {
  const file = join(tempDir(t), 'edge.db');
  const out: string[] = [];
  const err: string[] = [];
  let secret = PASSWORD;
  const io: UserCommandIo = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    readSecret: async () => Promise.resolve(secret),
  };
  t.is(await runUserCommand(['add', 'eva', '--role', 'engineer', '--store', file], io), 0);
  t.deepEqual(out, ['user eva added with role engineer']);
  t.is(await runUserCommand(['add', 'eva', '--role', 'engineer', '--store', file], io), 1);
  t.regex(err.at(-1)!, /already exists/);
  t.is(await runUserCommand(['add', 'sol', '--role', 'admin', '--store', file], io), 2);
  t.regex(err.at(-1)!, /--role must be one of viewer, technician, engineer/);
  t.is(await runUserCommand(['list'], io), 2, '--store is required');
  const before = open(t, file);
  const { token } = new SessionStore({ db: before.db }).create('eva');
  secret = 'a brand new password';
  t.is(await runUserCommand(['passwd', 'eva', '--store', file], io), 0);
  t.like(new SessionStore({ db: before.db }).lookup(token, false), { ok: false }, 'old sessions end');
  t.is(await runUserCommand(['list', '--store', file], io), 0);
  t.regex(out.at(-1)!, /^eva\tengineer\tcreated \d{4}-/);

  const { users, audit } = open(t, file);
  t.truthy(await users.authenticate('eva', secret));
  t.deepEqual(
    audit.recent(5).map((r) => [r.actor, r.action]),
    [
      ['cli', 'user.password_changed'],
      ['cli', 'user.added'],
    ],
  );
});
