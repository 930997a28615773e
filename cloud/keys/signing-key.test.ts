import test from 'ava';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { v1 } from '../../proto/index.js';
import { loadPinnedKey } from '../../edge/trust/pinned-key.js';
import { verifyBundleSignature } from '../../common/signing/policy-signature.js';
import { tempDir } from '../testing/harness.js';
import { runKeysCommand } from './keys-command.js';
import { ed25519Signer } from './policy-signer.js';
import { ensureKeyPair, initKeyPair, loadSigningKey, SigningKeyError } from './signing-key.js';

function capture(): { out: string[]; err: string[]; io: { out(l: string): void; err(l: string): void } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l) => out.push(l), err: (l) => err.push(l) } };
}

test('keys — init writes a 0600 private key and a public key; what it signs verifies against the pinned public file', (t) => {
  const dir = join(tempDir(t), 'keys');
  const files = initKeyPair(dir);
  t.is(statSync(files.privateFile).mode & 0o777, 0o600);
  t.is(statSync(dir).mode & 0o777, 0o700);
  t.regex(readFileSync(files.publicFile, 'utf8'), /^-----BEGIN PUBLIC KEY-----/);

  const signer = ed25519Signer(loadSigningKey(files.privateFile));
  const pinned = loadPinnedKey(files.publicFile, 'site.json');
  t.is(signer.keyId, files.keyId);
  t.is(pinned.keyId, files.keyId);
  const signed = signer.sign({ version: 1, target: { allEdges: true }, waste: { collectAtFill: 0.9 } });
  const received = v1.PolicyBundle.decode(v1.PolicyBundle.encode(signed).finish());
  t.deepEqual(verifyBundleSignature(received, pinned.key), { ok: true });
});

test('keys — init never overwrites a key, and ensureKeyPair reuses the one there', (t) => {
  const dir = tempDir(t);
  const first = initKeyPair(dir);
  const before = readFileSync(first.privateFile, 'utf8');
  const err = t.throws(() => initKeyPair(dir), { instanceOf: SigningKeyError });
  t.regex(err.message, /policy-signing\.key: already exists; refusing to overwrite/);
  t.is(readFileSync(first.privateFile, 'utf8'), before);
  t.is(ensureKeyPair(dir).keyId, first.keyId);
});

test('keys — loading refuses a key others can read, a missing file (with the fix), and a non-Ed25519 key', (t) => {
  const dir = tempDir(t);
  const { privateFile } = initKeyPair(dir);
  chmodSync(privateFile, 0o644);
  t.throws(() => loadSigningKey(privateFile), {
    message: /permissions 644 let others read the signing key; run chmod 600/,
  });
  t.throws(() => loadSigningKey(join(dir, 'nope.key')), {
    message: /no such file; create a key pair with `calle keys init --out DIR`/,
  });
  const notKey = join(dir, 'garbage.key');
  writeFileSync(notKey, 'hello', { mode: 0o600 });
  t.throws(() => loadSigningKey(notKey), { instanceOf: SigningKeyError, message: /not a PEM private key/ });
});

test('keys command — init prints the key id; id prints the same id for either half; misuse is exit 2', (t) => {
  const dir = join(tempDir(t), 'k');
  const init = capture();
  t.is(runKeysCommand(['init', '--out', dir], init.io), 0);
  const keyId = /^key id ([0-9a-f]{32})$/.exec(init.out[0] ?? '')?.[1];
  t.truthy(keyId);
  for (const file of ['policy-signing.key', 'policy-signing.pub']) {
    const id = capture();
    t.is(runKeysCommand(['id', join(dir, file)], id.io), 0);
    t.deepEqual(id.out, [keyId]);
  }
  const again = capture();
  t.is(runKeysCommand(['init', '--out', dir], again.io), 1);
  t.regex(again.err[0] ?? '', /already exists/);
  const misuse = capture();
  t.is(runKeysCommand(['init'], misuse.io), 2);
  t.regex(misuse.err.join('\n'), /Usage:/);
});
