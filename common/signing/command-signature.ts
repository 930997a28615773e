// The command signature scheme, shared by the coordinator (which signs) and the edge (which
// verifies): Ed25519 (RFC 8032) with the coordinator's policy key, over the ASCII context
// "calle.v1.EdgeCommand", a zero byte, and the command's bytes exactly as they travel
// (command.proto). The context keeps a policy signature from passing as a command signature and
// the reverse, although both are made with the same key (policy-signature.ts uses its own). The
// bytes are signed as sent, so the edge verifies before it decodes anything.
import { sign, verify, type KeyObject } from 'node:crypto';
import { v1, type calle } from '../../proto/index.js';
import { keyIdOf, SIGNATURE_ALG, type SignatureVerdict } from './policy-signature.js';

const CONTEXT = Buffer.from('calle.v1.EdgeCommand\0', 'ascii');

const payload = (command: Uint8Array): Buffer => Buffer.concat([CONTEXT, command]);

/** Encodes and signs `command` with the coordinator's private key. */
export function signCommand(command: calle.v1.IEdgeCommand, privateKey: KeyObject): calle.v1.SignedCommand {
  const bytes = v1.EdgeCommand.encode(command).finish();
  return v1.SignedCommand.create({
    command: bytes,
    keyId: keyIdOf(privateKey),
    signatureAlg: SIGNATURE_ALG,
    signature: sign(null, payload(bytes), privateKey),
  });
}

/** Checks that `signed` carries a signature by `publicKey` over its command bytes. */
export function verifyCommandSignature(
  signed: calle.v1.ISignedCommand,
  publicKey: KeyObject,
  pinnedKeyId: string = keyIdOf(publicKey),
): SignatureVerdict {
  const signature = signed.signature ?? new Uint8Array(0);
  if (signed.signatureAlg !== SIGNATURE_ALG)
    return {
      ok: false,
      reason: `signature_alg: ${JSON.stringify(signed.signatureAlg ?? '')} is not "${SIGNATURE_ALG}"`,
    };
  if (signed.keyId !== pinnedKeyId)
    return {
      ok: false,
      reason: `key_id: signed by key ${JSON.stringify(signed.keyId ?? '')}, but this edge trusts only ${pinnedKeyId}`,
    };
  if (signature.length !== 64)
    return { ok: false, reason: `signature: ${signature.length} bytes, an Ed25519 signature has 64` };
  let valid: boolean;
  try {
    valid = verify(null, payload(signed.command ?? new Uint8Array(0)), publicKey, signature);
  } catch (err) {
    return { ok: false, reason: `signature: cannot be checked (${(err as Error).message})` };
  }
  return valid ? { ok: true } : { ok: false, reason: 'signature: does not match the command bytes' };
}
