// Passwords for the hub's $VARIABLE secrets (CALLE_COORDINATOR_PASSWORD, CALLE_SYS_PASSWORD,
// CALLE_ROUTE_PASSWORD). nats-server does not take an environment variable's value as a string: it
// parses it as a configuration value, so `12345` or `3e5abc` (a number, then garbage) stops the
// server at start, and `-abc` or anything with a space does too (checked with nats-server 2.9:
// `P=3e5abc nats-server -t -c conf-with-password-$P` fails). Letters and digits starting with a
// letter always parse as the string they are.
import { randomBytes } from 'node:crypto';

/** What a hub password must look like to reach nats-server intact. */
export const NATS_PASSWORD_PATTERN = /^[A-Za-z][A-Za-z0-9]{15,}$/;

/** A fresh password of 32 letters and digits (~190 bits), starting with a letter. */
export function newNatsPassword(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  // 248 = 4 × 62: bytes at or above it are dropped so that every character is equally likely.
  const chars: string[] = [];
  while (chars.length < 32)
    for (const b of randomBytes(48))
      if (b < 248 && chars.length < 32 && (chars.length > 0 || b % 62 < 52)) chars.push(alphabet[b % 62]!);
  return chars.join('');
}
