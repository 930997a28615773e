// Proof of identity on the calls after Register (Heartbeat, Watch, Ack): the edge signs the rpc's
// name, its id and its clock with its identity key and sends that in the metadata entry
// `calle-edge-auth: <time_ms>.<signature, base64url>`. Without it, anyone who knows an approved
// edge's id could heartbeat, watch or acknowledge policies in its name; with it, only the holder
// of the enrolled key can, whatever the transport. Stateless on purpose: any coordinator replica
// checks it against the registry, with no session to share.
//
// Signed bytes: ASCII "calle.v1.EdgeCall", 0x00, rpc name ("Heartbeat", "Watch", "Ack"), 0x00,
// edge id (UTF-8), 0x00, time_ms (int64, big-endian). The rpc name keeps a Heartbeat proof from
// being replayed as an Ack; the context keeps it apart from Register proofs and policy signatures.
// Replay within MAX_SKEW_MS of the same rpc is possible for whoever records the traffic, which TLS
// prevents; a replayed Heartbeat or Watch carries nothing the edge did not already say.
import { sign, verify, type KeyObject } from 'node:crypto';
import { MAX_SKEW_MS } from './register-proof.js';

export const AUTH_METADATA_KEY = 'calle-edge-auth';
export type EdgeRpc = 'Heartbeat' | 'Watch' | 'Ack';

const CONTEXT = Buffer.from('calle.v1.EdgeCall\0', 'ascii');

function payload(rpc: EdgeRpc, edgeId: string, timeMs: number): Buffer {
  const time = Buffer.alloc(8);
  time.writeBigInt64BE(BigInt(timeMs));
  return Buffer.concat([CONTEXT, Buffer.from(`${rpc}\0${edgeId}\0`, 'utf8'), time]);
}

/** The metadata value for one call. */
export function signCall(privateKey: KeyObject, rpc: EdgeRpc, edgeId: string, timeMs: number): string {
  return `${timeMs}.${sign(null, payload(rpc, edgeId, timeMs), privateKey).toString('base64url')}`;
}

/** Why a call's proof fails, naming the metadata entry; undefined when it holds. */
export function checkCallProof(
  value: string | undefined,
  rpc: EdgeRpc,
  edgeId: string,
  publicKey: KeyObject,
  nowMs: number,
): string | undefined {
  if (value === undefined)
    return `${AUTH_METADATA_KEY}: missing; approved edges sign every ${rpc} with their identity key`;
  const m = /^(\d{1,16})\.([A-Za-z0-9_-]{86})$/.exec(value);
  if (!m) return `${AUTH_METADATA_KEY}: malformed; expected <time_ms>.<signature>`;
  const timeMs = Number(m[1]);
  if (Math.abs(timeMs - nowMs) > MAX_SKEW_MS)
    return `${AUTH_METADATA_KEY}: signed ${Math.round((timeMs - nowMs) / 1000)} s away from the coordinator's clock (at most ${MAX_SKEW_MS / 1000} s)`;
  return verify(null, payload(rpc, edgeId, timeMs), publicKey, Buffer.from(m[2]!, 'base64url'))
    ? undefined
    : `${AUTH_METADATA_KEY}: the signature does not verify with the edge's enrolled key`;
}
