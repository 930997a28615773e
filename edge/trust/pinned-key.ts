// The coordinator's public key, pinned in the edge's configuration (`trust.coordinatorKey`). It is
// the root of everything the edge accepts from the control plane: a policy is applied only if
// this key signed it. Pinning a file (rather than learning the key on first contact) means a
// network attacker present at first boot still cannot hand the cabinet a key of their own.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/config-error.js';
import { keyIdOf } from '../../common/signing/policy-signature.js';
import { part, refusal, type Refusal } from '../../common/reasons/reason.js';

export interface PinnedKey {
  readonly key: KeyObject;
  readonly keyId: string;
  /** Absolute path it was read from, for messages. */
  readonly file: string;
}

const FIELD = 'trust.coordinatorKey';

/**
 * Picks the pinned key a signature claims (by key id) among the edge's pinned keys: the current
 * one and, during a key rotation, the next one (`trust.nextCoordinatorKey`). A claim of any other
 * key is refused here, naming the keys this edge trusts; the signature check then runs against the
 * key picked, so naming a pinned key id does not help a forger.
 */
export function pickPinnedKey(
  keys: readonly PinnedKey[],
  claimedKeyId: string | null | undefined,
): PinnedKey | Refusal {
  const key = keys.find((k) => k.keyId === claimedKeyId);
  return (
    key ??
    refusal(
      part('policy.wrongKey', {
        key: JSON.stringify(claimedKeyId ?? ''),
        pinned: keys.map((k) => k.keyId).join(' or '),
      }),
    )
  );
}

/**
 * Reads the pinned public key. `configFile` names the configuration in errors, which follow the
 * configuration's `<file>: <field>: <reason>` form so `calle edge` reports them the same way.
 */
export function loadPinnedKey(file: string, configFile: string, field: string = FIELD): PinnedKey {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(configFile, [{ field, reason: `cannot read ${file}: ${(err as Error).message}` }], {
      cause: err,
    });
  }
  // A private key here would mean the signing key left the coordinator, and that anyone who opens
  // this cabinet can sign policies for the whole fleet: refuse it rather than derive the public half.
  if (/-----BEGIN (ENCRYPTED |)PRIVATE KEY-----/.test(pem)) {
    throw new ConfigError(configFile, [
      {
        field,
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
      [{ field, reason: `${file} is not a PEM public key: ${(err as Error).message}` }],
      { cause: err },
    );
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new ConfigError(configFile, [
      {
        field,
        reason: `${file} is an ${key.asymmetricKeyType ?? 'unknown'} key, policies are signed with Ed25519`,
      },
    ]);
  }
  return { key, keyId: keyIdOf(key), file };
}
