// The edge's own identity: an Ed25519 key pair made at the node's first start and kept in its data
// folder (next to the SQLite store, /var/lib/calle in production). The public half is what the
// coordinator enrols and pins (RegisterRequest.public_key); the private half never leaves the
// cabinet. IEC 62443-4-2 CR 1.2 asks for a unique identity per device, which a shared secret or
// the configurable edge id alone cannot give.
//
// Hazard: replacing this key silently would lock the node out of its own fleet (the coordinator
// refuses a different key for a known edge), so nothing here ever overwrites it; a new board or a
// deliberate re-key is a new enrolment token (`calle fleet token`).
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { keyIdOf } from './policy-signature.js';

export const IDENTITY_KEY_FILE = 'edge-identity.key';

/** A missing, unreadable, unprotected or wrong-type identity file; the message names the file. */
export class EdgeIdentityError extends Error {
  readonly code = 'CALLE_ERR_EDGE_IDENTITY';
  override readonly name = 'EdgeIdentityError';
  constructor(
    readonly file: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${reason}`, options);
  }
}

export interface EdgeKey {
  /** PKCS#8 PEM file holding the private key. */
  readonly file: string;
  readonly privateKey: KeyObject;
  /** Raw 32-byte Ed25519 public key, as it travels in RegisterRequest.public_key. */
  readonly publicKey: Buffer;
  /** SHA-256 of the SPKI, first 16 bytes in hex: what `calle fleet pending` shows the operator. */
  readonly keyId: string;
  /** True when this call made the key (the node's first start). */
  readonly created: boolean;
}

/** The raw 32-byte public key of an Ed25519 key object. */
export function rawPublicKey(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const { x } = pub.export({ format: 'jwk' });
  if (!x) throw new Error('not an Ed25519 key');
  return Buffer.from(x, 'base64url');
}

/** An Ed25519 public key object from its raw 32 bytes; throws on any other length. */
export function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new Error(`an Ed25519 public key is 32 bytes, got ${raw.length}`);
  return createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') },
    format: 'jwk',
  });
}

/** The key id of a raw 32-byte public key (same scheme as policy keys, edge/trust). */
export function keyIdOfRaw(raw: Uint8Array): string {
  return keyIdOf(publicKeyFromRaw(raw));
}

/**
 * Loads the identity key in `dataDir`, creating it (0600) on the first call. Refuses a key file that
 * group or others can read, as ssh does: whoever reads it can speak for this cabinet.
 */
export function loadOrCreateEdgeKey(dataDir: string): EdgeKey {
  const dir = resolve(dataDir);
  const file = join(dir, IDENTITY_KEY_FILE);
  let created = false;
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new EdgeIdentityError(file, `cannot read: ${(err as Error).message}`, { cause: err });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    // 'wx' fails if the file appeared meanwhile (two starts at once): never overwrite a key.
    try {
      writeFileSync(file, pem, { flag: 'wx', mode: 0o600 });
      created = true;
    } catch (writeErr) {
      if ((writeErr as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new EdgeIdentityError(file, `cannot write: ${(writeErr as Error).message}`, {
          cause: writeErr,
        });
      pem = readFileSync(file, 'utf8');
    }
    // The mode given to writeFileSync is filtered by the umask; 0600 must hold whatever it is.
    if (created) chmodSync(file, 0o600);
  }
  const mode = statSync(file).mode;
  if ((mode & 0o077) !== 0)
    throw new EdgeIdentityError(
      file,
      `permissions ${(mode & 0o777).toString(8)} let others read the identity key; run chmod 600 ${file}`,
    );
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (err) {
    throw new EdgeIdentityError(file, `not a PEM private key: ${(err as Error).message}`, { cause: err });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw new EdgeIdentityError(
      file,
      `an ${privateKey.asymmetricKeyType ?? 'unknown'} key; expected Ed25519`,
    );
  return { file, privateKey, publicKey: rawPublicKey(privateKey), keyId: keyIdOf(privateKey), created };
}

/**
 * A key that lives only as long as the process, for a node whose store is ':memory:' (tests): it
 * cannot stay enrolled across a restart, which is the point of persisting the real one.
 */
export function ephemeralEdgeKey(): EdgeKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  return {
    file: '',
    privateKey,
    publicKey: rawPublicKey(privateKey),
    keyId: keyIdOf(privateKey),
    created: true,
  };
}
