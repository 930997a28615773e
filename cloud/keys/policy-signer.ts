// What the policy publisher signs with. An interface rather than a key so that tests can stand in
// for a compromised path (a signer that tampers after signing, or does not sign) and prove the
// edge refuses what it receives.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { calle } from '../../proto/index.js';
import { signCommand } from '../../common/signing/command-signature.js';
import { keyIdOf, signBundle } from '../../common/signing/policy-signature.js';

export interface PolicySigner {
  /** Fingerprint of the public key (common/signing/policy-signature.ts keyIdOf). */
  readonly keyId: string;
  /** The canonical bundle with key_id, signature_alg and signature filled in. */
  sign(bundle: calle.v1.IPolicyBundle): calle.v1.PolicyBundle;
  /**
   * Signs a command for one edge with the same key (common/signing/command-signature.ts). Optional:
   * a signer without it (a test's) leaves the coordinator unable to send commands.
   */
  signCommand?(command: calle.v1.IEdgeCommand): calle.v1.SignedCommand;
}

/** Signs with an Ed25519 private key. */
export function ed25519Signer(privateKey: KeyObject): PolicySigner {
  const keyId = keyIdOf(privateKey);
  return {
    keyId,
    sign: (bundle) => signBundle(bundle, privateKey),
    signCommand: (command) => signCommand(command, privateKey),
  };
}

/**
 * A signer with a key that exists only in this process: for tests and embedded use. Edges pin a
 * key file, so they refuse what this signs unless the test pins its public half; `calle cloud`
 * never uses it.
 */
export function ephemeralSigner(): PolicySigner & { readonly publicKey: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { ...ed25519Signer(privateKey), publicKey };
}
