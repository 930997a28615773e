// The write path of shared state on the coordinator's own store: the local implementation of the
// replication interface (issue 15), beside the JetStream KV one of SQLite replicas
// (replicated-writes.ts). Services have one asynchronous API and never ask which one they run on:
//   - policy versions: PolicyStore.storeNext takes the next free version in a transaction (SQLite:
//     one writer; PostgreSQL: a primary key that two coordinators cannot both insert);
//   - refreshes: PolicyStore.replaceRefreshed, checked on the row inside the write;
//   - rollout records: compare-and-set on the record's revision (RolloutRecordStore).
// What was written is reported to the same sink the KV mirror reports to (MirrorSink: announce,
// rollout, refresh), in the same order — a rollout record before its version is announced, so the
// gate exists before a Watch stream is offered the version.
//
// Coordinators sharing one PostgreSQL learn of each other's writes through StateNotices
// (cloud/store/postgres/pg-notices.ts): a notice names what changed, the receiver reads it from
// the database and reports it to its own sink. Without notices (one SQLite coordinator) nobody
// else writes, and nothing needs telling.
import type { Logger } from 'pino';
import { v1, type calle } from '../../proto/index.js';
import type { PolicyReplication, PublishMeta } from '../policies/policy-publisher.js';
import type { RefreshReplication } from '../policies/policy-refresher.js';
import type { RolloutReplication } from '../rollouts/rollout-manager.js';
import type { RolloutRecord } from '../rollouts/rollout-store.js';
import type { CoordinatorStore } from '../store/coordinator-store.js';
import type { MirrorSink } from './state-mirror.js';

/** Attempts before a compare-and-set gives up (each lost to another coordinator). */
const MAX_ATTEMPTS = 50;

/** What changed, as one coordinator tells the others sharing its database. */
export type StateNotice =
  | { readonly kind: 'policy'; readonly version: number }
  | { readonly kind: 'refresh'; readonly version: number }
  | { readonly kind: 'rollout'; readonly id: number };

/** The channel between coordinators sharing one database (pg-notices.ts). */
export interface StateNotices {
  /** Tells the other coordinators; a lost notice is caught up by their periodic check. */
  send(notice: StateNotice): Promise<void>;
}

/** The replication interface whole: what publishing, refreshing and rollouts write through. */
export type SharedWrites = PolicyReplication & RefreshReplication & RolloutReplication;

export interface StoreWritesOptions {
  readonly store: CoordinatorStore;
  readonly log: Logger;
  readonly now?: () => number;
  /** Whether this coordinator runs the gates and refreshes; default: always (it is the only one). */
  readonly isLeader?: () => boolean;
  readonly notices?: StateNotices;
}

export class StoreWrites implements SharedWrites {
  readonly #store: CoordinatorStore;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #isLeader: () => boolean;
  readonly #notices: StateNotices | undefined;
  #sink: MirrorSink | undefined;
  /** The revision of each rollout record as last reported to the sink (the gate decided on it). */
  readonly #revisions = new Map<number, number>();
  /** Highest policy version reported to the sink. */
  #announced = 0;

  constructor(options: StoreWritesOptions) {
    this.#store = options.store;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    this.#isLeader = options.isLeader ?? (() => true);
    this.#notices = options.notices;
  }

  /** Reports every stored rollout record to `sink`, then what this coordinator writes from now on. */
  async start(sink: MirrorSink): Promise<void> {
    this.#sink = sink;
    this.#announced = await this.#store.policies.latestVersion();
    for (const { record, revision } of await this.#store.rollouts.list()) this.#report(record, revision);
  }

  isLeader(): boolean {
    return this.#isLeader();
  }

  // --- policy versions -----------------------------------------------------------------------

  async publish(
    sign: (version: number) => calle.v1.PolicyBundle,
    meta: PublishMeta,
  ): Promise<calle.v1.PolicyBundle> {
    let signed: { bundle: calle.v1.PolicyBundle; rollout: RolloutRecord | undefined } | undefined;
    const version = await this.#store.policies.storeNext((version) => {
      const bundle = sign(version);
      const rollout = meta.rollout?.(version) as RolloutRecord | undefined;
      signed = { bundle, rollout };
      return {
        bundle: v1.PolicyBundle.encode(bundle).finish(),
        ...(rollout ? { rollout } : {}),
        ...(meta.rollbackOf !== undefined ? { rollbackOf: meta.rollbackOf } : {}),
      };
    }, this.#now());
    // storeNext calls `make` before it resolves; the last call is the version that was stored.
    if (!signed) throw new Error('policy encoder was not called');
    const { bundle, rollout } = signed;
    if (rollout) this.#report(rollout, 1);
    await this.#announce({
      version,
      bundle,
      ...(meta.rollbackOf !== undefined ? { rollbackOf: meta.rollbackOf } : {}),
    });
    await this.#tell({ kind: 'policy', version });
    return bundle;
  }

  /** RefreshReplication.refresh: the re-signed bundle replaces the stored one if it is a refresh. */
  async refresh(version: number, bundle: calle.v1.PolicyBundle): Promise<boolean> {
    const verdict = await this.#store.policies.replaceRefreshed(
      version,
      v1.PolicyBundle.encode(bundle).finish(),
    );
    if (!verdict.replaced) {
      if (verdict.conflict) this.#log.error({ version, reason: verdict.reason }, 'policy refresh refused');
      return false;
    }
    await this.#sink?.refresh?.({ version, bundle });
    await this.#tell({ kind: 'refresh', version });
    return true;
  }

  // --- rollout records -----------------------------------------------------------------------

  /** RolloutReplication.update (rollout-manager.ts), by compare-and-set on the record's revision. */
  async update(
    id: number,
    change: (current: RolloutRecord) => Partial<RolloutRecord> | undefined,
    retry: boolean,
  ): Promise<RolloutRecord | undefined> {
    // The revision the caller's record came with: without retry, a change decided on it must not
    // land on a newer one (the gate decides again on the record that won).
    const seen = this.#revisions.get(id);
    for (let attempt = 1; ; attempt++) {
      const current = await this.#store.rollouts.get(id);
      if (!current) throw new Error(`rollout ${id}: no record to change`);
      if (!retry && seen !== undefined && current.revision !== seen) {
        this.#report(current.record, current.revision);
        this.#log.debug({ rollout: id }, 'rollout changed on another coordinator; the gate decides again');
        return undefined;
      }
      const delta = change(current.record);
      if (!delta) return undefined;
      const next: RolloutRecord = { ...current.record, ...delta, updatedMs: this.#now() };
      const revision = await this.#store.rollouts.compareAndSet(next, current.revision);
      if (revision !== undefined) {
        this.#report(next, revision);
        await this.#tell({ kind: 'rollout', id });
        return next;
      }
      if (!retry) return undefined;
      if (attempt >= MAX_ATTEMPTS)
        throw new Error(`rollout ${id}: lost ${attempt} compare-and-sets in a row`);
    }
  }

  // --- what other coordinators wrote (pg-notices.ts) ----------------------------------------

  /**
   * Reads what a notice names and reports it, or, with no notice (a periodic check, a reconnect),
   * every version above the last announced and every rollout record whose revision moved.
   */
  async catchUp(notice?: StateNotice): Promise<void> {
    if (!this.#sink) return;
    if (notice?.kind === 'refresh') {
      const stored = await this.#store.policies.get(notice.version);
      if (stored)
        await this.#sink.refresh?.({
          version: stored.version,
          bundle: v1.PolicyBundle.decode(stored.bundle),
        });
      return;
    }
    if (notice?.kind === 'rollout') {
      const r = await this.#store.rollouts.get(notice.id);
      if (r && r.revision !== this.#revisions.get(notice.id)) this.#report(r.record, r.revision);
      return;
    }
    // New versions: their rollout records first (the gate before the offer).
    const fresh = await this.#store.policies.after(this.#announced);
    if (fresh.length > 0 || !notice)
      for (const { record, revision } of await this.#store.rollouts.list())
        if (this.#revisions.get(record.id) !== revision) this.#report(record, revision);
    for (const { version, bundle, rollbackOf } of fresh)
      await this.#announce({
        version,
        bundle: v1.PolicyBundle.decode(bundle),
        ...(rollbackOf !== null && rollbackOf !== undefined ? { rollbackOf } : {}),
      });
  }

  async #announce(policy: Parameters<MirrorSink['announce']>[0]): Promise<void> {
    if (policy.version > this.#announced) this.#announced = policy.version;
    await this.#sink?.announce(policy);
  }

  #report(record: RolloutRecord, revision: number): void {
    this.#revisions.set(record.id, revision);
    this.#sink?.rollout(record);
  }

  async #tell(notice: StateNotice): Promise<void> {
    if (!this.#notices) return;
    try {
      await this.#notices.send(notice);
    } catch (err) {
      // The write is committed; the others find it at their next periodic check.
      this.#log.warn(
        { err, notice },
        'shared state: notice not sent; the others catch up at their next check',
      );
    }
  }
}
