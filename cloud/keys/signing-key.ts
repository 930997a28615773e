// The coordinator's policy signing key: an Ed25519 key pair in two PEM files, kept outside the
// database so that a copy of the database (a backup, a support dump) can never sign a policy.
//   policy-signing.key  PKCS#8 private key, mode 0600, stays on the coordinator
//   policy-signing.pub  SPKI public key, copied to every edge (`trust.coordinatorKey`)
// Losing the private key means re-pinning every cabinet, so nothing here ever overwrites one.
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { keyIdOf } from '../../common/signing/policy-signature.js';

export const PRIVATE_KEY_FILE = 'policy-signing.key';
export const PUBLIC_KEY_FILE = 'policy-signing.pub';

/** Raised for a missing, unreadable, unprotected or wrong-type key file; names the file. */
export class SigningKeyError extends Error {
  readonly code = 'CALLE_ERR_SIGNING_KEY';
  override readonly name = 'SigningKeyError';
  constructor(
    readonly file: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${reason}`, options);
  }
}

export interface KeyPairFiles {
  readonly privateFile: string;
  readonly publicFile: string;
  readonly keyId: string;
}

/**
 * Generates a key pair into `dir` (created 0700 if missing). Refuses if either file exists:
 * edges in the street pin the public half, and a silent replacement would make every one of them
 * refuse the next policy.
 */
export function initKeyPair(dir: string): KeyPairFiles {
  const abs = resolve(dir);
  mkdirSync(abs, { recursive: true, mode: 0o700 });
  const privateFile = join(abs, PRIVATE_KEY_FILE);
  const publicFile = join(abs, PUBLIC_KEY_FILE);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' });
  // flag 'wx' fails if the file exists, atomically: no check-then-write race with a second init.
  try {
    writeFileSync(privateFile, privatePem, { flag: 'wx', mode: 0o600 });
  } catch (err) {
    const reason =
      (err as NodeJS.ErrnoException).code === 'EEXIST'
        ? 'already exists; refusing to overwrite a signing key that edges may have pinned'
        : `cannot write: ${(err as Error).message}`;
    throw new SigningKeyError(privateFile, reason, { cause: err });
  }
  // The mode given to writeFileSync is filtered by the umask; 0600 must hold whatever the umask.
  chmodSync(privateFile, 0o600);
  try {
    writeFileSync(publicFile, publicKey.export({ type: 'spki', format: 'pem' }), { flag: 'wx', mode: 0o644 });
  } catch (err) {
    throw new SigningKeyError(publicFile, `cannot write: ${(err as Error).message}`, { cause: err });
  }
  return { privateFile, publicFile, keyId: keyIdOf(publicKey) };
}

/**
 * Reads the private key. Like ssh with an unprotected identity file, it refuses a key that group
 * or others can read: whoever reads it can sign policies for every street in the city.
 */
export function loadSigningKey(file: string): KeyObject {
  const abs = resolve(file);
  let mode: number;
  try {
    mode = statSync(abs).mode;
  } catch (err) {
    const reason =
      (err as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'no such file; create a key pair with `calle keys init --out DIR`'
        : `cannot read: ${(err as Error).message}`;
    throw new SigningKeyError(abs, reason, { cause: err });
  }
  if ((mode & 0o077) !== 0) {
    throw new SigningKeyError(
      abs,
      `permissions ${(mode & 0o777).toString(8)} let others read the signing key; run chmod 600 ${abs}`,
    );
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(abs, 'utf8'));
  } catch (err) {
    throw new SigningKeyError(abs, `not a PEM private key: ${(err as Error).message}`, { cause: err });
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new SigningKeyError(
      abs,
      `an ${key.asymmetricKeyType ?? 'unknown'} key; policies are signed with Ed25519`,
    );
  return key;
}

/** Loads the key pair in `dir`, creating it first if there is none (the demo's convenience). */
export function ensureKeyPair(dir: string): KeyPairFiles & { privateKey: KeyObject } {
  const privateFile = join(resolve(dir), PRIVATE_KEY_FILE);
  let files: KeyPairFiles;
  try {
    statSync(privateFile);
    files = { privateFile, publicFile: join(resolve(dir), PUBLIC_KEY_FILE), keyId: '' };
  } catch {
    files = initKeyPair(dir);
  }
  const privateKey = loadSigningKey(files.privateFile);
  return { ...files, keyId: keyIdOf(privateKey), privateKey };
}
