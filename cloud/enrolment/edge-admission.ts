// Who may use the control plane. With enrolment 'required' (production), an edge is admitted only
// after it enrolled its public key with a one-time token and an operator approved it; every
// Register must then carry the same key and a fresh signature by it. 'open' is the behaviour from
// before enrolment existed — any well-formed id may register and call every rpc — and is kept
// only for the demo and tests that need an edge without provisioning it.
//
// The Register proof covers every field the coordinator stores from the request (district, tags,
// software version, token, key, time; common/signing/register-proof.ts), and an enrolled edge's
// district is the one its token was issued for: a Register naming another district is refused,
// so neither an approved edge nor a replay of its Register can move it (issue 13, finding 6).
//
// Heartbeat, Watch and Ack must carry a signature by the enrolled key in their metadata
// (common/signing/call-proof.ts), so knowing an approved edge's id is not enough to speak for it.
import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import type { Metadata } from '@grpc/grpc-js';
import { AUTH_METADATA_KEY, checkCallProof, type EdgeRpc } from '../../common/signing/call-proof.js';
import { checkRegisterProof, type RegisterFields } from '../../common/signing/register-proof.js';
import { keyIdOfRaw, publicKeyFromRaw } from '../../common/signing/edge-identity.js';
import { CoordinatorError, ErrorCodes } from '../errors.js';
import type { TokenClaim } from './enrolment-rules.js';
import type { EdgeIdentityRow, EnrolmentStore } from './enrolment-store.js';

export type EnrolmentMode = 'required' | 'open';
export const ENROLMENT_MODES: readonly EnrolmentMode[] = ['required', 'open'];

/** A RegisterRequest's fields, as signed, and the signature. */
export interface RegisterClaim extends RegisterFields {
  readonly signature: Uint8Array;
}

/** 'open': no enrolment in force; 'pending': enrolled, not approved; 'approved': go ahead. */
export type Admission =
  { readonly state: 'open' | 'approved' } | { readonly state: 'pending'; readonly reason: string };

export const WAITING_FOR_APPROVAL = 'waiting for operator approval';

/**
 * Where a Register spends its token. Without one, the local store (one coordinator: decided at
 * once, in SQLite). A replicated coordinator spends it in the shared KV record
 * (cloud/replication/replicated-enrolment.ts) by compare-and-set, which this synchronous path
 * cannot wait for: it answers 'recording', the edge is told it is pending — true if the spend
 * succeeds — and, polling as pending edges do, meets the outcome in the local copy at its next
 * Register (pending, or the refusal: token already used).
 */
export interface TokenSpender {
  spend(claim: TokenClaim): EdgeIdentityRow | 'recording';
}

export class EdgeAdmission {
  readonly mode: EnrolmentMode;
  readonly #store: EnrolmentStore;
  readonly #spender: TokenSpender | undefined;
  readonly #log: Logger;
  /** Key objects by edge, so a heartbeat costs one verify and no key parsing. */
  readonly #keys = new Map<string, { raw: Buffer; key: KeyObject }>();

  constructor(o: { mode: EnrolmentMode; store: EnrolmentStore; log: Logger; spender?: TokenSpender }) {
    this.mode = o.mode;
    this.#store = o.store;
    this.#spender = o.spender;
    this.#log = o.log;
  }

  /**
   * Decides a Register. Throws ENROLMENT_REFUSED (PERMISSION_DENIED) naming the reason for a bad
   * proof, a refused token or a key that differs from the enrolled one; EDGE_NOT_ENROLLED or
   * EDGE_REVOKED when there is nothing to admit.
   */
  register(c: RegisterClaim, nowMs: number): Admission {
    if (this.mode === 'open') return { state: 'open' };
    const problem = checkRegisterProof(c, nowMs);
    if (problem) throw new CoordinatorError(ErrorCodes.ENROLMENT_REFUSED, problem);
    const key = Buffer.from(c.publicKey);
    const keyId = keyIdOfRaw(key);
    const known = this.#store.get(c.edgeId);
    const sameKey = known?.publicKey != null && Buffer.compare(known.publicKey, key) === 0;
    // A token is spent only where it changes something: an enrolled edge keeps its token in its
    // configuration and sends it at every start, and must not be refused for it.
    if (c.enrolmentToken !== '' && !(sameKey && known?.state !== 'revoked')) {
      const claim = {
        token: c.enrolmentToken,
        edgeId: c.edgeId,
        district: c.district,
        publicKey: key,
        nowMs,
      };
      const row = this.#spender ? this.#spender.spend(claim) : this.#store.consumeToken(claim);
      if (row === 'recording')
        return { state: 'pending', reason: `${WAITING_FOR_APPROVAL} (key id ${keyId})` };
      this.#log.warn(
        {
          edgeId: c.edgeId,
          district: row.district,
          keyId,
          replacedKey: known?.publicKey ? keyIdOfRaw(known.publicKey) : undefined,
        },
        `edge enrolled; approve it with: calle fleet approve ${c.edgeId}`,
      );
      return { state: 'pending', reason: `${WAITING_FOR_APPROVAL} (key id ${keyId})` };
    }
    if (!known || known.state === 'invited' || known.publicKey === null)
      throw new CoordinatorError(
        ErrorCodes.EDGE_NOT_ENROLLED,
        `edge ${JSON.stringify(c.edgeId)} is not enrolled: give it a one-time token (calle fleet token) ` +
          'in coordinator.enrolmentToken or --enrolment-token',
      );
    if (known.state === 'revoked')
      throw new CoordinatorError(
        ErrorCodes.EDGE_REVOKED,
        `edge ${JSON.stringify(c.edgeId)} was revoked by an operator; a new token is needed`,
      );
    if (!sameKey)
      throw new CoordinatorError(
        ErrorCodes.ENROLMENT_REFUSED,
        `public_key: key id ${keyId} differs from the enrolled key id ${keyIdOfRaw(known.publicKey)}; ` +
          'if the board or its key was replaced, enrol it again with a new token',
      );
    // The district is the enrolment's, fixed by the operator who issued the token.
    if (c.district !== known.district)
      throw new CoordinatorError(
        ErrorCodes.ENROLMENT_REFUSED,
        `district: ${JSON.stringify(c.district)} differs from the enrolled district ` +
          `${JSON.stringify(known.district)}; to move an edge, revoke it and enrol it again with a token for the new district`,
      );
    if (known.state === 'pending')
      return { state: 'pending', reason: `${WAITING_FOR_APPROVAL} (key id ${keyId})` };
    return { state: 'approved' };
  }

  /**
   * For Heartbeat, Watch and Ack: throws unless the edge is approved and `proof` (the call's
   * calle-edge-auth metadata) is its signature over this rpc — or enrolment is open.
   */
  requireApproved(edgeId: string, rpc: EdgeRpc, proof: string | undefined, nowMs: number): void {
    if (this.mode === 'open') return;
    const publicKey = this.requireStanding(edgeId);
    let cached = this.#keys.get(edgeId);
    if (!cached?.raw.equals(publicKey)) {
      cached = { raw: publicKey, key: publicKeyFromRaw(publicKey) };
      this.#keys.set(edgeId, cached);
    }
    const problem = checkCallProof(proof, rpc, edgeId, cached.key, nowMs);
    if (problem) throw new CoordinatorError(ErrorCodes.ENROLMENT_REFUSED, problem);
  }

  /**
   * Throws unless the edge is (still) approved; returns its enrolled key. A Watch checks it again
   * before each policy it sends, so a revocation also ends streams opened before it.
   */
  requireStanding(edgeId: string): Buffer {
    const row = this.#store.get(edgeId);
    if (this.mode === 'open' || (row?.state === 'approved' && row.publicKey))
      return row?.publicKey ?? Buffer.alloc(0);
    if (row?.state === 'pending')
      throw new CoordinatorError(
        ErrorCodes.EDGE_PENDING_APPROVAL,
        `edge ${JSON.stringify(edgeId)} is ${WAITING_FOR_APPROVAL}`,
      );
    if (row?.state === 'revoked')
      throw new CoordinatorError(
        ErrorCodes.EDGE_REVOKED,
        `edge ${JSON.stringify(edgeId)} was revoked by an operator`,
      );
    throw new CoordinatorError(
      ErrorCodes.EDGE_NOT_ENROLLED,
      `edge ${JSON.stringify(edgeId)} is not enrolled; register with a token first`,
    );
  }
}

/** The call's calle-edge-auth metadata value, if it has exactly one string value. */
export function authOf(metadata: Metadata): string | undefined {
  const values = metadata.get(AUTH_METADATA_KEY);
  return values.length === 1 && typeof values[0] === 'string' ? values[0] : undefined;
}
