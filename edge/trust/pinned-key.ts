// The coordinator's public key, pinned in the edge's configuration (`trust.coordinatorKey`). It is
// the root of everything the edge accepts from the control plane: a policy is applied only if
// this key signed it. Pinning a file (rather than learning the key on first contact) means a
// network attacker present at first boot still cannot hand the cabinet a key of their own.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/config-error.js';
import { keyIdOf } from './policy-signature.js';

export interface PinnedKey {
  readonly key: KeyObject;
  readonly keyId: string;
  /** Absolute path it was read from, for messages. */
  readonly file: string;
}

const FIELD = 'trust.coordinatorKey';

/**
 * Reads the pinned public key. `configFile` names the configuration in errors, which follow the
 * configuration's `<file>: <field>: <reason>` form so `calle edge` reports them the same way.
 */
export function loadPinnedKey(file: string, configFile: string): PinnedKey {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(
      configFile,
      [{ field: FIELD, reason: `cannot read ${file}: ${(err as Error).message}` }],
      {
        cause: err,
      },
    );
  }
  // A private key here would mean the signing key left the coordinator, and that anyone who opens
  // this cabinet can sign policies for the whole fleet: refuse it rather than derive the public half.
  if (/-----BEGIN (ENCRYPTED |)PRIVATE KEY-----/.test(pem)) {
    throw new ConfigError(configFile, [
      {
        field: FIELD,
        reason: `${file} holds a private key; pin the coordinator's public key (policy-signing.pub) and keep the private key on the coordinator`,
      },
    ]);
  }
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (err) {
    throw new ConfigError(
      configFile,
      [{ field: FIELD, reason: `${file} is not a PEM public key: ${(err as Error).message}` }],
      { cause: err },
    );
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new ConfigError(configFile, [
      {
        field: FIELD,
        reason: `${file} is an ${key.asymmetricKeyType ?? 'unknown'} key, policies are signed with Ed25519`,
      },
    ]);
  }
  return { key, keyId: keyIdOf(key), file };
}
