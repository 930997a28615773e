import test, { type ExecutionContext } from 'ava';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { v1, type calle } from '../../proto/index.js';
import { ConfigError } from '../config/config-error.js';
import { checkEdgeConfig, loadEdgeConfig } from '../config/load-config.js';
import { openDatabase, type Db } from '../../common/sqlite/open-database.js';
import { tempDir, testLogger } from '../../common/testing/temp-dir.js';
import { loadPinnedKey, type PinnedKey } from './pinned-key.js';
import { keyIdOf, signBundle } from '../../common/signing/policy-signature.js';
import { PolicyTrust } from './policy-trust.js';
import { EDGE_MIGRATIONS } from '../store/migrations.js';

const coordinator = generateKeyPairSync('ed25519');
const pinned: PinnedKey = { key: coordinator.publicKey, keyId: keyIdOf(coordinator.publicKey), file: 'test' };

/** 2100-01-01: these tests are about signatures and versions, not expiry (policy-freshness.test.ts). */
const VALID_UNTIL = 4_102_444_800_000;

/** A bundle as the edge receives it: signed by `key`, then through the protobuf wire format. */
function bundle(
  version: number,
  levelPct = 50,
  key: KeyObject = coordinator.privateKey,
): calle.v1.PolicyBundle {
  const signed = signBundle(
    {
      version,
      issuedMs: 1_750_000_000_000,
      expiresMs: VALID_UNTIL,
      target: { allEdges: true },
      waste: { collectAtFill: levelPct / 100 },
    },
    key,
  );
  return v1.PolicyBundle.decode(v1.PolicyBundle.encode(signed).finish());
}

function open(t: ExecutionContext, file: string): Db {
  const db = openDatabase(file, EDGE_MIGRATIONS);
  t.teardown(() => {
    if (db.open) db.close();
  });
  return db;
}

const reasonOf = (v: { ok: boolean; reason?: string }): string => (v.ok ? 'ok' : (v.reason ?? ''));

test('policy trust — newer versions pass and raise the floor; older ones are refused as replays', (t) => {
  const trust = new PolicyTrust({ db: open(t, ':memory:'), pinned, log: testLogger(), now: () => 42 });
  t.true(trust.admit(bundle(2)).ok);
  t.like(trust.trusted, { version: 2, keyId: pinned.keyId, updatedMs: 42 });
  t.true(trust.admit(bundle(5)).ok);
  t.regex(
    reasonOf(trust.admit(bundle(3))),
    /^version: 3 is older than 5, the newest this edge has trusted; refused as a replay/,
  );
  t.is(trust.trusted.version, 5, 'a refusal never moves the floor');
});

test('policy trust — the same bundle again is a re-delivery; the same version with other content is refused', (t) => {
  const trust = new PolicyTrust({ db: open(t, ':memory:'), pinned, log: testLogger() });
  t.true(trust.admit(bundle(4, 50)).ok);
  t.true(trust.admit(bundle(4, 50)).ok, 'Ed25519 is deterministic: an identical bundle has identical bytes');
  t.regex(reasonOf(trust.admit(bundle(4, 60))), /^version: 4 was already trusted with different content/);
});

test('policy trust — the signature is checked before the version: a forged high version does not raise the floor', (t) => {
  const trust = new PolicyTrust({ db: open(t, ':memory:'), pinned, log: testLogger() });
  const other = generateKeyPairSync('ed25519');
  t.regex(reasonOf(trust.admit(bundle(1_000, 50, other.privateKey))), /^key_id: /);
  const tampered = bundle(2);
  tampered.version = 1_000;
  t.regex(reasonOf(trust.admit(tampered)), /^signature: does not match/);
  t.is(trust.trusted.version, 0);
  t.true(trust.admit(bundle(1)).ok);
});

test('policy trust — with no pinned key every bundle is refused, saying how to fix it', (t) => {
  const trust = new PolicyTrust({ db: open(t, ':memory:'), pinned: undefined, log: testLogger() });
  t.regex(reasonOf(trust.admit(bundle(1))), /^trust\.coordinatorKey: no coordinator key is pinned/);
  t.is(trust.keyId, undefined);
});

test('policy trust — replay after a restart: the trusted version is persisted in the edge database', (t) => {
  const file = join(tempDir(t), 'edge.db');
  const first = open(t, file);
  const before = new PolicyTrust({ db: first, pinned, log: testLogger() });
  t.true(before.admit(bundle(2)).ok);
  t.true(before.admit(bundle(3)).ok);
  first.close(); // the cabinet loses power

  const after = new PolicyTrust({ db: open(t, file), pinned, log: testLogger() });
  t.is(after.trusted.version, 3);
  t.regex(reasonOf(after.admit(bundle(2))), /^version: 2 is older than 3/);
  t.true(after.admit(bundle(3)).ok, 'the trusted bundle itself is still a re-delivery');
  t.regex(reasonOf(after.admit(bundle(3, 99))), /already trusted with different content/);
});

test('policy trust — the stored policy is re-verified at boot', (t) => {
  const trust = new PolicyTrust({ db: open(t, ':memory:'), pinned, log: testLogger() });
  t.true(trust.checkStored(bundle(6)).ok);
  t.is(trust.trusted.version, 6, 'an authentic stored policy becomes the floor when the trust table is new');
  t.true(trust.checkStored(bundle(6)).ok);
  t.true(
    trust.checkStored(bundle(4)).ok,
    'older than trusted is normal: newer ones may have been refused on bounds',
  );

  const rewritten = bundle(6);
  rewritten.waste!.collectAtFill = 0.1; // someone edited the SQLite file on the SD card
  t.regex(reasonOf(trust.checkStored(rewritten)), /^signature: does not match/);
  t.regex(reasonOf(trust.checkStored(bundle(6, 70))), /^version: the stored policy 6 differs/);
});

test('pinned key — a public Ed25519 PEM loads; a private key, another algorithm or a missing file is a config error naming trust.coordinatorKey', (t) => {
  const dir = tempDir(t);
  const pub = join(dir, 'policy-signing.pub');
  writeFileSync(pub, coordinator.publicKey.export({ type: 'spki', format: 'pem' }));
  t.is(loadPinnedKey(pub, 'site.json').keyId, pinned.keyId);

  const priv = join(dir, 'policy-signing.key');
  writeFileSync(priv, coordinator.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const rsa = join(dir, 'rsa.pub');
  writeFileSync(
    rsa,
    generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }),
  );
  const cases: [string, RegExp][] = [
    [priv, /holds a private key; pin the coordinator's public key/],
    [rsa, /is an rsa key, policies are signed with Ed25519/],
    [join(dir, 'missing.pub'), /cannot read/],
  ];
  for (const [file, reason] of cases) {
    const err = t.throws(() => loadPinnedKey(file, 'site.json'), { instanceOf: ConfigError });
    t.is(err.field, 'trust.coordinatorKey');
    t.regex(err.reason, reason);
    t.regex(err.message, /^site\.json: trust\.coordinatorKey: /);
  }
});

test('config — trust.coordinatorKey is resolved against the configuration file; other keys in trust are errors', (t) => {
  const site = fileURLToPath(new URL('../examples/madrid-street.json', import.meta.url));
  const raw = JSON.parse(JSON.stringify(loadEdgeConfig(site))) as Record<string, unknown>;
  // Back to the file's shape: drop what loading added.
  delete raw.file;
  delete raw.store;
  const config = checkEdgeConfig(
    { ...raw, trust: { coordinatorKey: 'keys/policy-signing.pub' } },
    '/etc/calle/site.json',
  );
  t.deepEqual(config.trust, { coordinatorKey: '/etc/calle/keys/policy-signing.pub' });
  const err = t.throws(
    () => checkEdgeConfig({ ...raw, trust: { coordinatorKey: 'k.pub', key: 'x' } }, '/etc/calle/site.json'),
    {
      instanceOf: ConfigError,
    },
  );
  t.is(err.field, 'trust.key');
});

test('policy trust — key rotation: with the next key pinned too, either key is accepted and nothing else', (t) => {
  const rotated = generateKeyPairSync('ed25519');
  const next: PinnedKey = { key: rotated.publicKey, keyId: keyIdOf(rotated.publicKey), file: 'next' };
  const trust = new PolicyTrust({ db: open(t, ':memory:'), pinned, next, log: testLogger() });
  t.deepEqual(
    trust.keys.map((k) => k.keyId),
    [pinned.keyId, next.keyId],
  );
  t.true(trust.admit(bundle(1)).ok, 'the current key');
  t.true(trust.admit(bundle(2, 50, rotated.privateKey)).ok, 'the next key');
  t.like(trust.trusted, { version: 2, keyId: next.keyId });
  const stranger = generateKeyPairSync('ed25519');
  t.is(
    reasonOf(trust.admit(bundle(3, 50, stranger.privateKey))),
    `key_id: signed by key "${keyIdOf(stranger.publicKey)}", but this edge trusts only ${pinned.keyId} or ${next.keyId}`,
  );
  // The version floor is shared by both keys: the old key cannot replay below the new key's version.
  t.regex(reasonOf(trust.admit(bundle(1))), /^version: 1 is older than 2/);
  // Unsigned is still reported as unsigned, not as a key mismatch.
  const unsigned = v1.PolicyBundle.create({ version: 4, issuedMs: 1 });
  t.is(reasonOf(trust.admit(unsigned)), 'signature: the bundle is unsigned');
  // Without a current key a next key alone trusts nothing (fail closed).
  const lone = new PolicyTrust({ db: open(t, ':memory:'), pinned: undefined, next, log: testLogger() });
  t.regex(
    reasonOf(lone.admit(bundle(5, 50, rotated.privateKey))),
    /^trust\.coordinatorKey: no coordinator key/,
  );
});

test('config — trust.nextCoordinatorKey is resolved against the configuration file', (t) => {
  const site = fileURLToPath(new URL('../examples/madrid-street.json', import.meta.url));
  const raw = JSON.parse(JSON.stringify(loadEdgeConfig(site))) as Record<string, unknown>;
  delete raw.file;
  delete raw.store;
  const config = checkEdgeConfig(
    { ...raw, trust: { coordinatorKey: 'k/old.pub', nextCoordinatorKey: 'k/new.pub' } },
    '/etc/calle/site.json',
  );
  t.deepEqual(config.trust, {
    coordinatorKey: '/etc/calle/k/old.pub',
    nextCoordinatorKey: '/etc/calle/k/new.pub',
  });
});
