// Enrolment on a replicated coordinator, the replica's side: Register spends tokens in the shared
// KV record (enrolment-bucket.ts), so that a token enrols at most once fleet-wide, and a replica
// started on a database that already held enrolment (a coordinator switched to replication)
// brings those records into KV. Operators' changes (token, approve, revoke) go to KV from
// `calle fleet --nats` (bin/fleet-command.ts); every replica's mirror copies the records into its
// SQLite, where EdgeAdmission reads them on every rpc.
//
// Spending is asynchronous (a compare-and-set on NATS) while EdgeAdmission.register is not: a
// spend in flight answers 'recording' (the edge is told it is pending and asks again), and its
// outcome is kept here, by token and key, for that next Register — the refusal if another
// replica's spend won, otherwise nothing to say: the local copy by then shows the edge pending.
// Hazard: the local check before the spend reads this replica's copy, so a token issued a few
// milliseconds ago (not yet mirrored) is refused as unknown once; the edge asks again later.
import type { Logger } from 'pino';
import { keyIdOfRaw } from '../../common/signing/edge-identity.js';
import type { TokenSpender } from '../enrolment/edge-admission.js';
import type { TokenClaim } from '../enrolment/enrolment-rules.js';
import type { EnrolmentStore } from '../enrolment/enrolment-store.js';
import { hashEnrolmentToken } from '../enrolment/enrolment-token.js';
import { CoordinatorError } from '../errors.js';
import { entryOf, type EnrolmentBucket } from './enrolment-bucket.js';
import { isCasConflict } from './replicated-writes.js';
import { encodeEntry } from './state-entries.js';
import type { StateMirror } from './state-mirror.js';

/** How long a decided spend waits for its edge to ask again before it is forgotten. */
const OUTCOME_KEPT_MS = 10 * 60_000;

interface Spend {
  /** undefined while in flight; the refusal, or 'enrolled' once decided. */
  outcome: CoordinatorError | 'enrolled' | undefined;
}

export class ReplicatedEnrolment implements TokenSpender {
  readonly #bucket: EnrolmentBucket;
  readonly #mirror: StateMirror;
  readonly #store: EnrolmentStore;
  readonly #log: Logger;
  readonly #spends = new Map<string, Spend>();
  readonly #inFlight = new Set<Promise<void>>();
  #closed = false;

  constructor(o: { bucket: EnrolmentBucket; mirror: StateMirror; store: EnrolmentStore; log: Logger }) {
    this.#bucket = o.bucket;
    this.#mirror = o.mirror;
    this.#store = o.store;
    this.#log = o.log;
  }

  /**
   * Copies into KV every local record whose edge has no key there yet (kv.create: a record another
   * replica put first wins, and the mirror then overwrites the local one). Run before the mirror
   * starts; afterwards the local tables only ever hold copies of KV.
   */
  async adoptLocal(): Promise<number> {
    const inKv = new Set<string>();
    for await (const key of await this.#bucket.kv.keys()) inKv.add(key);
    let adopted = 0;
    for (const row of this.#store.list()) {
      if (inKv.has(row.edgeId)) continue;
      try {
        await this.#bucket.kv.create(row.edgeId, encodeEntry(entryOf(row, this.#store.tokensOf(row.edgeId))));
        adopted++;
      } catch (err) {
        if (!isCasConflict(err)) throw err;
      }
    }
    if (adopted > 0) this.#log.info({ adopted }, 'enrolment: local records copied to KV');
    return adopted;
  }

  /** TokenSpender.spend (edge-admission.ts): refuses at once, or starts the spend in KV. */
  spend(c: TokenClaim): 'recording' {
    const id = `${hashEnrolmentToken(c.token)} ${c.edgeId} ${c.publicKey.toString('base64')}`;
    const known = this.#spends.get(id);
    if (known && known.outcome === undefined) return 'recording';
    if (known) {
      this.#spends.delete(id);
      if (known.outcome instanceof CoordinatorError) throw known.outcome;
      // 'enrolled' and asked again with the token: the local copy decides, as for any token.
    }
    this.#store.checkToken(c);
    if (this.#closed) throw new Error('enrolment: replica closing; ask again');
    const spend: Spend = { outcome: undefined };
    this.#spends.set(id, spend);
    const decided = (outcome: Spend['outcome']): void => {
      spend.outcome = outcome;
      setTimeout(() => {
        if (this.#spends.get(id) === spend) this.#spends.delete(id);
      }, OUTCOME_KEPT_MS).unref();
    };
    const work = this.#bucket.consume(c).then(
      async ({ row, revision }) => {
        await this.#mirror.applied('enrolment', revision);
        decided('enrolled');
        this.#log.warn(
          { edgeId: c.edgeId, district: row.district, keyId: keyIdOfRaw(c.publicKey) },
          `edge enrolled; approve it with: calle fleet approve ${c.edgeId}`,
        );
      },
      (err: unknown) => {
        if (err instanceof CoordinatorError) {
          // Another replica spent it first (or revoked the edge meanwhile): the edge hears why.
          this.#log.info({ edgeId: c.edgeId, reason: err.message }, 'enrolment: token spend refused');
          decided(err);
          return;
        }
        // NATS away: nothing was spent; the edge's next Register tries again.
        this.#spends.delete(id);
        this.#log.warn({ err, edgeId: c.edgeId }, 'enrolment: token spend not recorded in KV');
      },
    );
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work));
    return 'recording';
  }

  /** Waits for spends in flight (call before closing NATS). */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#inFlight]);
  }
}
