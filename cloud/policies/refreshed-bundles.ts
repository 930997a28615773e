// What makes a bundle a refresh of a stored version — and only that. A version's content never
// changes once published (a rollback is a new version); what a refresh may change is expires_ms,
// the signature and the key that made it. Every store backend runs this check inside the
// transaction that writes, on the row as it is then (PolicyStore.replaceRefreshed), so neither a
// bug in a caller nor a replicated entry written by hand can swap a version's content (the
// mix-and-match the edges refuse) or shorten its validity.
//
// Used for the refresher's own re-signing and for another replica's refresh arriving through the
// KV mirror (SQLite replicas) or the shared database (PostgreSQL).
import { v1 } from '../../proto/index.js';
import { contentDigest, expiryOf } from '../../common/signing/policy-expiry.js';
import type { RefreshVerdict } from '../store/store-types.js';

export type { RefreshVerdict };

/** Whether `next` (encoded) may replace `stored` (encoded, or undefined when not stored) as `version`. */
export function refreshVerdict(
  version: number,
  stored: Uint8Array | undefined,
  next: Uint8Array,
): RefreshVerdict {
  if (!stored) return { replaced: false, reason: `version ${version} is not stored`, conflict: false };
  const old = v1.PolicyBundle.decode(stored);
  const fresh = v1.PolicyBundle.decode(next);
  if (Number(fresh.version) !== version)
    return {
      replaced: false,
      reason: `the bundle is version ${fresh.version}, not ${version}`,
      conflict: true,
    };
  if (contentDigest(fresh) !== contentDigest(old))
    return {
      replaced: false,
      reason: `version ${version}: a refresh may not change the content`,
      conflict: true,
    };
  if (expiryOf(fresh) <= expiryOf(old))
    return {
      replaced: false,
      reason: `version ${version}: the stored copy expires as late or later`,
      conflict: false,
    };
  return { replaced: true };
}
