// Proof of possession for Register: the edge signs who it is, its public key and its clock with the
// identity key, and the coordinator checks it against the key it enrolled. Without it, anyone who
// learnt an approved edge's id and public key (both travel in clear without TLS, and neither is
// secret) could register as that edge.
//
// Signed bytes: ASCII "calle.v1.RegisterRequest", 0x00, edge_id (UTF-8), 0x00, public_key (32
// bytes), time_ms (int64, big-endian). The context prefix keeps a signature made by this key for
// any other purpose from passing as a Register proof (the same reason policy signatures carry one,
// edge/trust/policy-signature.ts). The edge id cannot contain 0x00 (EDGE_ID_PATTERN), so the
// encoding is unambiguous.
//
// Replay: a recorded request stays valid for MAX_SKEW_MS; replaying it only re-registers the real
// edge with the details it sent, and over TLS nobody can record it.
import { sign, verify, type KeyObject } from 'node:crypto';
import { publicKeyFromRaw } from './edge-identity.js';

const CONTEXT = Buffer.from('calle.v1.RegisterRequest\0', 'ascii');

/** Largest difference between the edge's time_ms and the coordinator's clock: 5 minutes. */
export const MAX_SKEW_MS = 5 * 60_000;

export function registerPayload(edgeId: string, publicKey: Uint8Array, timeMs: number): Buffer {
  const time = Buffer.alloc(8);
  time.writeBigInt64BE(BigInt(timeMs));
  return Buffer.concat([CONTEXT, Buffer.from(edgeId, 'utf8'), Buffer.from([0]), publicKey, time]);
}

export function signRegister(
  privateKey: KeyObject,
  edgeId: string,
  publicKey: Uint8Array,
  timeMs: number,
): Buffer {
  return sign(null, registerPayload(edgeId, publicKey, timeMs), privateKey);
}

/** Why a proof fails, naming the field; undefined when it holds. */
export function checkRegisterProof(
  p: { edgeId: string; publicKey: Uint8Array; timeMs: number; signature: Uint8Array },
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
  return verify(null, registerPayload(p.edgeId, p.publicKey, p.timeMs), key, p.signature)
    ? undefined
    : 'signature: does not verify with public_key over edge_id and time_ms';
}
