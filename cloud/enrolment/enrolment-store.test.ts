import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoordinatorError, ErrorCodes } from '../errors.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { tempDir } from '../testing/harness.js';
import { EnrolmentStore } from './enrolment-store.js';
import { parseTtl, TOKEN_PREFIX } from './enrolment-token.js';

const HOUR = 3_600_000;
const T0 = 1_800_000_000_000;
const keyA = Buffer.alloc(32, 1);
const keyB = Buffer.alloc(32, 2);

function open(t: Parameters<typeof tempDir>[0]): { store: EnrolmentStore; file: string; db: SqliteStore } {
  const file = join(tempDir(t), 'coordinator.db');
  const db = new SqliteStore(file);
  t.teardown(() => db.closeNow());
  return { store: new EnrolmentStore(db.sqlite), file, db };
}

const refusedWith = (t: Parameters<typeof tempDir>[0], fn: () => unknown, reason: RegExp): void => {
  const err = t.throws(fn, { instanceOf: CoordinatorError });
  t.is(err?.code, ErrorCodes.ENROLMENT_REFUSED);
  t.regex(err?.message ?? '', reason);
};

test('enrolment tokens — one use only: the second use is refused and changes nothing', (t) => {
  const { store } = open(t);
  const { token, expiresMs } = store.issueToken({
    edgeId: 'e1',
    district: 'centro',
    ttlMs: 24 * HOUR,
    nowMs: T0,
  });
  t.true(token.startsWith(TOKEN_PREFIX));
  t.is(expiresMs, T0 + 24 * HOUR);
  t.is(store.get('e1')?.state, 'invited');

  const row = store.consumeToken({ token, edgeId: 'e1', district: 'centro', publicKey: keyA, nowMs: T0 + 1 });
  t.is(row.state, 'pending');
  t.deepEqual(row.publicKey, keyA);

  refusedWith(
    t,
    () => store.consumeToken({ token, edgeId: 'e1', district: 'centro', publicKey: keyB, nowMs: T0 + 2 }),
    /already used/,
  );
  t.deepEqual(store.get('e1')?.publicKey, keyA, 'the key enrolled first stays');
});

test('enrolment tokens — expire, are bound to their edge and district, and unknown ones are refused', (t) => {
  const { store } = open(t);
  const { token } = store.issueToken({ edgeId: 'e1', district: 'centro', ttlMs: HOUR, nowMs: T0 });
  const use = (o: { edgeId?: string; district?: string; nowMs?: number; token?: string }) => () =>
    store.consumeToken({
      token: o.token ?? token,
      edgeId: o.edgeId ?? 'e1',
      district: o.district ?? 'centro',
      publicKey: keyA,
      nowMs: o.nowMs ?? T0,
    });
  refusedWith(t, use({ edgeId: 'e2' }), /issued for another edge, not "e2"/);
  refusedWith(
    t,
    use({ district: 'retiro' }),
    /district: the token was issued for district "centro", not "retiro"/,
  );
  refusedWith(t, use({ nowMs: T0 + HOUR }), /expired at/);
  refusedWith(t, use({ token: `${TOKEN_PREFIX}nope` }), /unknown token/);
  t.is(store.get('e1')?.state, 'invited', 'no refusal consumed or changed anything');
  t.is(use({ nowMs: T0 + HOUR - 1 })().state, 'pending', 'still good just before expiry');
  t.is(store.get('e2'), undefined);
});

test('enrolment tokens — only a hash is stored: the database file does not contain the token', (t) => {
  const { store, file, db } = open(t);
  const { token } = store.issueToken({ edgeId: 'e1', district: 'centro', ttlMs: HOUR, nowMs: T0 });
  db.closeNow();
  const bytes =
    readFileSync(file).toString('latin1') +
    (() => {
      try {
        return readFileSync(`${file}-wal`).toString('latin1');
      } catch {
        return '';
      }
    })();
  t.false(bytes.includes(token.slice(TOKEN_PREFIX.length)));
});

test('enrolment — approve needs an enrolled edge; revoke voids unused tokens; a new token re-enrols', (t) => {
  const { store } = open(t);
  const first = store.issueToken({ edgeId: 'e1', district: 'centro', ttlMs: HOUR, nowMs: T0 });
  const err = t.throws(() => store.approve('e1', T0), { instanceOf: CoordinatorError });
  t.regex(err?.message ?? '', /has not enrolled yet/);
  store.consumeToken({ token: first.token, edgeId: 'e1', district: 'centro', publicKey: keyA, nowMs: T0 });
  t.is(store.approve('e1', T0 + 1).state, 'approved');

  const spare = store.issueToken({ edgeId: 'e1', district: 'centro', ttlMs: HOUR, nowMs: T0 + 2 });
  t.is(store.revoke('e1', T0 + 3).state, 'revoked');
  refusedWith(
    t,
    () =>
      store.consumeToken({
        token: spare.token,
        edgeId: 'e1',
        district: 'centro',
        publicKey: keyB,
        nowMs: T0 + 4,
      }),
    /unknown token/,
  );
  t.regex(t.throws(() => store.approve('e1', T0 + 5))?.message ?? '', /revoked; issue a new token/);

  const fresh = store.issueToken({ edgeId: 'e1', district: 'centro', ttlMs: HOUR, nowMs: T0 + 6 });
  const row = store.consumeToken({
    token: fresh.token,
    edgeId: 'e1',
    district: 'centro',
    publicKey: keyB,
    nowMs: T0 + 7,
  });
  t.is(row.state, 'pending');
  t.deepEqual(row.publicKey, keyB, 'a new board enrols its own key');
  t.is(row.revokedMs, null);
});

test('enrolment — NATS users: every edge with an nkey that is not revoked', (t) => {
  const { store } = open(t);
  const nkey = (c: string): string => `U${c.repeat(55)}`;
  store.issueToken({ edgeId: 'a', district: 'd', ttlMs: HOUR, nowMs: T0, natsNkey: nkey('A') });
  store.issueToken({ edgeId: 'b', district: 'd', ttlMs: HOUR, nowMs: T0, natsNkey: nkey('B') });
  store.issueToken({ edgeId: 'c', district: 'd', ttlMs: HOUR, nowMs: T0 });
  store.revoke('b', T0);
  t.deepEqual(store.natsUsers(), [{ edgeId: 'a', nkey: nkey('A') }]);
});

test('enrolment — token lifetimes parse with their unit and are capped at 30 days', (t) => {
  t.is(parseTtl('--ttl', '90m'), 90 * 60_000);
  t.is(parseTtl('--ttl', '24h'), 24 * HOUR);
  t.is(parseTtl('--ttl', '30d'), 30 * 24 * HOUR);
  t.throws(() => parseTtl('--ttl', '31d'), { message: /--ttl: 31d must be above 0 and at most 30d/ });
  t.throws(() => parseTtl('--ttl', '1w'), { message: /--ttl: '1w' is not a duration/ });
  t.throws(() => parseTtl('--ttl', '0h'), { message: /above 0/ });
});
