// The edge's gate for policies: nothing from the control plane reaches the site (bounds checks,
// the store, the lights) before it passes here. Checks, in order:
//   1. a key is pinned at all (fail closed: an edge without one applies no remote policy);
//   2. the bundle is signed, with Ed25519, by the pinned key, over exactly this content;
//   3. its version is newer than the newest this edge has authenticated before (persisted, so a
//      reboot does not reopen the door to a replayed old bundle: TUF's rollback attack), as
//      judged by edge/policy/policy-version.ts, the one place versions are compared;
//   4. it has not expired (TUF's freeze attack: policy-expiry.ts).
// A bundle with the same content as the newest trusted one (same version) passes again: it is a
// re-delivery after a lost ack or a reconnect, not a replay, and refusing it would turn a harmless
// resend into a false alarm. The same version with other content is refused (TUF's mix-and-match;
// in practice a coordinator whose policy history was reset and counts from 1 again).
//
// Refresh: the coordinator re-signs the versions edges run before they expire, changing only
// expires_ms and the signature. A bundle of the version this edge runs, with the same content
// (contentDigest) and a later expiry, is a refresh: admitted even when the trusted floor is above
// that version (a newer one was authenticated but refused on bounds), because it changes nothing
// the edge does, only how long the coordinator vouches for it. An older signature of the running
// version (an earlier expiry) is a harmless copy and changes nothing either.
//
// Expiry is checked after the version: a replayed old bundle is named a replay, not "expired".
// An expired bundle is refused on arrival (TUF clients refuse expired metadata), but the stored
// policy is never refused at boot for being expired: the edge keeps running it and raises
// POLICY_STALE (policy-freshness.ts), because going dark is worse than running a stale schedule.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { calle } from '../../proto/index.js';
import type { Db } from '../../common/sqlite/open-database.js';
import { pickPinnedKey, type PinnedKey } from './pinned-key.js';
import { contentDigest, expiryAge, expiryOf } from '../../common/signing/policy-expiry.js';
import { signingPayload, verifyBundleSignature } from '../../common/signing/policy-signature.js';
import { TrustState, type TrustedVersion } from './trust-state.js';
import { part, refusal, type Refusal } from '../../common/reasons/reason.js';
import { invalidVersion, replayedVersion, versionStanding } from '../policy/policy-version.js';

export type TrustVerdict = { readonly ok: true } | ({ readonly ok: false } & Refusal);

/**
 * admit()'s answer. 'new': a version to hand to the site. 'same': the version the edge runs, no
 * later expiry (a re-delivery). 'refresh': the version the edge runs, re-signed with a later expiry.
 */
export type AdmitVerdict =
  { readonly ok: true; readonly kind: 'new' | 'same' | 'refresh' } | ({ readonly ok: false } & Refusal);

interface Authentic {
  readonly ok: true;
  readonly version: number;
  /** contentDigest of the bundle. */
  readonly content: string;
  /** SHA-256 of the whole signed payload (what trust_state_v1 recorded). */
  readonly payload: string;
  readonly keyId: string;
}

export interface PolicyTrustOptions {
  readonly db: Db;
  /** The pinned coordinator key; undefined when the configuration has no trust section. */
  readonly pinned: PinnedKey | undefined;
  /**
   * The key the coordinator is rotating to (`trust.nextCoordinatorKey`): bundles signed by either
   * are accepted while both are pinned, so the coordinator can switch keys without a flag day.
   */
  readonly next?: PinnedKey | undefined;
  readonly log: Logger;
  readonly now?: () => number;
}

/** A refusal in this file's words, coded as a policy problem. */
const problem = (detail: string): Refusal => refusal(part('policy.problem', { detail }));

export class PolicyTrust {
  readonly #pinned: PinnedKey | undefined;
  readonly #keys: readonly PinnedKey[];
  readonly #state: TrustState;
  readonly #now: () => number;

  constructor({ db, pinned, next, log, now = Date.now }: PolicyTrustOptions) {
    this.#pinned = pinned;
    // A next key without a current one is not a rotation: fail closed as with no key at all.
    this.#keys = pinned ? [pinned, ...(next && next.keyId !== pinned.keyId ? [next] : [])] : [];
    this.#state = new TrustState(db);
    this.#now = now;
    const trusted = this.#state.current();
    if (!pinned) {
      log.warn(
        'trust: no coordinator key pinned (trust.coordinatorKey); every remote policy will be refused',
      );
    } else if (trusted.keyId !== '' && !this.#keys.some((k) => k.keyId === trusted.keyId)) {
      // A re-pinned cabinet (key rotation, or a replaced coordinator). The version floor stays:
      // versions are fleet-wide, and dropping the floor here would let the old key's bundles in.
      log.warn(
        { previousKeyId: trusted.keyId, keyId: pinned.keyId, trustedVersion: trusted.version },
        'trust: the pinned coordinator key changed',
      );
    }
  }

  /** The pinned key id, or undefined when none is pinned. */
  get keyId(): string | undefined {
    return this.#pinned?.keyId;
  }

  /** Every key a bundle may be signed by: the pinned one, then the next one during a rotation. */
  get keys(): readonly PinnedKey[] {
    return this.#keys;
  }

  /** The newest version this edge has authenticated. */
  get trusted(): TrustedVersion {
    return this.#state.current();
  }

  /**
   * Decides whether a bundle from the coordinator may go on to the site. `running` is the bundle
   * the site runs now (undefined: built-in defaults). On 'new' the version is recorded as trusted
   * before returning, so a crash after this call cannot reopen the door to it.
   */
  admit(bundle: calle.v1.IPolicyBundle, running?: calle.v1.IPolicyBundle): AdmitVerdict {
    const authentic = this.#authenticate(bundle);
    if (!authentic.ok) return authentic;
    const { version } = authentic;
    const now = this.#now();
    const trusted = this.#state.current();
    const runningVersion = running ? Number(running.version ?? 0) : undefined;
    switch (versionStanding(version, trusted.version, runningVersion)) {
      case 'invalid':
        return { ok: false, ...refusal(invalidVersion(version)) };
      case 'running':
        return this.#again(bundle, authentic, running!, now);
      case 'older':
        return { ok: false, ...refusal(replayedVersion(version, trusted.version)) };
      case 'floor':
        if (!this.#matches(trusted, authentic))
          return {
            ok: false,
            ...problem(
              `version: ${version} was already trusted with different content; refused ` +
                "(the coordinator's policy history may have been reset)",
            ),
          };
        break;
      case 'newer':
        break;
    }
    const expired = this.#expired(bundle, now);
    if (expired) return expired;
    if (version > trusted.version) this.#state.record(version, authentic.content, authentic.keyId, now);
    return { ok: true, kind: 'new' };
  }

  /** The version the site runs, again: a re-delivery, an older copy, or a refresh. */
  #again(
    bundle: calle.v1.IPolicyBundle,
    authentic: Authentic,
    running: calle.v1.IPolicyBundle,
    now: number,
  ): AdmitVerdict {
    const { version } = authentic;
    if (authentic.content !== contentDigest(running))
      return {
        ok: false,
        ...problem(
          `version: ${version} is the policy this edge runs, but with different content; refused ` +
            "(the coordinator's policy history may have been reset)",
        ),
      };
    if (expiryOf(bundle) <= expiryOf(running)) return { ok: true, kind: 'same' };
    const expired = this.#expired(bundle, now);
    if (expired) return expired;
    // A row carried over from trust_state_v1 learns the content digest here at the latest: the
    // refreshed bundle will be the stored one, and checkStored must recognise it at the next boot.
    const trusted = this.#state.current();
    if (trusted.version === version && trusted.digestOf === 'payload')
      this.#state.learnContentDigest(version, authentic.content);
    return { ok: true, kind: 'refresh' };
  }

  #expired(bundle: calle.v1.IPolicyBundle, now: number): ({ ok: false } & Refusal) | undefined {
    const expires = expiryOf(bundle);
    if (expires > now) return undefined;
    const at = new Date(expires).toISOString();
    return { ok: false, ...refusal(part('policy.expired', { at, age: expiryAge(expires, now) })) };
  }

  /** Whether an authentic bundle of the trusted version is the one trusted (content digest). */
  #matches(trusted: TrustedVersion, authentic: Authentic): boolean {
    if (trusted.digestOf === 'content') return trusted.digest === authentic.content;
    // A v1 row: the digest of the whole payload. On a match, remember the content from now on.
    if (trusted.digest !== authentic.payload) return false;
    this.#state.learnContentDigest(authentic.version, authentic.content);
    return true;
  }

  /**
   * Re-checks the stored policy at a cold boot, before it is run. The database lives on the same
   * SD card an intruder could rewrite, and the pinned key may have been changed since it was saved.
   * An older stored version than the trusted one is normal (newer ones may have been refused on
   * bounds); the same version with other content is not.
   */
  checkStored(bundle: calle.v1.IPolicyBundle): TrustVerdict {
    const authentic = this.#authenticate(bundle);
    if (!authentic.ok) return authentic;
    const { version } = authentic;
    const trusted = this.#state.current();
    const standing = versionStanding(version, trusted.version, undefined);
    if (standing === 'invalid') return { ok: false, ...refusal(invalidVersion(version)) };
    if (standing === 'floor' && !this.#matches(trusted, authentic)) {
      return {
        ok: false,
        ...problem(
          `version: the stored policy ${version} differs from the bundle trusted under that version`,
        ),
      };
    }
    // A stored version above the trusted one: the trust table is new (an upgrade) or was lost. The
    // stored bundle is authentic, so it becomes the floor.
    if (standing === 'newer') this.#state.record(version, authentic.content, authentic.keyId, this.#now());
    return { ok: true };
  }

  #authenticate(bundle: calle.v1.IPolicyBundle): Authentic | ({ ok: false } & Refusal) {
    if (this.#keys.length === 0) return { ok: false, ...refusal(part('policy.noKey')) };
    const picked = pickPinnedKey(this.#keys, bundle.keyId);
    // No pinned key claimed: check against the current one, whose refusal says what is wrong first
    // (unsigned, another algorithm), with the key id message naming every trusted key.
    const pinned = 'key' in picked ? picked : this.#keys[0]!;
    const signature = verifyBundleSignature(bundle, pinned.key, pinned.keyId);
    if (!signature.ok) {
      if (!('key' in picked) && signature.reasonCode?.[0]?.code === 'policy.wrongKey')
        return { ok: false, ...picked };
      return {
        ok: false,
        ...(signature.reasonCode
          ? { reason: signature.reason, reasonCode: signature.reasonCode }
          : problem(signature.reason)),
      };
    }
    const version = Number(bundle.version ?? 0);
    const payload = createHash('sha256').update(signingPayload(bundle)).digest('hex');
    return { ok: true, version, content: contentDigest(bundle), payload, keyId: pinned.keyId };
  }
}
