// Publishing a policy: assign the next fleet-wide version, store the bundle, then tell every open
// Watch stream about it. The store is the source of truth; the in-process notification only saves
// watchers a poll. A coordinator replica does not hear about policies published by another
// replica (a later issue: fan the notification out over NATS); edges still get them when they
// reconnect, because Watch replays from the store.
import type { Logger } from 'pino';
import { v1, type calle } from '../../proto/index.js';
import type { CoordinatorDb } from '../store/coordinator-db.js';

/** What an operator supplies; the coordinator fills in version and issued time. */
export type PolicyDraft = Omit<calle.v1.PolicyBundle.$Properties, 'version' | 'issuedMs'>;

/** A published policy as watchers receive it: the decoded bundle and its stored bytes. */
export interface PublishedPolicy {
  readonly version: number;
  readonly bundle: calle.v1.PolicyBundle;
}

export type PolicyListener = (policy: PublishedPolicy) => void;

export class PolicyPublisher {
  readonly #db: CoordinatorDb;
  readonly #log: Logger;
  readonly #listeners = new Set<PolicyListener>();
  readonly #now: () => number;

  constructor(db: CoordinatorDb, log: Logger, now: () => number = Date.now) {
    this.#db = db;
    this.#log = log;
    this.#now = now;
  }

  /**
   * Stores the draft as the next version and notifies watchers. Returns the stored bundle.
   *
   * Signing is a later issue: key_id, signature_alg and signature are left empty here, whatever the
   * draft holds, so nothing downstream mistakes an unsigned bundle for a signed one. When signing
   * lands it happens here, over the encoding with the signature field empty (policy.proto).
   */
  publishPolicy(draft: PolicyDraft): calle.v1.PolicyBundle {
    const issuedMs = this.#now();
    let bundle: calle.v1.PolicyBundle | undefined;
    const version = this.#db.storePolicy((version) => {
      bundle = v1.PolicyBundle.create({
        ...draft,
        version,
        issuedMs,
        keyId: '',
        signatureAlg: '',
        signature: new Uint8Array(0),
      });
      return v1.PolicyBundle.encode(bundle).finish();
    }, issuedMs);
    // storePolicy calls the encoder synchronously, so bundle is set; the check keeps the types honest.
    if (!bundle) throw new Error('policy encoder was not called');
    this.#log.info({ version, target: draft.target }, 'policy published');
    this.#notify({ version, bundle });
    return bundle;
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
    return this.#listeners.size;
  }

  #notify(policy: PublishedPolicy): void {
    // One misbehaving watcher (a stream that throws on write) must not stop the others, nor turn a
    // successful, stored publication into an error for the operator.
    for (const listener of [...this.#listeners]) {
      try {
        listener(policy);
      } catch (err) {
        this.#log.error({ err, version: policy.version }, 'policy listener failed');
      }
    }
  }
}
