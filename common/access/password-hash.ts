// Password hashing for the console's local users: scrypt from node:crypto (RFC 7914), no package.
//
// Parameters: N = 2^15, r = 8, p = 1, a 16-byte random salt, a 32-byte key. That is OWASP's
// Password Storage Cheat Sheet minimum for scrypt (N=2^17 is its first choice; 2^15 keeps a login
// near 100 ms on a cabinet's small ARM board, where a login is rare and interactive). Memory is
// 128·N·r = 32 MiB per hash, so maxmem is raised above node's 32 MiB default. The parameters are
// stored with each hash, so raising them later re-hashes on the next successful login.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface ScryptParams {
  readonly logN: number;
  readonly r: number;
  readonly p: number;
}

export const SCRYPT_PARAMS: ScryptParams = { logN: 15, r: 8, p: 1 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;
/** Shortest password accepted (NIST SP 800-63B §5.1.1.2: at least 8 characters). */
export const MIN_PASSWORD_LENGTH = 10;
/** Longest accepted: a bound on the work an attacker can ask of the node. */
export const MAX_PASSWORD_LENGTH = 200;

async function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const N = 2 ** params.logN;
  const options: ScryptOptions = { N, r: params.r, p: params.p, maxmem: 256 * N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, options, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** Why a password cannot be used, or undefined when it can. */
export function passwordProblem(password: string): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return `must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `must be at most ${MAX_PASSWORD_LENGTH} characters`;
  return undefined;
}

/** `scrypt$logN$r$p$salt$key`, salt and key in base64url. */
export async function hashPassword(password: string, params: ScryptParams = SCRYPT_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params);
  return `scrypt$${params.logN}$${params.r}$${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** Parameters a stored hash was made with, or undefined when it is not a hash this code wrote. */
export function hashParams(stored: string): ScryptParams | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [logN, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![logN, r, p].every((n) => Number.isInteger(n) && n > 0) || logN > 20) return undefined;
  return { logN, r, p };
}

/** Constant-time comparison; false (never a throw) for a malformed stored hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const params = hashParams(stored);
  if (!params || password.length > MAX_PASSWORD_LENGTH) return false;
  const parts = stored.split('$');
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  if (expected.length !== KEY_BYTES) return false;
  const key = await derive(password, salt, params);
  return timingSafeEqual(key, expected);
}

// A hash of nothing anyone knows: verifying against it for an unknown user costs the same time as
// for a real one, so response time does not tell which user names exist.
let decoy: Promise<string> | undefined;
export async function decoyHash(): Promise<string> {
  decoy ??= hashPassword(randomBytes(18).toString('base64url'));
  return decoy;
}
