// The rules of enrolment, shared by the one-coordinator store (enrolment-store.ts, SQLite) and the
// replicated one (cloud/replication/enrolment-bucket.ts, JetStream KV): which token may enrol
// which edge, and which edge an operator may approve. One place, so both modes refuse the same
// things with the same words.
import { CoordinatorError, ErrorCodes } from '../errors.js';

export type IdentityState = 'invited' | 'pending' | 'approved' | 'revoked';

/** What is kept of a token: never the token itself, only its hash (enrolment-token.ts). */
export interface TokenRecord {
  readonly edgeId: string;
  readonly district: string;
  readonly expiresMs: number;
  readonly usedMs: number | null;
}

/** A Register's use of a token. */
export interface TokenClaim {
  readonly token: string;
  readonly edgeId: string;
  readonly district: string;
  /** Raw Ed25519 key the edge enrols. */
  readonly publicKey: Buffer;
  readonly nowMs: number;
}

export const refuse = (reason: string): CoordinatorError =>
  new CoordinatorError(ErrorCodes.ENROLMENT_REFUSED, reason);

/** Why `t` cannot enrol the claiming edge now; undefined if it can. */
export function tokenRefusal(
  t: TokenRecord | undefined,
  c: Pick<TokenClaim, 'edgeId' | 'district' | 'nowMs'>,
): CoordinatorError | undefined {
  // The messages go back to the caller, who may not be the edge the token was for: they say what
  // is wrong with the token, never anything about other edges.
  if (!t) return refuse('enrolment_token: unknown token (mistyped, or revoked with its edge)');
  if (t.edgeId !== c.edgeId)
    return refuse(`enrolment_token: issued for another edge, not ${JSON.stringify(c.edgeId)}`);
  if (t.usedMs !== null)
    return refuse(
      `enrolment_token: already used at ${new Date(t.usedMs).toISOString()}; tokens are one-time`,
    );
  if (c.nowMs >= t.expiresMs)
    return refuse(`enrolment_token: expired at ${new Date(t.expiresMs).toISOString()}; issue a new one`);
  if (t.district !== c.district)
    return refuse(
      `district: the token was issued for district ${JSON.stringify(t.district)}, not ${JSON.stringify(c.district)}`,
    );
  return undefined;
}

/** Why an edge in `state` cannot be approved; undefined if it can (or already is). */
export function approvalRefusal(edgeId: string, state: IdentityState): CoordinatorError | undefined {
  if (state === 'invited')
    return refuse(
      `edge ${JSON.stringify(edgeId)} has not enrolled yet: nothing to approve until it registers with its token`,
    );
  if (state === 'revoked')
    return refuse(
      `edge ${JSON.stringify(edgeId)} is revoked; issue a new token (calle fleet token) to enrol it again`,
    );
  return undefined;
}

export const unknownEdge = (edgeId: string): CoordinatorError =>
  new CoordinatorError(
    ErrorCodes.EDGE_NOT_ENROLLED,
    `edge ${JSON.stringify(edgeId)} is not known; issue a token first (calle fleet token)`,
  );
