import test from 'ava';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../testing/temp-dir.js';
import { EdgeIdentityError, IDENTITY_KEY_FILE, keyIdOfRaw, loadOrCreateEdgeKey } from './edge-identity.js';
import { checkRegisterProof, MAX_SKEW_MS, signRegister } from './register-proof.js';

test('edge identity — the first start creates a 0600 key, later starts load the same one', (t) => {
  const dir = join(tempDir(t), 'var-lib-calle');
  const first = loadOrCreateEdgeKey(dir);
  t.true(first.created);
  t.is(first.file, join(dir, IDENTITY_KEY_FILE));
  t.is(statSync(first.file).mode & 0o777, 0o600);
  t.is(first.publicKey.length, 32);
  t.is(first.keyId, keyIdOfRaw(first.publicKey));
  const pem = readFileSync(first.file, 'utf8');

  const again = loadOrCreateEdgeKey(dir);
  t.false(again.created);
  t.deepEqual(again.publicKey, first.publicKey);
  t.is(again.keyId, first.keyId);
  t.is(readFileSync(first.file, 'utf8'), pem, 'never rewritten');
});

test('edge identity — a key file others can read is refused, naming the file and the fix', (t) => {
  const dir = tempDir(t);
  const { file } = loadOrCreateEdgeKey(dir);
  chmodSync(file, 0o644);
  const err = t.throws(() => loadOrCreateEdgeKey(dir), { instanceOf: EdgeIdentityError });
  t.regex(err?.message ?? '', new RegExp(`${IDENTITY_KEY_FILE}: permissions 644 .*chmod 600`));
  t.is(statSync(file).mode & 0o777, 0o644, 'left for the operator to fix, not replaced');
});

test('edge identity — a file that is not an Ed25519 key is refused, not overwritten', (t) => {
  const dir = tempDir(t);
  const file = join(dir, IDENTITY_KEY_FILE);
  writeFileSync(file, 'garbage\n', { mode: 0o600 });
  const err = t.throws(() => loadOrCreateEdgeKey(dir), { instanceOf: EdgeIdentityError });
  t.regex(err?.message ?? '', /not a PEM private key/);
  t.is(readFileSync(file, 'utf8'), 'garbage\n');
});

test('register proof — holds for the signer, fails for another key, another id or a stale clock', (t) => {
  const a = loadOrCreateEdgeKey(tempDir(t));
  const b = loadOrCreateEdgeKey(tempDir(t));
  const now = 1_800_000_000_000;
  const fields = {
    edgeId: 'edge-a',
    district: 'centro',
    tags: ['lighting', 'pilot'],
    softwareVersion: '1.4.0',
    publicKey: a.publicKey,
    enrolmentToken: '',
    timeMs: now,
  };
  const proof = { ...fields, signature: signRegister(a.privateKey, fields) };
  t.is(checkRegisterProof(proof, now + 1_000), undefined);
  t.regex(checkRegisterProof({ ...proof, publicKey: b.publicKey }, now) ?? '', /^signature: does not verify/);
  t.regex(checkRegisterProof({ ...proof, edgeId: 'edge-b' }, now) ?? '', /^signature: does not verify/);
  t.regex(checkRegisterProof({ ...proof, timeMs: now + 1 }, now) ?? '', /^signature: does not verify/);
  // Every other field the coordinator stores is covered too (issue 13, finding 6).
  for (const changed of [
    { district: 'retiro' },
    { tags: ['lighting'] },
    { tags: ['lighting', 'pilot', 'x'] },
    { tags: ['pilot', 'lighting'] },
    { softwareVersion: '1.4.1' },
    { enrolmentToken: 'tok' },
  ])
    t.regex(
      checkRegisterProof({ ...proof, ...changed }, now) ?? '',
      /^signature: does not verify/,
      JSON.stringify(changed),
    );
  t.regex(checkRegisterProof(proof, now + MAX_SKEW_MS + 1_000) ?? '', /^time_ms: .* -30\d s away/);
  t.regex(
    checkRegisterProof({ ...proof, publicKey: a.publicKey.subarray(0, 31) }, now) ?? '',
    /^public_key: .*31/,
  );
});
