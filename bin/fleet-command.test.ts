import test from 'ava';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteStore } from '../cloud/store/sqlite/sqlite-store.js';
import { tempDir } from '../common/testing/temp-dir.js';
import { runFleetCommand } from './fleet-command.js';

function fleet(args: string[]): { code: number; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const code = runFleetCommand(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

function database(t: Parameters<typeof tempDir>[0]): string {
  const db = join(tempDir(t), 'coordinator.db');
  new SqliteStore(db).closeNow();
  return db;
}

test('calle fleet — token shows the token once and writes the nkey seed 0600, never over an existing file', (t) => {
  const db = database(t);
  const seed = join(tempDir(t), 'atocha-01.nk');
  const r = fleet([
    'token',
    '--edge',
    'atocha-01',
    '--district',
    'centro',
    '--ttl',
    '2h',
    '--out',
    seed,
    '--db',
    db,
  ]);
  t.is(r.code, 0, r.err.join('\n'));
  t.regex(r.out[1]!, /^calle-enrol-[A-Za-z0-9_-]{43}$/);
  t.regex(readFileSync(seed, 'utf8'), /^SU[A-Z2-7]{56}\n$/);
  t.is(statSync(seed).mode & 0o777, 0o600);
  t.false(
    r.out.join('\n').includes(readFileSync(seed, 'utf8').trim()),
    'the seed is not printed when written',
  );

  // A second token for the same edge keeps its NATS user; --new-nkey would refuse the same --out.
  const again = fleet(['token', '--edge', 'atocha-01', '--district', 'centro', '--db', db]);
  t.is(again.code, 0);
  t.true(again.out.some((l) => l.startsWith('NATS user unchanged: U')));
  const clash = fleet([
    'token',
    '--edge',
    'atocha-01',
    '--district',
    'centro',
    '--new-nkey',
    '--out',
    seed,
    '--db',
    db,
  ]);
  t.is(clash.code, 1);
  t.regex(clash.err[0]!, /already exists; refusing to overwrite/);

  const list = fleet(['list', '--db', db]);
  t.regex(list.out[0]!, /^atocha-01 {2}invited {2}district centro {2}no key yet {2}nats U[A-Z2-7]{55}/);
  t.deepEqual(fleet(['pending', '--db', db]).out, ['no edge is waiting for approval']);
});

test('calle fleet — a mistyped --db is refused and not created; bad usage names the problem', (t) => {
  const missing = join(tempDir(t), 'nope.db');
  const r = fleet(['pending', '--db', missing]);
  t.is(r.code, 1);
  t.regex(r.err[0]!, /--db .*nope\.db: .*start calle cloud once/);
  t.false(existsSync(missing));

  const db = database(t);
  t.regex(fleet(['token', '--edge', 'x', '--db', db]).err[0]!, /token needs --edge ID and --district D/);
  t.regex(
    fleet(['token', '--edge', 'Bad.Id', '--district', 'd', '--db', db]).err[0]!,
    /edge id 'Bad\.Id' is invalid/,
  );
  t.regex(
    fleet(['token', '--edge', 'x', '--district', 'd', '--ttl', '1y', '--db', db]).err[0]!,
    /--ttl: '1y' is not a duration/,
  );
  t.regex(fleet(['approve', '--db', db]).err[0]!, /approve takes one edge id/);
  t.regex(fleet(['approve', 'ghost', '--db', db]).err[0]!, /edge "ghost" is not known/);
  t.regex(fleet(['nats-accounts', '--db', db]).err[0]!, /nats-accounts needs --out FILE/);
  t.is(fleet(['teleport', '--db', db]).code, 2);
});

test('calle fleet — nats-accounts renders every non-revoked edge user and replaces the file whole', (t) => {
  const db = database(t);
  const out = join(tempDir(t), 'accounts.conf');
  writeFileSync(out, 'old');
  for (const id of ['a-1', 'b-2']) fleet(['token', '--edge', id, '--district', 'd', '--db', db]);
  fleet(['revoke', 'b-2', '--db', db]);
  const r = fleet(['nats-accounts', '--out', out, '--db', db]);
  t.deepEqual(r.out, [`${out}: 1 edge users`]);
  const text = readFileSync(out, 'utf8');
  t.regex(text, /# a-1\n {4}\{\n {6}nkey: U[A-Z2-7]{55}/);
  t.false(text.includes('b-2'));
});
