// Each replica materialises the shared KV state into its own SQLite file, through the same store
// methods the single coordinator uses, so every read path (gRPC, HTTP, the dashboard, the gate)
// stays as it is and answers from local SQLite. One KV watcher per bucket, starting with the last
// value of every key (a fresh replica rebuilds its whole copy), then following every change.
//
// The mirror is also how a replica hears of another's writes: a new policy version is announced to
// this replica's Watch streams (PolicyPublisher.announce) exactly as a local publication is, and a
// rollout record that released a stage re-offers the held version (RolloutManager.applyReplicated).
// A re-signed copy of a stored version (a refresh by the lease holder, policy-refresher.ts) replaces
// the stored bundle when it is one (same version and content, later expiry: refreshed-bundles.ts)
// and is announced as a refresh (PolicyPublisher.announceRefresh), not as a publication.
// Own writes come back through here too: the write path waits for the mirror (applied()) so that a
// caller reads its own write, and nothing is stored twice or announced twice.
//
// Enrolment records (enrolment-bucket.ts) land in the enrolment tables, so EdgeAdmission answers
// every rpc from local SQLite on whichever replica the edge reaches.
//
// Ordering: within one bucket the watcher delivers in stream order. Across buckets there is none,
// which is why a staged rollout's first record travels inside its policy entry (state-entries.ts):
// the gate is known before the version is announced, whatever bucket is read first.
import { KvWatchInclude, type KvWatchEntry } from '@nats-io/kv';
import type { Logger } from 'pino';
import { v1 } from '../../proto/index.js';
import type { EnrolmentStore } from '../enrolment/enrolment-store.js';
import type { PublishedPolicy } from '../policies/policy-publisher.js';
import { upgradeRecord, type RolloutRecord } from '../rollouts/rollout-store.js';
import type { EdgeRegistryRow } from '../store/coordinator-store.js';
import type { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { decodeEnrolment, rowOf } from './enrolment-bucket.js';
import type { MirrorProgress } from './mirror-progress.js';
import type { StateBuckets } from './state-buckets.js';
import {
  decodeEntry,
  numberOfKey,
  type AckEntry,
  type BucketName,
  type EdgeEntry,
  type PolicyEntry,
} from './state-entries.js';

/** Where the mirror reports what it stored. */
export interface MirrorSink {
  /** A policy version newly stored here (PolicyPublisher.announce); resolves once it is dealt with. */
  announce(policy: PublishedPolicy): void | Promise<void>;
  /** A rollout record stored here (RolloutManager.applyReplicated). */
  rollout(record: RolloutRecord): void;
  /** A stored version replaced by its re-signed copy (PolicyPublisher.announceRefresh). */
  refresh?(policy: PublishedPolicy): void | Promise<void>;
}

export interface StateMirrorOptions {
  readonly buckets: StateBuckets;
  readonly db: SqliteStore;
  /** The enrolment tables EdgeAdmission reads (on the same SQLite file as `db`). */
  readonly enrolment: EnrolmentStore;
  /** Where the large buckets' applied revisions are kept (mirror-progress.ts); absent: read all. */
  readonly progress?: MirrorProgress;
  readonly log: Logger;
}

type Mirrored = Exclude<BucketName, 'leases'>;
const MIRRORED: readonly Mirrored[] = ['edges', 'policies', 'acks', 'rollouts', 'enrolment'];
/**
 * Buckets a restarting replica resumes after its last applied revision (mirror-progress.ts): the
 * ones that grow with the fleet. Policies and rollouts are read whole at every start: they are
 * few, and a replica needs each rollout record's KV revision in memory for compare-and-set.
 */
const RESUMABLE: ReadonlySet<Mirrored> = new Set(['edges', 'acks', 'enrolment']);

interface Waiter {
  readonly revision: number;
  readonly resolve: () => void;
}

export class StateMirror {
  readonly #buckets: StateBuckets;
  readonly #db: SqliteStore;
  readonly #enrolment: EnrolmentStore;
  readonly #log: Logger;
  readonly #progress: MirrorProgress | undefined;
  /** Each resumable bucket's stream creation time, the identity its progress is kept under. */
  readonly #streamCreated = new Map<Mirrored, string>();
  #sink: MirrorSink | undefined;
  /** Highest revision applied, per bucket. */
  readonly #applied = new Map<Mirrored, number>(MIRRORED.map((b) => [b, 0]));
  readonly #waiters = new Map<Mirrored, Waiter[]>(MIRRORED.map((b) => [b, []]));
  /** KV revision of each rollout record applied (the compare-and-set base). */
  readonly #rolloutRevisions = new Map<number, number>();
  readonly #stops: (() => void)[] = [];
  readonly #loops: Promise<void>[] = [];
  #closed = false;
  /** Entries read from the buckets since start(): what a restart cost (tests, the fleet bench). */
  entriesRead = 0;

  constructor(options: StateMirrorOptions) {
    this.#buckets = options.buckets;
    this.#db = options.db;
    this.#enrolment = options.enrolment;
    this.#progress = options.progress;
    this.#log = options.log;
  }

  /**
   * Starts every watcher and resolves once this replica's store holds everything the buckets held
   * when start() was called: until then it must not serve (an edge registered on another replica
   * would be told NOT_FOUND).
   */
  async start(sink: MirrorSink): Promise<void> {
    this.#sink = sink;
    await Promise.all(
      MIRRORED.map(async (bucket) => {
        const kv = this.#buckets[bucket];
        // Read before the watch starts: every entry up to here arrives in the watch's first part.
        const { streamInfo } = await kv.status();
        const last = streamInfo.state.last_seq;
        const after =
          this.#progress && RESUMABLE.has(bucket)
            ? this.#progress.resumeAfter(bucket, streamInfo.created, last)
            : 0;
        if (this.#progress && RESUMABLE.has(bucket)) this.#streamCreated.set(bucket, streamInfo.created);
        if (after > 0) this.#applied.set(bucket, after);
        this.#log.debug({ bucket, resumeAfter: after, last }, 'mirror: watching');
        const watch = await kv.watch(
          after > 0 ? { resumeFromRevision: after + 1 } : { include: KvWatchInclude.LastValue },
        );
        this.#stops.push(() => watch.stop());
        this.#loops.push(this.#follow(bucket, watch));
        await this.applied(bucket, last);
      }),
    );
  }

  /** Resolves once this bucket's watcher has applied `revision` (or after `timeoutMs`). */
  async applied(bucket: Mirrored, revision: number, timeoutMs = 10_000): Promise<void> {
    if ((this.#applied.get(bucket) ?? 0) >= revision || this.#closed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#log.warn({ bucket, revision }, 'mirror did not reach a revision in time; going on');
        resolve();
      }, timeoutMs);
      this.#waiters.get(bucket)!.push({
        revision,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  /** The KV revision of rollout `id` as last applied here; undefined if it has no record key yet. */
  rolloutRevision(id: number): number | undefined {
    return this.#rolloutRevisions.get(id);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const stop of this.#stops) stop();
    await Promise.allSettled(this.#loops);
    for (const waiters of this.#waiters.values()) for (const w of waiters.splice(0)) w.resolve();
  }

  async #follow(bucket: Mirrored, watch: AsyncIterable<KvWatchEntry>): Promise<void> {
    for await (const entry of watch) {
      if (this.#closed) break;
      this.entriesRead++;
      try {
        if (entry.operation === 'PUT') this.#apply(bucket, entry);
      } catch (err) {
        // A malformed entry (written by hand, or by a newer coordinator) must not stop the mirror:
        // the rest of the fleet's state keeps flowing, and the log names the key.
        this.#log.error(
          { err, bucket, key: entry.key, revision: entry.revision },
          'mirror: entry not applied',
        );
      }
      this.#record(bucket, entry.revision);
      this.#advance(bucket, entry.revision);
    }
  }

  /**
   * Queues the applied revision behind the entry's own write (same group, later savepoint, so in
   * the same transaction or a later one: never committed ahead of the data, mirror-progress.ts).
   */
  #record(bucket: Mirrored, revision: number): void {
    const progress = this.#progress;
    const created = this.#streamCreated.get(bucket);
    if (!progress || created === undefined) return;
    void this.#db.grouped
      .submit(() => progress.set(bucket, created, revision))
      .catch((err: unknown) => this.#log.warn({ err, bucket }, 'mirror: progress not stored'));
  }

  #advance(bucket: Mirrored, revision: number): void {
    if (revision > (this.#applied.get(bucket) ?? 0)) this.#applied.set(bucket, revision);
    const waiters = this.#waiters.get(bucket)!;
    const done = waiters.filter((w) => w.revision <= revision);
    if (done.length === 0) return;
    this.#waiters.set(
      bucket,
      waiters.filter((w) => w.revision > revision),
    );
    for (const w of done) w.resolve();
  }

  #apply(bucket: Mirrored, entry: KvWatchEntry): void {
    const what = `${bucket} ${entry.key}`;
    switch (bucket) {
      case 'edges': {
        const row = decodeEntry<EdgeEntry>(entry.value, what) satisfies EdgeRegistryRow;
        // Grouped: at 10,000 edges these arrive by the hundred per second, and one fsync each
        // (synchronous=FULL) would cost more than the heartbeats themselves.
        void this.#db.grouped
          .submit(() => this.#db.registry.putReplicated(row))
          .catch((err: unknown) => this.#log.error({ err, key: entry.key }, 'mirror: edge not stored'));
        return;
      }
      case 'acks': {
        // One key per edge, its latest verdict (state-entries.ts).
        const ack = { ...decodeEntry<AckEntry>(entry.value, what), edgeId: entry.key };
        if (!Number.isSafeInteger(ack.version)) throw new Error(`${what}: no version in the verdict`);
        void this.#db.grouped
          .submit(() => this.#db.policies.putReplicatedAck(ack))
          .catch((err: unknown) => this.#log.error({ err, key: entry.key }, 'mirror: ack not stored'));
        return;
      }
      case 'policies': {
        const version = numberOfKey(entry.key, 'v');
        if (version === undefined) throw new Error(`${what}: key is not v.<version>`);
        const policy = decodeEntry<PolicyEntry>(entry.value, what);
        // The gate first (see the head of this file); a record already here is newer.
        const rollout = policy.rollout && upgradeRecord(policy.rollout);
        if (rollout && !this.#db.rollouts.getNow(rollout.id)) {
          this.#db.rollouts.put(rollout);
          this.#sink?.rollout(rollout);
        }
        const bytes = Buffer.from(policy.bundle, 'base64');
        const bundle = v1.PolicyBundle.decode(bytes);
        if (Number(bundle.version) !== version)
          throw new Error(`${what}: holds a bundle signed as version ${bundle.version}`);
        if (this.#db.policies.storeAt(version, bytes, policy.createdMs)) {
          void this.#sink?.announce({
            version,
            bundle,
            ...(policy.rollbackOf !== undefined ? { rollbackOf: policy.rollbackOf } : {}),
          });
          return;
        }
        // Stored already: the same bytes (a replay at start), or a refresh of them.
        const refresh = this.#db.policies.replaceRefreshedNow(version, bytes);
        if (refresh.replaced) void this.#sink?.refresh?.({ version, bundle });
        else if (refresh.conflict) throw new Error(`${what}: not stored, ${refresh.reason}`);
        return;
      }
      case 'enrolment': {
        // Not grouped: operators' decisions and enrolments are rare, and the write path waits for
        // them (applied()) before it answers, so they are stored at once.
        const record = decodeEnrolment(entry.value, entry.key);
        this.#enrolment.putReplicated(rowOf(entry.key, record), record.tokens);
        return;
      }
      case 'rollouts': {
        const id = numberOfKey(entry.key, 'r');
        if (id === undefined) throw new Error(`${what}: key is not r.<id>`);
        const record = upgradeRecord(decodeEntry<RolloutRecord>(entry.value, what));
        if (record.id !== id) throw new Error(`${what}: holds rollout ${record.id}`);
        this.#db.rollouts.put(record);
        this.#rolloutRevisions.set(id, entry.revision);
        this.#sink?.rollout(record);
        return;
      }
    }
  }
}
