// How long the coordinator's signature vouches for a policy bundle, and when it signs it again.
//
// Two numbers pull against each other (TUF's trade-off for timestamp metadata):
//   - a freeze goes unnoticed for at most the validity: shorter is safer;
//   - an edge cut off from the coordinator raises POLICY_STALE once its bundle expires, even when
//     nobody attacks it: longer means fewer false alarms.
// Default: valid 7 days, re-signed once a bundle is a day old (RESIGN_AFTER_MS). An edge that
// loses its uplink right before a re-signing still holds 6 days of validity: a long weekend
// (Friday evening to Tuesday morning, or Madrid's Easter Thursday to Monday: 4-5 days) passes
// without a false alarm, while a withheld policy is noticed within a week — before the next
// weekly schedule change an operator would expect to see. The refresher checks every 10 minutes, so a
// bundle is re-signed a day after its last signature. A deployment with a 5G link watched more closely
// may shorten it (`calle cloud --policy-validity 2d`); never below 2 days, or an ordinary weekend
// offline would alarm.
import { LEGACY_VALIDITY_MS } from '../../common/signing/policy-expiry.js';

const DAY_MS = 86_400_000;

/** Default validity of a signature; the same as the edge's assumption for bundles without one. */
export const DEFAULT_VALIDITY_MS = LEGACY_VALIDITY_MS;

/** Shortest and longest validity accepted (see above; 90 days is TUF's order for slow-moving roles). */
export const MIN_VALIDITY_MS = 2 * DAY_MS;
export const MAX_VALIDITY_MS = 90 * DAY_MS;

/** A bundle is re-signed once its signature is this old (or half the validity, if shorter). */
export const RESIGN_AFTER_MS = DAY_MS;

/** Returns `ms`, or throws naming the option when it is outside MIN_VALIDITY_MS..MAX_VALIDITY_MS. */
export function checkValidity(ms: number, option = 'policyValidityMs'): number {
  if (!Number.isSafeInteger(ms) || ms < MIN_VALIDITY_MS || ms > MAX_VALIDITY_MS)
    throw new Error(
      `${option}: ${ms / 3_600_000} h is outside 2 to 90 days (a shorter validity alarms every edge offline over a weekend)`,
    );
  return ms;
}

/**
 * Whether a bundle expiring at `expiresMs` is due to be re-signed at `nowMs` under `validityMs`:
 * when less than the validity minus the re-sign age is left (a bundle without expires_ms counts as
 * expiring 7 days after issue: policy-expiry.ts expiryOf).
 */
export function dueForResigning(expiresMs: number, nowMs: number, validityMs: number): boolean {
  const resignAfter = Math.min(RESIGN_AFTER_MS, validityMs / 2);
  return expiresMs - nowMs <= validityMs - resignAfter;
}

/** Parses `--policy-validity` ("7d", "36h"); the error names the flag and the accepted range. */
export function parseValidity(flag: string, text: string): number {
  const m = /^(\d{1,4})([hd])$/.exec(text);
  if (!m) throw new Error(`${flag}: '${text}' is not a duration such as 7d or 72h`);
  return checkValidity(Number(m[1]) * (m[2] === 'd' ? DAY_MS : 3_600_000), flag);
}
