// Proof of possession for Register: the edge signs every field of its RegisterRequest that the
// coordinator acts on or stores — who it is, where it serves, how it is tagged, what it runs, its
// public key, its enrolment token and its clock — with the identity key, and the coordinator
// checks it against the key it enrolled. Without it, anyone who learnt an approved edge's id and
// public key (both travel in clear without TLS, and neither is secret) could register as that
// edge; with a proof over id, key and time only (before issue 13, finding 6), an approved edge or
// a replay of its Register could still rewrite its district, tags and software version.
//
// Signed bytes, version 2: ASCII "calle.v1.RegisterRequest/2", 0x00, then each field as a 4-byte
// big-endian length followed by its bytes, in this order: edge_id (UTF-8), district (UTF-8), the
// number of tags (4 bytes, big-endian) and each tag (UTF-8), software_version (UTF-8),
// public_key (32 bytes), enrolment_token (UTF-8); then time_ms (int64, big-endian). Every field
// is length-prefixed, so no choice of values can make two different requests sign the same bytes
// (joined strings could: tags ["a,b"] and ["a","b"]). The context prefix keeps a signature made by
// this key for any other purpose from passing as a Register proof (as policy signatures carry
// one, common/signing/policy-signature.ts); "/2" keeps a version-1 proof (id, key, time only) from
// verifying, so an old edge is refused with a reason rather than half-checked.
//
// Replay: a recorded request stays valid for MAX_SKEW_MS; replaying it re-registers the real edge
// with exactly the details it signed, and over TLS nobody can record it.
import { sign, verify, type KeyObject } from 'node:crypto';
import { publicKeyFromRaw } from './edge-identity.js';

const CONTEXT = Buffer.from('calle.v1.RegisterRequest/2\0', 'ascii');

/** Largest difference between the edge's time_ms and the coordinator's clock: 5 minutes. */
export const MAX_SKEW_MS = 5 * 60_000;

/** The fields of a calle.v1.RegisterRequest that its signature covers: all but the signature. */
export interface RegisterFields {
  readonly edgeId: string;
  readonly district: string;
  readonly tags: readonly string[];
  readonly softwareVersion: string;
  readonly publicKey: Uint8Array;
  /** Empty once enrolled. */
  readonly enrolmentToken: string;
  readonly timeMs: number;
}

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

const field = (bytes: Uint8Array | string): Buffer[] => {
  const b = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes);
  return [u32(b.length), b];
};

export function registerPayload(f: RegisterFields): Buffer {
  const time = Buffer.alloc(8);
  time.writeBigInt64BE(BigInt(f.timeMs));
  return Buffer.concat([
    CONTEXT,
    ...field(f.edgeId),
    ...field(f.district),
    u32(f.tags.length),
    ...f.tags.flatMap((tag) => field(tag)),
    ...field(f.softwareVersion),
    ...field(f.publicKey),
    ...field(f.enrolmentToken),
    time,
  ]);
}

export function signRegister(privateKey: KeyObject, fields: RegisterFields): Buffer {
  return sign(null, registerPayload(fields), privateKey);
}

/** Why a proof fails, naming the field; undefined when it holds. */
export function checkRegisterProof(
  p: RegisterFields & { readonly signature: Uint8Array },
  nowMs: number,
): string | undefined {
  if (p.publicKey.length !== 32) return `public_key: an Ed25519 key is 32 bytes, got ${p.publicKey.length}`;
  if (p.signature.length !== 64)
    return `signature: an Ed25519 signature is 64 bytes, got ${p.signature.length}`;
  const skewMs = p.timeMs - nowMs;
  if (!Number.isSafeInteger(p.timeMs) || Math.abs(skewMs) > MAX_SKEW_MS)
    return (
      `time_ms: the edge's clock is ${Math.round(skewMs / 1000)} s away from the coordinator's ` +
      `(at most ${MAX_SKEW_MS / 1000} s allowed); synchronise the clock (chrony)`
    );
  let key: KeyObject;
  try {
    key = publicKeyFromRaw(p.publicKey);
  } catch (err) {
    return `public_key: ${(err as Error).message}`;
  }
  return verify(null, registerPayload(p), key, p.signature)
    ? undefined
    : 'signature: does not verify with public_key over edge_id, district, tags, software_version, ' +
        'public_key, enrolment_token and time_ms (a field was changed after signing, or the edge ' +
        'signs an older encoding: upgrade it)';
}
