// Errors of the users module: a stable code, the field at fault and the reason.
export type UserErrorCode =
  'CALLE_USER_INVALID' | 'CALLE_USER_EXISTS' | 'CALLE_USER_UNKNOWN' | 'CALLE_USER_LAST_ENGINEER';

export class UserError extends Error {
  constructor(
    readonly code: UserErrorCode,
    readonly field: string,
    reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}
