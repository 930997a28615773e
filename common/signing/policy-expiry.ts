// When a signed policy bundle stops vouching for itself, and what stays the same when the
// coordinator re-signs it. Shared by the coordinator (which sets and refreshes `expires_ms`) and the
// edge (which refuses expired bundles on arrival and raises POLICY_STALE when the one it runs
// expires), so both read a bundle's expiry the same way.
//
// Why bundles expire: TUF's freeze attack (https://theupdateframework.io/, "Security" — timestamp
// and expiry metadata). Without an expiry, whoever sits on the link (a captured cabinet switch, a
// stalled or hijacked coordinator) can keep an edge on its last policy for ever by withholding the
// next one, and nothing notices. With one, the edge notices within the validity period.
import { createHash } from 'node:crypto';
import { v1, type calle } from '../../proto/index.js';

/**
 * A bundle signed before expires_ms existed (expires_ms 0) is treated as expiring this long after
 * it was issued: the same as the coordinator's default validity, so an edge holding such a bundle
 * behaves as if the old coordinator had signed it with today's default. Unlimited would leave the
 * freeze attack open for exactly the bundles edges hold during an upgrade.
 */
export const LEGACY_VALIDITY_MS = 7 * 24 * 3_600_000;

/** The moment `bundle` expires, milliseconds since the epoch (see LEGACY_VALIDITY_MS for 0). */
export function expiryOf(bundle: calle.v1.IPolicyBundle): number {
  const expires = Number(bundle.expiresMs ?? 0);
  return expires > 0 ? expires : Number(bundle.issuedMs ?? 0) + LEGACY_VALIDITY_MS;
}

/**
 * SHA-256 (hex) of what a bundle says, leaving out how it is vouched for: the signature, the key
 * that made it and its expiry. Two signatures of the same version with the same content digest are
 * the same policy; a coordinator's refresh changes only what this leaves out. issued_ms stays in:
 * a refresh keeps the time the version was first published.
 */
export function contentDigest(bundle: calle.v1.IPolicyBundle): string {
  const content: calle.v1.IPolicyBundle = {
    ...bundle,
    expiresMs: 0,
    keyId: '',
    signatureAlg: '',
    signature: new Uint8Array(0),
  };
  return createHash('sha256').update(v1.PolicyBundle.encode(content).finish()).digest('hex');
}

/** "2025-03-01T10:00:00.000Z (3 h 20 min ago)": an expiry as people read it, in refusals and alarms. */
export function describeExpiry(expiresMs: number, nowMs: number): string {
  return `${new Date(expiresMs).toISOString()} (${expiryAge(expiresMs, nowMs)})`;
}

/** How far `expiresMs` is from `nowMs`: "1 d 0 h ago", "3 h 5 min from now". */
export function expiryAge(expiresMs: number, nowMs: number): string {
  const delta = Math.abs(nowMs - expiresMs);
  const span =
    delta >= 86_400_000
      ? `${Math.floor(delta / 86_400_000)} d ${Math.floor((delta % 86_400_000) / 3_600_000)} h`
      : `${Math.floor(delta / 3_600_000)} h ${Math.floor((delta % 3_600_000) / 60_000)} min`;
  return `${span} ${nowMs >= expiresMs ? 'ago' : 'from now'}`;
}
