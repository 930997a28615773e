// The coordinator's error catalogue: every error it raises on purpose carries a stable code from
// this list, so logs, gRPC details and HTTP answers can be matched by machines (alerts, dashboards,
// the edge's retry logic) without parsing English. Messages name the field and the reason.
import { status as GrpcStatus } from '@grpc/grpc-js';
import { SCHEMA_TOO_NEW } from '../common/sqlite/migrations.js';

/** Stable codes. Add new ones at the end; never rename or reuse one that has shipped. */
export const ErrorCodes = {
  /**
   * The database file was written by a newer coordinator; opening it could corrupt it. Raised by
   * the one migration runner as SchemaTooNewError (common/sqlite/migrations.ts), on every store.
   */
  SCHEMA_TOO_NEW,
  /** An edge id does not match EDGE_ID_PATTERN. */
  INVALID_EDGE_ID: 'CALLE_ERR_INVALID_EDGE_ID',
  /** An rpc names an edge that never registered. */
  EDGE_NOT_REGISTERED: 'CALLE_ERR_EDGE_NOT_REGISTERED',
  /** A policy version that was never published. */
  POLICY_NOT_FOUND: 'CALLE_ERR_POLICY_NOT_FOUND',
  /** A NATS payload that does not decode, or decodes to something impossible. */
  MALFORMED_PAYLOAD: 'CALLE_ERR_MALFORMED_PAYLOAD',
  /** A message whose edge id differs from the edge id in its subject. */
  EDGE_ID_MISMATCH: 'CALLE_ERR_EDGE_ID_MISMATCH',
  /** The coordinator is shutting down; clients should reconnect (to another replica). */
  SHUTTING_DOWN: 'CALLE_ERR_SHUTTING_DOWN',
  /** Enrolment refused: a bad, used, expired or foreign token, a wrong key or a bad signature. */
  ENROLMENT_REFUSED: 'CALLE_ERR_ENROLMENT_REFUSED',
  /** An edge that has no approved enrolment (none, or invited only) called an rpc. */
  EDGE_NOT_ENROLLED: 'CALLE_ERR_EDGE_NOT_ENROLLED',
  /** An enrolled edge still waiting for an operator's approval called an rpc other than Register. */
  EDGE_PENDING_APPROVAL: 'CALLE_ERR_EDGE_PENDING_APPROVAL',
  /** An edge an operator revoked. */
  EDGE_REVOKED: 'CALLE_ERR_EDGE_REVOKED',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** The gRPC status each code maps to when it crosses the control plane. */
const grpcStatusOf: Readonly<Record<ErrorCode, GrpcStatus>> = {
  CALLE_ERR_SCHEMA_TOO_NEW: GrpcStatus.FAILED_PRECONDITION,
  CALLE_ERR_INVALID_EDGE_ID: GrpcStatus.INVALID_ARGUMENT,
  CALLE_ERR_EDGE_NOT_REGISTERED: GrpcStatus.NOT_FOUND,
  CALLE_ERR_POLICY_NOT_FOUND: GrpcStatus.NOT_FOUND,
  CALLE_ERR_MALFORMED_PAYLOAD: GrpcStatus.INVALID_ARGUMENT,
  CALLE_ERR_EDGE_ID_MISMATCH: GrpcStatus.INVALID_ARGUMENT,
  CALLE_ERR_SHUTTING_DOWN: GrpcStatus.UNAVAILABLE,
  CALLE_ERR_ENROLMENT_REFUSED: GrpcStatus.PERMISSION_DENIED,
  CALLE_ERR_EDGE_NOT_ENROLLED: GrpcStatus.PERMISSION_DENIED,
  CALLE_ERR_EDGE_PENDING_APPROVAL: GrpcStatus.FAILED_PRECONDITION,
  CALLE_ERR_EDGE_REVOKED: GrpcStatus.PERMISSION_DENIED,
};

export class CoordinatorError extends Error {
  override readonly name = 'CoordinatorError';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** The gRPC status for this error. */
  get grpcStatus(): GrpcStatus {
    return grpcStatusOf[this.code];
  }

  /** The object grpc-js expects in a callback or an 'error' emit; details start with the code. */
  toGrpc(): { code: GrpcStatus; details: string } {
    return { code: this.grpcStatus, details: `${this.code}: ${this.message}` };
  }
}

/**
 * Maps anything thrown inside an rpc handler to a gRPC status. Unknown errors become INTERNAL with
 * a generic message: their text may hold file paths or SQL that the edge has no business seeing;
 * the full error goes to the log instead.
 */
export function toGrpcError(err: unknown): { code: GrpcStatus; details: string } {
  if (err instanceof CoordinatorError) return err.toGrpc();
  return { code: GrpcStatus.INTERNAL, details: 'internal error; see the coordinator log' };
}
