// The policy signature scheme, shared by the coordinator (which signs) and the edge (which
// verifies): Ed25519 (RFC 8032) over a domain-separated canonical protobuf encoding of the bundle.
//
// What is signed: the ASCII context "calle.v1.PolicyBundle" and a zero byte, then the bundle
// encoded with `signature` empty (policy.proto). The context keeps a signature made by the same
// coordinator key over another message type (signed commands will come) from ever passing as a
// policy signature, even if those bytes happened to decode as a PolicyBundle. Ed25519 has no
// context parameter in node:crypto (Ed25519ctx is not exposed), so the prefix does that job.
//
// Why re-encoding is deterministic enough, so the edge can rebuild the signed bytes from the
// decoded message instead of keeping the raw wire bytes:
// - the generated encoders (protobufjs 8 static code, proto/gen/calle.js) write fields in
//   field-number order and skip proto3 defaults (0, "", empty bytes, empty repeated), whatever
//   the caller's object looked like;
// - PolicyBundle has no maps (whose entry order protobuf leaves open) and no `oneof`;
// - unknown fields are dropped on decode. A bundle from a newer coordinator carrying a field this
//   edge does not know therefore fails verification: the edge refuses what it cannot read whole.
//   That is the safe direction, and it means edges are upgraded before the coordinator uses a new
//   field in PolicyBundle.
// The signer signs the decoded form of its own encoding (canonicalBundle): exactly what an edge will
// rebuild. A value that does not survive the round trip fails at the coordinator, at publish time,
// instead of at every edge: a string with a lone UTF-16 surrogate encodes to bytes that are not
// UTF-8 and do not decode. policy-signature.test.ts checks the round trip on random bundles.
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { v1, type calle } from '../../proto/index.js';
import { part, refusal, type Refusal } from '../reasons/reason.js';

/** A refusal in this file's words, coded as a policy problem. */
const problem = (detail: string): Refusal => refusal(part('policy.problem', { detail }));

/** The only algorithm, as it travels in PolicyBundle.signature_alg. */
export const SIGNATURE_ALG = 'ed25519';

const CONTEXT = Buffer.from('calle.v1.PolicyBundle\0', 'ascii');

/**
 * The key id of a public key: the first 16 bytes of the SHA-256 of its DER SubjectPublicKeyInfo,
 * in hex. It names the key in logs and refusals; verification never looks a key up by it (the edge
 * has exactly one pinned key), so a collision could confuse a reader but never admit a bundle.
 */
export function keyIdOf(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256')
    .update(pub.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 32);
}

/** The bundle as it will look after any number of encode/decode round trips. */
export function canonicalBundle(bundle: calle.v1.IPolicyBundle): calle.v1.PolicyBundle {
  return v1.PolicyBundle.decode(v1.PolicyBundle.encode(bundle).finish());
}

/** The bytes the signature covers: context, then the bundle encoded with `signature` empty. */
export function signingPayload(bundle: calle.v1.IPolicyBundle): Buffer {
  // A plain copy of the own fields: the generated message classes keep defaults on the prototype,
  // so the spread holds exactly what the encoder would have written.
  const unsigned: calle.v1.IPolicyBundle = { ...bundle, signature: new Uint8Array(0) };
  return Buffer.concat([CONTEXT, v1.PolicyBundle.encode(unsigned).finish()]);
}

/** Signs `bundle` with `privateKey`; returns the canonical bundle with key id, alg and signature. */
export function signBundle(bundle: calle.v1.IPolicyBundle, privateKey: KeyObject): calle.v1.PolicyBundle {
  const canonical = canonicalBundle({
    ...bundle,
    keyId: keyIdOf(privateKey),
    signatureAlg: SIGNATURE_ALG,
    signature: new Uint8Array(0),
  });
  canonical.signature = sign(null, signingPayload(canonical), privateKey);
  return canonical;
}

/** A refusal names why in English; policy refusals also carry it coded (commands do not yet). */
export type SignatureVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: string; readonly reasonCode?: Refusal['reasonCode'] };

/**
 * Checks that `bundle` is signed by `publicKey`. Reasons name the field that failed; the checks
 * run from the cheapest and most telling (no signature at all) to the cryptographic one.
 */
export function verifyBundleSignature(
  bundle: calle.v1.IPolicyBundle,
  publicKey: KeyObject,
  pinnedKeyId: string = keyIdOf(publicKey),
): SignatureVerdict {
  const signature = bundle.signature ?? new Uint8Array(0);
  if (signature.length === 0 && !bundle.keyId && !bundle.signatureAlg)
    return { ok: false, ...refusal(part('policy.unsigned')) };
  if (bundle.signatureAlg !== SIGNATURE_ALG)
    return {
      ok: false,
      ...problem(`signature_alg: ${JSON.stringify(bundle.signatureAlg ?? '')} is not "${SIGNATURE_ALG}"`),
    };
  if (bundle.keyId !== pinnedKeyId)
    return {
      ok: false,
      ...refusal(part('policy.wrongKey', { key: JSON.stringify(bundle.keyId ?? ''), pinned: pinnedKeyId })),
    };
  // Ed25519 signatures are 64 bytes (RFC 8032 §5.1.6); anything else cannot verify.
  if (signature.length !== 64)
    return { ok: false, ...problem(`signature: ${signature.length} bytes, an Ed25519 signature has 64`) };
  let valid: boolean;
  try {
    valid = verify(null, signingPayload(bundle), publicKey, signature);
  } catch (err) {
    return { ok: false, ...problem(`signature: cannot be checked (${(err as Error).message})`) };
  }
  return valid ? { ok: true } : { ok: false, ...refusal(part('policy.tampered')) };
}
