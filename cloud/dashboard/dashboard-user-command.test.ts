import test from 'ava';
import { join } from 'node:path';
import { runDashboardCommand } from '../../bin/dashboard-user-command.js';
import type { UserCommandIo } from '../../common/access/secret-input.js';
import { tempDir, testLogger } from '../testing/harness.js';
import { openDashboardStore } from './dashboard-store.js';

test('dashboard cli — user add, list, passwd and audit verify work on the dashboard file, passwords from input', async (t) => {
  const file = join(tempDir(t), 'dashboard.db');
  const out: string[] = [];
  const err: string[] = [];
  let secret = 'correct horse battery';
  const io: UserCommandIo = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    readSecret: async () => Promise.resolve(secret),
  };
  t.is(await runDashboardCommand(['user', 'add', 'eva', '--role', 'engineer', '--store', file], io), 0);
  t.deepEqual(out, ['user eva added with role engineer']);
  t.is(await runDashboardCommand(['user', 'add', 'eva', '--role', 'engineer', '--store', file], io), 1);
  t.regex(err.at(-1)!, /already exists/);
  t.is(await runDashboardCommand(['user', 'add', 'sol', '--role', 'admin', '--store', file], io), 2);
  t.is(await runDashboardCommand(['user', 'list'], io), 2, '--store is required');
  t.is(await runDashboardCommand(['user', 'drop', 'eva', '--store', file], io), 2);
  secret = 'short';
  t.is(await runDashboardCommand(['user', 'add', 'tom', '--role', 'technician', '--store', file], io), 1);
  t.regex(err.at(-1)!, /password: must be at least 10/);

  const { log } = testLogger(t);
  const before = openDashboardStore({ file, log });
  const { token } = before.sessions.create('eva');
  secret = 'a brand new password';
  t.is(await runDashboardCommand(['user', 'passwd', 'eva', '--store', file], io), 0);
  t.like(before.sessions.lookup(token, false), { ok: false }, 'old sessions end with the password');
  t.truthy(await before.users.authenticate('eva', secret));
  before.close();
  t.is(await runDashboardCommand(['user', 'list', '--store', file], io), 0);
  t.regex(out.at(-1)!, /^eva\tengineer\tcreated \d{4}-/);
  t.is(await runDashboardCommand(['audit', 'verify', '--store', file], io), 0);
  t.regex(out.at(-1)!, /audit log OK: 2 rows/);
});
