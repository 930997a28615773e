// The write path of a replicated coordinator: every change to shared state goes to JetStream KV,
// and every replica (this one included) stores it through its mirror (state-mirror.ts).
//   - Registry and acks: the SQLite store reports its writes (setChangeListener); they are copied to
//     KV after the local commit. Edges talk to one replica at a time, so per-edge last writer wins.
//   - Policy versions: allocated with kv.create on `v.<version>`, which succeeds for exactly one
//     writer; the loser learns the version is taken and tries the next, re-signed. Two replicas can
//     never publish the same version, and versions stay consecutive.
//   - Policy refreshes (cloud/policies/policy-refresher.ts, the lease holder only): the version's
//     entry rewritten with the re-signed bundle by compare-and-set, everything else in it kept.
//   - Rollout records: compare-and-set on the key's revision (kv.update), so concurrent changes on
//     two replicas never overwrite each other (RolloutReplication in rollout-manager.ts).
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { v1, type calle } from '../../proto/index.js';
import type { PolicyReplication, PublishMeta } from '../policies/policy-publisher.js';
import type { RolloutRecord } from '../rollouts/rollout-store.js';
import type { RegistryChange } from '../store/coordinator-store.js';
import type { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { StateBuckets } from './state-buckets.js';
import {
  decodeEntry,
  encodeEntry,
  policyKey,
  rolloutKey,
  type AckEntry,
  type EdgeEntry,
  type PolicyEntry,
} from './state-entries.js';
import type { StateMirror } from './state-mirror.js';

/**
 * Heartbeats (10,000 edges every 10 s) reach KV only when something an operator or the gate uses
 * changed (district, tags, software, policy version, unavailable devices), or at most every 30 s per
 * edge to carry last-seen and the outbox counters: ~330 puts/s for a full fleet instead of 1,000.
 * The replica not serving an edge therefore shows its last-seen up to 30 s old.
 */
export const LAST_SEEN_EVERY_MS = 30_000;

/** Attempts before a publication or a compare-and-set gives up (each lost to another replica). */
const MAX_ATTEMPTS = 50;

export function isCasConflict(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamWrongLastSequence ||
      err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

export interface ReplicatedWritesOptions {
  readonly buckets: StateBuckets;
  readonly mirror: StateMirror;
  readonly db: SqliteStore;
  readonly log: Logger;
  readonly now?: () => number;
}

export class ReplicatedWrites implements PolicyReplication {
  readonly #buckets: StateBuckets;
  readonly #mirror: StateMirror;
  readonly #db: SqliteStore;
  readonly #log: Logger;
  readonly #now: () => number;
  /** Edges and acks written locally and not yet copied to KV. */
  readonly #dirtyEdges = new Map<string, boolean>(); // id → a registration (not only heartbeats)
  /** Per edge, the highest version whose ack is waiting to be copied. */
  readonly #dirtyAcks = new Map<string, number>();
  /** Per edge, the highest version copied (or on its way): an older retry must not overwrite it. */
  readonly #ackSent = new Map<string, number>();
  #flushing: NodeJS.Immediate | NodeJS.Timeout | undefined;
  /** What was last copied per edge: when, and the fields that force a copy when they change. */
  readonly #sent = new Map<string, { atMs: number; fields: string }>();
  readonly #puts = new Set<Promise<unknown>>();
  #closed = false;

  constructor(options: ReplicatedWritesOptions) {
    this.#buckets = options.buckets;
    this.#mirror = options.mirror;
    this.#db = options.db;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    options.db.setChangeListener((change) => this.#queue(change));
  }

  // --- registry and acks ---------------------------------------------------------------------

  #queue(change: RegistryChange): void {
    if (change.kind === 'edge')
      this.#dirtyEdges.set(change.id, (this.#dirtyEdges.get(change.id) ?? false) || !change.heartbeat);
    else
      this.#dirtyAcks.set(change.edgeId, Math.max(change.version, this.#dirtyAcks.get(change.edgeId) ?? 0));
    // After the current turn: the write that reported this is inside a transaction (the group
    // committer's), committed by then; the row is read back then, so a rolled-back write is not sent.
    this.#flushing ??= setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#flushing = undefined;
    if (this.#closed) return;
    const now = this.#now();
    for (const [id, registered] of this.#dirtyEdges) {
      this.#dirtyEdges.delete(id);
      const row = this.#db.registry.registryRow(id);
      if (!row) continue;
      const fields = JSON.stringify([
        row.district,
        row.tags,
        row.softwareVersion,
        row.registeredMs,
        row.policyVersion,
        row.devicesUnavailable,
      ]);
      const sent = this.#sent.get(id);
      if (!registered && sent && sent.fields === fields && now - sent.atMs < LAST_SEEN_EVERY_MS) continue;
      this.#put(
        this.#buckets.edges.put(id, encodeEntry(row satisfies EdgeEntry)),
        () => {
          this.#sent.set(id, { atMs: now, fields });
        },
        () => this.#retry({ kind: 'edge', id, heartbeat: !registered }),
      );
    }
    for (const [edgeId, version] of this.#dirtyAcks) {
      this.#dirtyAcks.delete(edgeId);
      // One key per edge holds its latest verdict (state-entries.ts): a verdict on an older
      // version than one already copied (a retry that lost the race) would move it backwards.
      if (version < (this.#ackSent.get(edgeId) ?? 0)) continue;
      const ack = this.#db.policies.ackNow(version, edgeId);
      if (!ack) continue;
      this.#ackSent.set(edgeId, version);
      const entry: AckEntry = { version, applied: ack.applied, reason: ack.reason, timeMs: ack.timeMs };
      this.#put(this.#buckets.acks.put(edgeId, encodeEntry(entry)), undefined, () => {
        if (this.#ackSent.get(edgeId) === version) this.#ackSent.delete(edgeId);
        this.#retry({ kind: 'ack', version, edgeId });
      });
    }
  }

  #put(put: Promise<unknown>, done: (() => void) | undefined, failed: () => void): void {
    const tracked = put.then(
      () => done?.(),
      (err: unknown) => {
        if (this.#closed) return;
        this.#log.warn({ err }, 'replication: a registry or ack copy to KV failed; retrying');
        failed();
      },
    );
    this.#puts.add(tracked);
    void tracked.finally(() => this.#puts.delete(tracked));
  }

  /** Queues a failed copy again, a second from now (NATS away: the client reconnects meanwhile). */
  #retry(change: RegistryChange): void {
    setTimeout(() => {
      if (!this.#closed) this.#queue(change);
    }, 1_000).unref();
  }

  // --- policy versions -----------------------------------------------------------------------

  async publish(
    sign: (version: number) => calle.v1.PolicyBundle,
    meta: PublishMeta,
  ): Promise<calle.v1.PolicyBundle> {
    let version = this.#db.policies.latestVersionNow() + 1;
    for (let attempt = 1; ; attempt++) {
      const bundle = sign(version);
      const rollout = meta.rollout?.(version) as RolloutRecord | undefined;
      const entry: PolicyEntry = {
        bundle: Buffer.from(v1.PolicyBundle.encode(bundle).finish()).toString('base64'),
        createdMs: Number(bundle.issuedMs),
        ...(rollout ? { rollout } : {}),
        ...(meta.rollbackOf !== undefined ? { rollbackOf: meta.rollbackOf } : {}),
      };
      let revision: number;
      try {
        revision = await this.#buckets.policies.create(policyKey(version), encodeEntry(entry));
      } catch (err) {
        if (!isCasConflict(err) || attempt >= MAX_ATTEMPTS) throw err;
        this.#log.debug({ version }, 'policy version taken by another replica; trying the next');
        // The mirror may have learnt of several newer versions meanwhile.
        version = Math.max(version + 1, this.#db.policies.latestVersionNow() + 1);
        continue;
      }
      await this.#mirror.applied('policies', revision);
      return bundle;
    }
  }

  /**
   * RefreshReplication.refresh: the re-signed bundle into `v.<version>`, by compare-and-set on the
   * revision read here. False when the entry is gone or changed meanwhile (another replica's
   * refresh: the next pass looks again). Every mirror checks it is a refresh before storing it.
   */
  async refresh(version: number, bundle: calle.v1.PolicyBundle): Promise<boolean> {
    const key = policyKey(version);
    const entry = await this.#buckets.policies.get(key);
    if (!entry || entry.operation !== 'PUT') return false;
    const current = decodeEntry<PolicyEntry>(entry.value, `policies ${key}`);
    const next: PolicyEntry = {
      ...current,
      bundle: Buffer.from(v1.PolicyBundle.encode(bundle).finish()).toString('base64'),
    };
    let revision: number;
    try {
      revision = await this.#buckets.policies.update(key, encodeEntry(next), entry.revision);
    } catch (err) {
      if (isCasConflict(err)) return false;
      throw err;
    }
    await this.#mirror.applied('policies', revision);
    return true;
  }

  // --- rollout records -----------------------------------------------------------------------

  /** RolloutReplication.update (rollout-manager.ts). */
  async update(
    id: number,
    change: (current: RolloutRecord) => Partial<RolloutRecord> | undefined,
    retry: boolean,
  ): Promise<RolloutRecord | undefined> {
    // Read synchronously, before any await: the revision that matches the record the caller saw.
    let revision = this.#mirror.rolloutRevision(id);
    let current = this.#db.rollouts.getNow(id)?.record;
    const key = rolloutKey(id);
    for (let attempt = 1; ; attempt++) {
      if (!current) throw new Error(`rollout ${id}: no record to change`);
      const delta = change(current);
      if (!delta) return undefined;
      const next: RolloutRecord = { ...current, ...delta, updatedMs: this.#now() };
      const bytes = encodeEntry(next);
      try {
        // No revision: the record so far lives only inside its policy entry; the first change
        // creates its own key, and of two first changes only one can.
        const stored =
          revision === undefined
            ? await this.#buckets.rollouts.create(key, bytes)
            : await this.#buckets.rollouts.update(key, bytes, revision);
        await this.#mirror.applied('rollouts', stored);
        return this.#db.rollouts.getNow(id)?.record;
      } catch (err) {
        if (!isCasConflict(err)) throw err;
        if (!retry) {
          this.#log.debug({ rollout: id }, 'rollout changed on another replica; the gate decides again');
          return undefined;
        }
        if (attempt >= MAX_ATTEMPTS) throw err;
        const fresh = await this.#buckets.rollouts.get(key);
        if (!fresh || fresh.operation !== 'PUT') throw err;
        revision = fresh.revision;
        current = decodeEntry<RolloutRecord>(fresh.value, `rollouts ${key}`);
      }
    }
  }

  /** Stops copying; waits for copies on their way (call before closing NATS). */
  async close(): Promise<void> {
    this.#flush();
    this.#closed = true;
    this.#db.setChangeListener(undefined);
    clearImmediate(this.#flushing as NodeJS.Immediate);
    await Promise.allSettled([...this.#puts]);
  }
}
