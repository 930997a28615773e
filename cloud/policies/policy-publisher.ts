// Publishing a policy: assign the next fleet-wide version, sign, store the signed bundle, then
// tell every open Watch stream about it. The store is the source of truth; the in-process
// notification only saves watchers a poll. With replication on (cloud/replication) the version is
// allocated in JetStream KV instead, which is asynchronous: publishAsync; every replica's mirror
// then stores the bundle and calls announce(), so a policy published on one replica reaches the
// Watch streams held by every other.
//
// Every bundle expires (policy.proto expires_ms): `validityMs` after it is signed, 7 days unless
// configured (policy-validity.ts says why). The refresher (policy-refresher.ts) re-signs the live
// versions before that; a refresh is announced on its own channel (onRefresh), because it is not a
// publication: it supersedes no rollout and gives no edge a new policy.
import type { Logger } from 'pino';
import { v1, type calle } from '../../proto/index.js';
import { CoordinatorError, ErrorCodes } from '../errors.js';
import { ephemeralSigner, type PolicySigner } from '../keys/policy-signer.js';
import type { CoordinatorDb } from '../store/coordinator-db.js';
import { DEFAULT_VALIDITY_MS, checkValidity } from './policy-validity.js';

/** What an operator supplies; the coordinator fills in version, issued and expiry times and signature. */
export type PolicyDraft = Omit<calle.v1.PolicyBundle.$Properties, 'version' | 'issuedMs' | 'expiresMs'>;

/** A published policy as watchers receive it: the decoded bundle and its stored bytes. */
export interface PublishedPolicy {
  readonly version: number;
  readonly bundle: calle.v1.PolicyBundle;
  /** Set when this version is the rollback of that rollout (id); replicated mode only. */
  readonly rollbackOf?: number;
}

/** What a replicated publication carries besides the bundle (cloud/replication/state-entries.ts). */
export interface PublishMeta {
  /** The staged rollout record for the version, stored in the same write (the gate must come first). */
  readonly rollout?: (version: number) => unknown;
  readonly rollbackOf?: number;
}

/** The replicated version allocator (cloud/replication/replicated-writes.ts). */
export interface PolicyReplication {
  /**
   * Stores the bundle `sign(version)` makes under the next free fleet-wide version (retrying with
   * the next number when another replica took one) and resolves with it once this replica's store
   * holds it and its watchers were told.
   */
  publish(
    sign: (version: number) => calle.v1.PolicyBundle,
    meta: PublishMeta,
  ): Promise<calle.v1.PolicyBundle>;
}

export type PolicyListener = (policy: PublishedPolicy) => void;

export interface PolicyPublisherOptions {
  /** Signs every bundle. Default: a key that lives only in this process (tests). */
  readonly signer?: PolicySigner;
  readonly now?: () => number;
  /** Replicated coordinator: versions come from JetStream KV; only the async methods work. */
  readonly replication?: PolicyReplication;
  /** How long a signature vouches for a bundle (expires_ms − signing time); default 7 days. */
  readonly validityMs?: number;
}

export class PolicyPublisher {
  readonly #db: CoordinatorDb;
  readonly #log: Logger;
  readonly #listeners = new Set<PolicyListener>();
  readonly #refreshListeners = new Set<PolicyListener>();
  readonly #now: () => number;
  readonly #signer: PolicySigner;
  readonly #replication: PolicyReplication | undefined;
  readonly #validityMs: number;

  constructor(db: CoordinatorDb, log: Logger, options: PolicyPublisherOptions = {}) {
    this.#db = db;
    this.#log = log;
    this.#now = options.now ?? Date.now;
    this.#signer = options.signer ?? ephemeralSigner();
    this.#replication = options.replication;
    this.#validityMs = checkValidity(options.validityMs ?? DEFAULT_VALIDITY_MS);
  }

  /** How long each signature vouches for a bundle. */
  get validityMs(): number {
    return this.#validityMs;
  }

  /** Key id every bundle from this publisher is signed with. */
  get keyId(): string {
    return this.#signer.keyId;
  }

  /**
   * Stores the draft as the next version, signed, and notifies watchers. Returns the stored bundle.
   * Whatever key_id, signature_alg and signature the draft holds are replaced by the signer's.
   * Signing runs inside the storing transaction, because the version is part of what is signed
   * and only the transaction knows it.
   */
  publishPolicy(draft: PolicyDraft): calle.v1.PolicyBundle {
    if (this.#replication)
      throw new Error(
        'publishPolicy: this coordinator is replicated; its versions are allocated in JetStream KV, use publishAsync',
      );
    const issuedMs = this.#now();
    let bundle: calle.v1.PolicyBundle | undefined;
    const version = this.#db.storePolicy((version) => {
      bundle = this.#signer.sign({ ...draft, version, issuedMs, expiresMs: issuedMs + this.#validityMs });
      return v1.PolicyBundle.encode(bundle).finish();
    }, issuedMs);
    // storePolicy calls the encoder synchronously, so bundle is set; the check keeps the types honest.
    if (!bundle) throw new Error('policy encoder was not called');
    this.#log.info({ version, target: draft.target, keyId: bundle.keyId }, 'policy published');
    this.#notify({ version, bundle });
    return bundle;
  }

  /**
   * Publishes the content of an earlier version again, as a new and higher version, signed now.
   * Edges never go back to a lower version (that is what a replay attack looks like to them), so a
   * rollback moves forward. Sections the old version did not carry are absent here too, and an
   * edge keeps its current settings for those (policy.proto: absent = keep).
   */
  rollback(toVersion: number): calle.v1.PolicyBundle {
    const stored = this.#db.policiesAfter(toVersion - 1)[0];
    if (!stored || stored.version !== toVersion)
      throw new CoordinatorError(ErrorCodes.POLICY_NOT_FOUND, `version ${toVersion} was never published`);
    const old = v1.PolicyBundle.decode(stored.bundle);
    const bundle = this.publishPolicy({
      target: old.target ?? null,
      lighting: old.lighting ?? null,
      traffic: old.traffic ?? null,
      waste: old.waste ?? null,
    });
    this.#log.warn({ version: bundle.version, rollbackTo: toVersion }, 'policy rolled back');
    return bundle;
  }

  /**
   * publishPolicy for either mode: with replication the version is allocated in KV (every replica
   * then announces it), without it this is publishPolicy.
   */
  async publishAsync(draft: PolicyDraft, meta: PublishMeta = {}): Promise<calle.v1.PolicyBundle> {
    if (!this.#replication) return this.publishPolicy(draft);
    const issuedMs = this.#now();
    const bundle = await this.#replication.publish(
      (version) => this.#signer.sign({ ...draft, version, issuedMs, expiresMs: issuedMs + this.#validityMs }),
      meta,
    );
    this.#log.info(
      { version: Number(bundle.version), target: draft.target, keyId: bundle.keyId },
      'policy published',
    );
    return bundle;
  }

  /** rollback() for either mode (see publishAsync). */
  async rollbackAsync(toVersion: number): Promise<calle.v1.PolicyBundle> {
    if (!this.#replication) return this.rollback(toVersion);
    const stored = this.#db.policiesAfter(toVersion - 1)[0];
    if (!stored || stored.version !== toVersion)
      throw new CoordinatorError(ErrorCodes.POLICY_NOT_FOUND, `version ${toVersion} was never published`);
    const old = v1.PolicyBundle.decode(stored.bundle);
    const bundle = await this.publishAsync({
      target: old.target ?? null,
      lighting: old.lighting ?? null,
      traffic: old.traffic ?? null,
      waste: old.waste ?? null,
    });
    this.#log.warn({ version: Number(bundle.version), rollbackTo: toVersion }, 'policy rolled back');
    return bundle;
  }

  /**
   * Tells watchers about a policy stored by the replication mirror (published on this replica or
   * another), exactly as a local publication does.
   */
  announce(policy: PublishedPolicy): void {
    this.#notify(policy);
  }

  /**
   * Tells watchers that a stored version was re-signed with a later expiry (policy-refresher.ts,
   * or the replication mirror when another replica refreshed it). Not a publication: subscribe()
   * listeners (rollouts) do not hear of it.
   */
  announceRefresh(policy: PublishedPolicy): void {
    this.#notify(policy, this.#refreshListeners);
  }

  /** Calls `listener` for every refresh from now on (announceRefresh). Returns the unsubscribe function. */
  onRefresh(listener: PolicyListener): () => void {
    this.#refreshListeners.add(listener);
    return () => {
      this.#refreshListeners.delete(listener);
    };
  }

  /** Calls `listener` for every policy published from now on. Returns the unsubscribe function. */
  subscribe(listener: PolicyListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Number of live subscriptions; tests use it to prove Watch cleans up after itself. */
  get listenerCount(): number {
    return this.#listeners.size + this.#refreshListeners.size;
  }

  #notify(policy: PublishedPolicy, listeners = this.#listeners): void {
    // One misbehaving watcher (a stream that throws on write) must not stop the others, nor turn a
    // successful, stored publication into an error for the operator.
    for (const listener of [...listeners]) {
      try {
        listener(policy);
      } catch (err) {
        this.#log.error({ err, version: policy.version }, 'policy listener failed');
      }
    }
  }
}
