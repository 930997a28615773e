// The errors an operator's rollout request can meet, with stable codes (the HTTP APIs map them).
export const RolloutErrors = {
  NOT_FOUND: 'CALLE_ERR_ROLLOUT_NOT_FOUND',
  BAD_STATE: 'CALLE_ERR_ROLLOUT_STATE',
  NO_EDGES: 'CALLE_ERR_ROLLOUT_NO_EDGES',
  /** rollbackTo names a version that was never published. */
  BAD_ROLLBACK: 'CALLE_ERR_ROLLOUT_ROLLBACK_UNKNOWN',
} as const;

export class RolloutError extends Error {
  override readonly name = 'RolloutError';
  constructor(
    readonly code: (typeof RolloutErrors)[keyof typeof RolloutErrors],
    message: string,
  ) {
    super(message);
  }
}
