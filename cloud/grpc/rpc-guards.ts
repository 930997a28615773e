// Checks and error reporting shared by every rpc handler. Edge ids travel in NATS subjects and in
// SQL keys, so the coordinator holds them to the contract's pattern before anything else looks at
// a request.
import type { status as GrpcStatus } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { EDGE_ID_PATTERN } from '../../proto/nats-subjects.js';
import { CoordinatorError, ErrorCodes, toGrpcError } from '../errors.js';

/** Returns the id if it is valid; throws INVALID_EDGE_ID naming the field and the reason. */
export function requireEdgeId(edgeId: string, field = 'edge_id'): string {
  if (edgeId === '') {
    throw new CoordinatorError(ErrorCodes.INVALID_EDGE_ID, `${field} is empty; every rpc must name its edge`);
  }
  if (!EDGE_ID_PATTERN.test(edgeId)) {
    throw new CoordinatorError(
      ErrorCodes.INVALID_EDGE_ID,
      `${field} ${JSON.stringify(edgeId.slice(0, 80))} is invalid: it must match ${String(EDGE_ID_PATTERN)} ` +
        '(lower-case letters, digits, "-" and "_", at most 63 characters, no dots, since it is used in NATS subjects)',
    );
  }
  return edgeId;
}

/** The error for an rpc from an edge that has not called Register. */
export function notRegistered(edgeId: string): CoordinatorError {
  return new CoordinatorError(
    ErrorCodes.EDGE_NOT_REGISTERED,
    `edge ${JSON.stringify(edgeId)} is not registered; register first`,
  );
}

const IDENTITY_REFUSALS: ReadonlySet<string> = new Set([
  ErrorCodes.ENROLMENT_REFUSED,
  ErrorCodes.EDGE_REVOKED,
]);

/**
 * Logs a failed rpc and returns the status to send. Refusals (a CoordinatorError: the caller's
 * mistake, which the edge must fix) are logged at debug so a misconfigured cabinet cannot flood the
 * log; anything else is the coordinator's fault and logged as an error.
 */
export function rpcFailure(log: Logger, rpc: string, err: unknown): { code: GrpcStatus; details: string } {
  // Identity refusals (wrong key, bad signature, a used token, a revoked edge) may be an attack or
  // a swapped board: an operator must see them, and retries are backed off to minutes by the edge.
  if (err instanceof CoordinatorError && IDENTITY_REFUSALS.has(err.code))
    log.warn({ rpc, code: err.code, reason: err.message }, 'rpc refused: identity');
  else if (err instanceof CoordinatorError)
    log.debug({ rpc, code: err.code, reason: err.message }, 'rpc refused');
  else log.error({ err, rpc }, 'rpc failed');
  return toGrpcError(err);
}
