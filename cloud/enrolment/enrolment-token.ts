// One-time enrolment tokens: 256 random bits, shown to the operator once and stored only as a
// SHA-256 hash (a database copy or backup cannot enrol an edge). 256 bits make guessing hopeless
// even though the coordinator answers every Register, so no rate limit is needed to protect them;
// the hash (not a slow KDF) is enough for a random secret of that size.
import { createHash, randomBytes } from 'node:crypto';

/** Recognisable prefix, so a token pasted into the wrong field is spotted (and grep-able in leaks). */
export const TOKEN_PREFIX = 'calle-enrol-';

/** Default and longest lifetime of a token. */
export const DEFAULT_TOKEN_TTL_MS = 24 * 3_600_000;
export const MAX_TOKEN_TTL_MS = 30 * 24 * 3_600_000;

export function newEnrolmentToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function hashEnrolmentToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Parses a lifetime such as "90m", "24h" or "7d"; names the flag in its error. */
export function parseTtl(flag: string, text: string): number {
  const m = /^(\d{1,5})([mhd])$/.exec(text);
  if (!m) throw new Error(`${flag}: '${text}' is not a duration such as 90m, 24h or 7d`);
  const ms = Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'];
  if (ms <= 0 || ms > MAX_TOKEN_TTL_MS) throw new Error(`${flag}: ${text} must be above 0 and at most 30d`);
  return ms;
}
