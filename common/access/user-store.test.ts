import test from 'ava';
import { join } from 'node:path';
import { AuditLog } from '../audit/audit-log.js';
import { openDatabase } from '../sqlite/open-database.js';
import { AUDIT_ONLY_MIGRATIONS } from '../audit/audit-schema.js';
import { tempDir, testLogger } from '../testing/temp-dir.js';
import { hashPassword, verifyPassword } from './password-hash.js';
import { can } from './roles.js';
import { UserStore } from './user-store.js';

const PASSWORD = 'correct horse battery';

function open(t: import('ava').ExecutionContext, file = join(tempDir(t), 'audit.db')) {
  const db = openDatabase(file, AUDIT_ONLY_MIGRATIONS);
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
