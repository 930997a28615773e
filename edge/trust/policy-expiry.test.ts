// The edge's rules for expiring bundles (TUF freeze): an expired bundle is refused on arrival, a
// re-signed copy of the running version with a later expiry is a refresh, and a trust table from
// before expiry existed keeps working.
import test, { type ExecutionContext } from 'ava';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { v1, type calle } from '../../proto/index.js';
import { openDatabase, type Db } from '../../common/sqlite/open-database.js';
import { tempDir, testLogger } from '../../common/testing/temp-dir.js';
import type { PinnedKey } from './pinned-key.js';
import { contentDigest, expiryOf, LEGACY_VALIDITY_MS } from '../../common/signing/policy-expiry.js';
import { keyIdOf, signBundle, signingPayload } from '../../common/signing/policy-signature.js';
import { PolicyTrust } from './policy-trust.js';
import { EDGE_MIGRATIONS } from '../store/migrations.js';

const coordinator = generateKeyPairSync('ed25519');
const pinned: PinnedKey = { key: coordinator.publicKey, keyId: keyIdOf(coordinator.publicKey), file: 'test' };
const DAY = 86_400_000;
const NOW = Date.parse('2026-03-02T09:00:00Z');
const ISSUED = NOW - 2 * DAY;

/** A bundle as the edge receives it, issued two days ago, expiring at `expiresMs` (0: none). */
function bundle(version: number, expiresMs: number, fill = 0.8): calle.v1.PolicyBundle {
  const signed = signBundle(
    { version, issuedMs: ISSUED, expiresMs, target: { allEdges: true }, waste: { collectAtFill: fill } },
    coordinator.privateKey,
  );
  return v1.PolicyBundle.decode(v1.PolicyBundle.encode(signed).finish());
}

function trustOn(
  t: ExecutionContext,
  db: Db = openDatabase(':memory:', EDGE_MIGRATIONS),
  nowMs = NOW,
): PolicyTrust {
  t.teardown(() => {
    if (db.open) db.close();
  });
  return new PolicyTrust({ db, pinned, log: testLogger(), now: () => nowMs });
}

const reasonOf = (v: { ok: boolean; reason?: string }): string => (v.ok ? 'ok' : (v.reason ?? ''));
const kindOf = (v: { ok: boolean; kind?: string; reason?: string }): string =>
  v.ok ? (v.kind ?? 'ok') : `refused: ${v.reason ?? ''}`;

test('policy expiry — a bundle that expired before it arrived is refused, saying when; the floor does not move', (t) => {
  const trust = trustOn(t);
  t.is(
    reasonOf(trust.admit(bundle(5, NOW - 3 * 3_600_000))),
    'expires_ms: expired at 2026-03-02T06:00:00.000Z (3 h 0 min ago); refused, an expired policy may be ' +
      'one an attacker held back (TUF freeze); this edge keeps the policy it runs',
  );
  t.is(trust.trusted.version, 0, 'not trusted, so a later fresh copy of version 5 is still new');
  t.is(kindOf(trust.admit(bundle(5, NOW + DAY))), 'new');
  t.regex(
    reasonOf(trust.admit(bundle(6, NOW))),
    /^expires_ms: expired at 2026-03-02T09:00:00.000Z \(0 h 0 min ago\)/,
    'expiry is exclusive: at the very millisecond, expired',
  );
  t.regex(
    reasonOf(trust.admit(bundle(4, NOW - DAY))),
    /^version: 4 is older than 5/,
    'a replay is named a replay',
  );
});

test('policy expiry — a bundle without expires_ms (an older coordinator) expires 7 days after it was issued', (t) => {
  const old = bundle(1, 0);
  t.is(expiryOf(old), ISSUED + 7 * DAY);
  t.is(LEGACY_VALIDITY_MS, 7 * DAY);
  t.is(kindOf(trustOn(t).admit(old)), 'new', 'issued two days ago: still valid');
  const trust = trustOn(t, openDatabase(':memory:', EDGE_MIGRATIONS), ISSUED + 7 * DAY + 1);
  t.regex(reasonOf(trust.admit(old)), /^expires_ms: expired at /);
});

test('policy expiry — the running version re-signed with a later expiry is a refresh; an earlier one a copy; other content is refused', (t) => {
  const trust = trustOn(t);
  const running = bundle(5, NOW + DAY);
  t.is(kindOf(trust.admit(running)), 'new');
  const refreshed = bundle(5, NOW + 7 * DAY);
  t.is(contentDigest(refreshed), contentDigest(running), 'only expiry and signature differ');
  t.not(Buffer.from(refreshed.signature).toString('hex'), Buffer.from(running.signature).toString('hex'));
  t.is(kindOf(trust.admit(refreshed, running)), 'refresh');
  t.is(kindOf(trust.admit(running, refreshed)), 'same', 'the older signature again changes nothing');
  t.is(kindOf(trust.admit(refreshed, refreshed)), 'same', 'a re-delivery');
  t.is(
    reasonOf(trust.admit(bundle(5, NOW + 8 * DAY, 0.1), refreshed)),
    "version: 5 is the policy this edge runs, but with different content; refused (the coordinator's policy history may have been reset)",
  );
  // Without knowing what runs, the old rule: the trusted version with the same content passes.
  t.is(kindOf(trust.admit(refreshed)), 'new');
  t.regex(
    reasonOf(trust.admit(bundle(5, NOW + DAY, 0.1))),
    /^version: 5 was already trusted with different content/,
  );
});

test('policy expiry — a refresh that has itself expired is refused, and the running copy stays', (t) => {
  const trust = trustOn(t);
  const running = bundle(5, NOW - 2 * DAY);
  t.true(trust.checkStored(running).ok, 'an expired stored policy still boots (it runs, stale)');
  t.regex(reasonOf(trust.admit(bundle(5, NOW - DAY), running)), /^expires_ms: expired at /);
  t.is(kindOf(trust.admit(bundle(5, NOW + DAY), running)), 'refresh');
});

test('policy expiry — the running version is refreshed even below the trusted floor (a newer one was refused on bounds)', (t) => {
  const trust = trustOn(t);
  const running = bundle(5, NOW + DAY);
  t.is(kindOf(trust.admit(running)), 'new');
  t.is(kindOf(trust.admit(bundle(6, NOW + DAY))), 'new'); // authenticated; the site refuses it on bounds
  t.is(kindOf(trust.admit(bundle(5, NOW + 7 * DAY), running)), 'refresh');
  t.regex(
    reasonOf(trust.admit(bundle(5, NOW + 7 * DAY))),
    /^version: 5 is older than 6/,
    'not running: a replay',
  );
});

test('policy expiry — a refreshed stored policy passes the boot check (the trust row holds the content digest)', (t) => {
  const file = join(tempDir(t), 'edge.db');
  const db = openDatabase(file, EDGE_MIGRATIONS);
  const trust = new PolicyTrust({ db, pinned, log: testLogger(), now: () => NOW });
  const running = bundle(5, NOW + DAY);
  trust.admit(running);
  const refreshed = bundle(5, NOW + 7 * DAY);
  t.is(kindOf(trust.admit(refreshed, running)), 'refresh');
  db.close();
  const after = trustOn(t, openDatabase(file, EDGE_MIGRATIONS));
  t.true(after.checkStored(refreshed).ok);
  t.like(after.trusted, { version: 5, digest: contentDigest(running), digestOf: 'content' });
});

test('policy expiry — a trust table from before expiry (trust_state_v1) is carried over: its policy boots and is refreshed', (t) => {
  const file = join(tempDir(t), 'edge.db');
  const legacy = bundle(3, 0); // signed by an older coordinator: no expires_ms
  const db = openDatabase(file, EDGE_MIGRATIONS);
  // What the previous release left: the digest of the whole signed payload.
  db.exec(`CREATE TABLE trust_state_v1 (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL,
    digest TEXT NOT NULL, key_id TEXT NOT NULL, updated_ms INTEGER NOT NULL) STRICT`);
  const payload = createHash('sha256').update(signingPayload(legacy)).digest('hex');
  db.prepare('INSERT INTO trust_state_v1 VALUES (1, 3, ?, ?, 1)').run(payload, pinned.keyId);
  db.close();

  const trust = trustOn(t, openDatabase(file, EDGE_MIGRATIONS));
  t.like(trust.trusted, { version: 3, digest: payload, digestOf: 'payload' });
  t.regex(reasonOf(trust.admit(bundle(2, NOW + DAY))), /^version: 2 is older than 3/, 'the floor survived');
  t.true(trust.checkStored(legacy).ok, 'the stored policy still boots');
  t.like(
    trust.trusted,
    { digest: contentDigest(legacy), digestOf: 'content' },
    'and the row learnt its content',
  );
  t.is(kindOf(trust.admit(bundle(3, NOW + 7 * DAY), legacy)), 'refresh', 'the new coordinator re-signs it');
  t.true(trust.checkStored(bundle(3, NOW + 7 * DAY)).ok);
  t.regex(
    reasonOf(trust.checkStored(bundle(3, NOW + 7 * DAY, 0.2))),
    /^version: the stored policy 3 differs/,
  );
});
