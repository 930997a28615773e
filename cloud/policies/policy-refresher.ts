// Re-signs the live policy versions before they expire, so that an edge in touch with the
// coordinator never sees its policy go stale (edge/trust/policy-freshness.ts). A refresh keeps
// everything a bundle says — version, target, sections, issued_ms — and changes only expires_ms
// and the signature: the edges accept it for the version they run (same version, same content,
// later expiry; edge/trust/policy-trust.ts), so the version order and the anti-rollback floor are
// untouched. Watch streams hand it to the edges that run the version (cloud/grpc/policy-service.ts).
//
// Live: every stored version from the lowest one a registered edge reports running (heartbeats)
// up to the newest. That covers what edges run, staged rollouts' versions and versions an edge
// refused on bounds (it still runs the one before). Superseded versions below every edge are left
// to expire: no edge will ever take them again. With no edge reporting one, the newest version.
//
// The re-signed copy is written through the replication interface (RefreshReplication): on the
// store (cloud/replication/store-writes.ts) or in the version's KV entry by compare-and-set (SQLite
// replicas). Either stores it only if it is a refresh (refreshed-bundles.ts) and tells every
// coordinator's Watch streams. With several coordinators only the leader re-signs (the one that
// runs the rollout gates); two leaders after a clock skew would at worst both re-sign the same
// content, and the check on the stored row keeps one.
import type { Logger } from 'pino';
import { v1, type calle } from '../../proto/index.js';
import { expiryOf } from '../../common/signing/policy-expiry.js';
import type { PolicySigner } from '../keys/policy-signer.js';
import type { CoordinatorStore, StoredPolicy } from '../store/coordinator-store.js';
import type { PolicyPublisher } from './policy-publisher.js';
import { dueForResigning } from './policy-validity.js';

/**
 * How often live versions are looked at, against a re-sign age of a day (policy-validity.ts). A
 * pass is a few SQLite reads when nothing is due; short enough that a replica that just took the
 * lease (or a coordinator upgraded from one without expiry) re-signs within minutes.
 */
export const REFRESH_CHECK_EVERY_MS = 10 * 60_000;

/** The write path of re-signed bundles (cloud/replication) and who may use it. */
export interface RefreshReplication {
  isLeader(): boolean;
  /**
   * Stores the re-signed bundle if it is a refresh of the stored version and tells the Watch
   * streams; resolves false when it was not stored (changed meanwhile: the next pass looks again).
   */
  refresh(version: number, bundle: calle.v1.PolicyBundle): Promise<boolean>;
}

export interface PolicyRefresherOptions {
  readonly store: CoordinatorStore;
  readonly signer: PolicySigner;
  /** Gives the validity. */
  readonly publisher: PolicyPublisher;
  readonly log: Logger;
  readonly now?: () => number;
  readonly everyMs?: number;
  readonly replication: RefreshReplication;
}

export class PolicyRefresher {
  readonly #o: PolicyRefresherOptions;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;

  constructor(options: PolicyRefresherOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /** The stored versions that edges run or may still receive (see the head of this file). */
  async liveVersions(): Promise<StoredPolicy[]> {
    const { store } = this.#o;
    const latest = await store.policies.latestVersion();
    if (latest === 0) return [];
    let floor = latest;
    for (const edge of await store.registry.listStatus())
      if (edge.district !== null && edge.policyVersion > 0) floor = Math.min(floor, edge.policyVersion);
    return store.policies.after(floor - 1);
  }

  /** One pass: re-signs every live version that is due. Resolves with how many it re-signed. */
  async tick(): Promise<number> {
    this.#running ??= this.#pass().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #pass(): Promise<number> {
    const { replication, publisher, signer, log } = this.#o;
    if (!replication.isLeader()) return 0;
    const now = this.#now();
    const validityMs = publisher.validityMs;
    let count = 0;
    for (const stored of await this.liveVersions()) {
      const old = v1.PolicyBundle.decode(stored.bundle);
      const oldExpiry = expiryOf(old);
      if (!dueForResigning(oldExpiry, now, validityMs)) continue;
      const expiresMs = now + validityMs;
      const bundle = signer.sign({ ...old, expiresMs });
      if (!(await replication.refresh(stored.version, bundle))) continue;
      count++;
      log.info(
        {
          version: stored.version,
          expiresMs,
          previousExpiresMs: oldExpiry,
          keyId: bundle.keyId,
        },
        'policy re-signed before it expires',
      );
    }
    return count;
  }

  /** Runs a pass now and then every `everyMs` (default 10 min) until stop(). */
  start(): void {
    if (this.#timer) return;
    const pass = (): void => {
      this.tick().catch((err: unknown) =>
        this.#o.log.error({ err }, 'policy refresh failed; trying again at the next check'),
      );
    };
    pass();
    this.#timer = setInterval(pass, this.#o.everyMs ?? REFRESH_CHECK_EVERY_MS);
    this.#timer.unref();
  }

  /** Stops the timer and waits for a pass in progress. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }
}
