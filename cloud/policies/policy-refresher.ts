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
// Replicated coordinators: only the replica holding the lease re-signs (the same lease that runs
// the rollout gates, cloud/replication/leader-lease.ts), writing the KV entry by compare-and-set;
// every replica's mirror stores it and tells its own Watch streams. Two leaders after a clock skew
// would at worst both re-sign the same content, and the compare-and-set keeps one.
import type { Logger } from 'pino';
import { v1, type calle } from '../../proto/index.js';
import { expiryOf } from '../../common/signing/policy-expiry.js';
import type { PolicySigner } from '../keys/policy-signer.js';
import type { CoordinatorDb, StoredPolicy } from '../store/coordinator-db.js';
import type { PolicyPublisher } from './policy-publisher.js';
import { dueForResigning } from './policy-validity.js';
import { RefreshedBundles } from './refreshed-bundles.js';

/**
 * How often live versions are looked at, against a re-sign age of a day (policy-validity.ts). A
 * pass is a few SQLite reads when nothing is due; short enough that a replica that just took the
 * lease (or a coordinator upgraded from one without expiry) re-signs within minutes.
 */
export const REFRESH_CHECK_EVERY_MS = 10 * 60_000;

/** The replicated write path (cloud/replication/replicated-writes.ts) and who may use it. */
export interface RefreshReplication {
  isLeader(): boolean;
  /** Writes the re-signed bundle to the version's KV entry; resolves once this replica stored it. */
  refresh(version: number, bundle: calle.v1.PolicyBundle): Promise<boolean>;
}

export interface PolicyRefresherOptions {
  readonly db: CoordinatorDb;
  readonly signer: PolicySigner;
  /** Gives the validity and tells this replica's Watch streams (announceRefresh). */
  readonly publisher: PolicyPublisher;
  readonly log: Logger;
  readonly now?: () => number;
  readonly everyMs?: number;
  readonly replication?: RefreshReplication;
}

export class PolicyRefresher {
  readonly #o: PolicyRefresherOptions;
  readonly #now: () => number;
  readonly #bundles: RefreshedBundles;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;

  constructor(options: PolicyRefresherOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#bundles = new RefreshedBundles(options.db.sqlite);
  }

  /** The stored versions that edges run or may still receive (see the head of this file). */
  liveVersions(): StoredPolicy[] {
    const { db } = this.#o;
    const latest = db.latestPolicyVersion();
    if (latest === 0) return [];
    let floor = latest;
    for (const edge of db.listEdgeStatus())
      if (edge.district !== null && edge.policyVersion > 0) floor = Math.min(floor, edge.policyVersion);
    return db.policiesAfter(floor - 1);
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
    if (replication && !replication.isLeader()) return 0;
    const now = this.#now();
    const validityMs = publisher.validityMs;
    let count = 0;
    for (const stored of this.liveVersions()) {
      const old = v1.PolicyBundle.decode(stored.bundle);
      const oldExpiry = expiryOf(old);
      if (!dueForResigning(oldExpiry, now, validityMs)) continue;
      const expiresMs = now + validityMs;
      const bundle = signer.sign({ ...old, expiresMs });
      const done = replication
        ? await replication.refresh(stored.version, bundle)
        : this.#storeLocally(stored.version, bundle);
      if (!done) continue;
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

  #storeLocally(version: number, bundle: calle.v1.PolicyBundle): boolean {
    const verdict = this.#bundles.replace(version, v1.PolicyBundle.encode(bundle).finish());
    if (!verdict.replaced) {
      if (verdict.conflict) this.#o.log.error({ version, reason: verdict.reason }, 'policy refresh refused');
      return false;
    }
    this.#o.publisher.announceRefresh({ version, bundle });
    return true;
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
