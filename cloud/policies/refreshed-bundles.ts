// Replaces a stored policy bundle with its re-signed copy — only that. A version's content never
// changes once published (a rollback is a new version); what a refresh may change is expires_ms,
// the signature and the key that made it. The check runs inside the transaction that writes, on
// the row as it is then, so neither a bug in a caller nor a replicated entry written by hand can
// swap a version's content (the mix-and-match the edges refuse) or shorten its validity.
//
// Used by the refresher on a single coordinator and by the replication mirror, which stores
// another replica's refresh the same way.
import type Database from 'better-sqlite3';
import { v1 } from '../../proto/index.js';
import { contentDigest, expiryOf } from '../../common/signing/policy-expiry.js';

export type RefreshVerdict =
  | { readonly replaced: true }
  /** conflict: the bundle is not a copy of the stored version at all (another version or content). */
  | { readonly replaced: false; readonly reason: string; readonly conflict: boolean };

export class RefreshedBundles {
  readonly #replace: (version: number, bundle: Uint8Array) => RefreshVerdict;

  constructor(sqlite: Database.Database) {
    const get = sqlite.prepare<[number], { bundle: Buffer }>('SELECT bundle FROM policies WHERE version = ?');
    const put = sqlite.prepare<[Uint8Array, number]>('UPDATE policies SET bundle = ? WHERE version = ?');
    this.#replace = sqlite.transaction((version: number, bytes: Uint8Array): RefreshVerdict => {
      const row = get.get(version);
      if (!row) return { replaced: false, reason: `version ${version} is not stored`, conflict: false };
      const stored = v1.PolicyBundle.decode(row.bundle);
      const next = v1.PolicyBundle.decode(bytes);
      if (Number(next.version) !== version)
        return {
          replaced: false,
          reason: `the bundle is version ${next.version}, not ${version}`,
          conflict: true,
        };
      if (contentDigest(next) !== contentDigest(stored))
        return {
          replaced: false,
          reason: `version ${version}: a refresh may not change the content`,
          conflict: true,
        };
      if (expiryOf(next) <= expiryOf(stored))
        return {
          replaced: false,
          reason: `version ${version}: the stored copy expires as late or later`,
          conflict: false,
        };
      put.run(bytes, version);
      return { replaced: true };
    });
  }

  /** Stores `bundle` (encoded) as `version`'s bundle if it is a refresh of the stored one. */
  replace(version: number, bundle: Uint8Array): RefreshVerdict {
    return this.#replace(version, bundle);
  }
}
