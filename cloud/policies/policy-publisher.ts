// Publishing a policy: assign the next fleet-wide version, sign, store the signed bundle, then
// tell every open Watch stream about it. One asynchronous API whatever the deployment: the version
// is taken through the replication interface (PolicyReplication) — on the coordinator's own store
// (cloud/replication/store-writes.ts: one SQLite coordinator, or replicas sharing PostgreSQL) or in
// JetStream KV (replicated-writes.ts: SQLite replicas). Either reports the stored version back
// through announce(), on this coordinator and on every other, so a policy published anywhere
// reaches every Watch stream.
//
// Every bundle expires (policy.proto expires_ms): `validityMs` after it is signed, 7 days unless
// configured (policy-validity.ts says why). The refresher (policy-refresher.ts) re-signs the live
// versions before that; a refresh is announced on its own channel (onRefresh), because it is not a
// publication: it supersedes no rollout and gives no edge a new policy.
import type { Logger } from 'pino';
import { v1, type calle } from '../../proto/index.js';
import { CoordinatorError, ErrorCodes } from '../errors.js';
import { ephemeralSigner, type PolicySigner } from '../keys/policy-signer.js';
import type { PolicyStore } from '../store/coordinator-store.js';
import { DEFAULT_VALIDITY_MS, checkValidity } from './policy-validity.js';

/** What an operator supplies; the coordinator fills in version, issued and expiry times and signature. */
export type PolicyDraft = Omit<calle.v1.PolicyBundle.$Properties, 'version' | 'issuedMs' | 'expiresMs'>;

/** A published policy as watchers receive it: the decoded bundle and its stored bytes. */
export interface PublishedPolicy {
  readonly version: number;
  readonly bundle: calle.v1.PolicyBundle;
  /** Set when this version is the rollback of that rollout (id). */
  readonly rollbackOf?: number;
}

/** What a replicated publication carries besides the bundle (cloud/replication/state-entries.ts). */
export interface PublishMeta {
  /** The staged rollout record for the version, stored in the same write (the gate must come first). */
  readonly rollout?: (version: number) => unknown;
  readonly rollbackOf?: number;
}

/** The version allocator (cloud/replication: store-writes.ts, or replicated-writes.ts in KV). */
export interface PolicyReplication {
  /**
   * Stores the bundle `sign(version)` makes under the next free fleet-wide version (retrying with
   * the next number when another coordinator took one) and resolves with it once this
   * coordinator's store holds it and its watchers were told (announce()).
   */
  publish(
    sign: (version: number) => calle.v1.PolicyBundle,
    meta: PublishMeta,
  ): Promise<calle.v1.PolicyBundle>;
}

/**
 * Told of each version. A listener that returns a promise (the rollouts, recording that a newer
 * version superseded one) is waited for before announce() resolves, so a publication's effects are
 * in the store when publish() answers.
 */
export type PolicyListener = (policy: PublishedPolicy) => void | Promise<unknown>;

export interface PolicyPublisherOptions {
  /** Signs every bundle. Default: a key that lives only in this process (tests). */
  readonly signer?: PolicySigner;
  readonly now?: () => number;
  /** Where versions are taken (see the head of this file). */
  readonly replication: PolicyReplication;
  /** How long a signature vouches for a bundle (expires_ms − signing time); default 7 days. */
  readonly validityMs?: number;
}

export class PolicyPublisher {
  readonly #store: PolicyStore;
  readonly #log: Logger;
  readonly #listeners = new Set<PolicyListener>();
  readonly #refreshListeners = new Set<PolicyListener>();
  readonly #now: () => number;
  readonly #signer: PolicySigner;
  readonly #replication: PolicyReplication;
  readonly #validityMs: number;

  constructor(store: PolicyStore, log: Logger, options: PolicyPublisherOptions) {
    this.#store = store;
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
   * Stores the draft as the next version, signed, and resolves with the stored bundle once the
   * watchers were told. Whatever key_id, signature_alg and signature the draft holds are replaced
   * by the signer's. Signing happens inside the allocation, because the version is part of what is
   * signed and only the allocation knows it.
   */
  async publish(draft: PolicyDraft, meta: PublishMeta = {}): Promise<calle.v1.PolicyBundle> {
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

  /**
   * Publishes the content of an earlier version again, as a new and higher version, signed now.
   * Edges never go back to a lower version (that is what a replay attack looks like to them), so a
   * rollback moves forward. Sections the old version did not carry are absent here too, and an
   * edge keeps its current settings for those (policy.proto: absent = keep).
   */
  async rollback(toVersion: number): Promise<calle.v1.PolicyBundle> {
    const stored = await this.#store.get(toVersion);
    if (!stored)
      throw new CoordinatorError(ErrorCodes.POLICY_NOT_FOUND, `version ${toVersion} was never published`);
    const old = v1.PolicyBundle.decode(stored.bundle);
    const bundle = await this.publish({
      target: old.target ?? null,
      lighting: old.lighting ?? null,
      traffic: old.traffic ?? null,
      waste: old.waste ?? null,
    });
    this.#log.warn({ version: Number(bundle.version), rollbackTo: toVersion }, 'policy rolled back');
    return bundle;
  }

  /**
   * Tells watchers about a stored version (published on this coordinator or another): called by
   * the replication interface's implementation, never by a publisher.
   */
  async announce(policy: PublishedPolicy): Promise<void> {
    await this.#notify(policy);
  }

  /**
   * Tells watchers that a stored version was re-signed with a later expiry (policy-refresher.ts,
   * on this coordinator or another). Not a publication: subscribe()
   * listeners (rollouts) do not hear of it.
   */
  async announceRefresh(policy: PublishedPolicy): Promise<void> {
    await this.#notify(policy, this.#refreshListeners);
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

  async #notify(policy: PublishedPolicy, listeners = this.#listeners): Promise<void> {
    // One misbehaving watcher (a stream that throws on write) must not stop the others, nor turn a
    // successful, stored publication into an error for the operator.
    const failed = (err: unknown): void =>
      this.#log.error({ err, version: policy.version }, 'policy listener failed');
    const waits: Promise<unknown>[] = [];
    for (const listener of [...listeners]) {
      try {
        const result = listener(policy);
        if (result) waits.push(result.catch(failed));
      } catch (err) {
        failed(err);
      }
    }
    await Promise.all(waits);
  }
}
