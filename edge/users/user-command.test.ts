import test, { type ExecutionContext } from 'ava';
import { join } from 'node:path';
import { AuditLog } from '../../common/audit/audit-log.js';
import { SessionStore } from '../../common/access/session-store.js';
import { UserStore } from '../../common/access/user-store.js';
import { openDatabase } from '../../common/sqlite/open-database.js';
import { tempDir, testLogger } from '../../common/testing/temp-dir.js';
import { EDGE_MIGRATIONS } from '../store/migrations.js';
import type { UserCommandIo } from '../../common/access/secret-input.js';
import { runUserCommand } from './user-command.js';

const PASSWORD = 'correct horse battery';

function open(t: ExecutionContext, file: string) {
  const db = openDatabase(file, EDGE_MIGRATIONS);
  t.teardown(() => db.close());
  const audit = new AuditLog({ db, log: testLogger() });
  return { db, audit, users: new UserStore({ db, audit }) };
}

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
