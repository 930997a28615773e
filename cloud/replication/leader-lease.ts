// A leader lease in a KV key, so that exactly one coordinator replica evaluates rollout gates.
// nats-server 2.9 has no per-key TTL, so the value carries its own expiry: { holder, expiresAtMs }.
// Every change is a compare-and-set on the key's revision (kv.create for the first holder, then
// kv.update with the revision read): of two replicas racing for the same revision exactly one
// wins, so two can never both believe they renewed or took the same lease.
//
// A replica takes the lease only when it is free (absent, released, or past expiresAtMs by its
// own clock), and counts itself leader only until the expiresAtMs it wrote itself, by its own
// clock, and only after a renewal that succeeded. With clocks in step (NTP keeps them within a few
// ms, far below a lease of seconds) the old holder stops acting before anyone else can start.
// Skew larger than the lease would allow two leaders; the rollout records' own compare-and-set
// (replicated-writes.ts) still lets only one of them change a given rollout revision.
import type { KV } from '@nats-io/kv';
import type { Logger } from 'pino';
import { decodeEntry, encodeEntry } from './state-entries.js';

export interface LeaseValue {
  /** Replica id of the holder; empty when released. */
  readonly holder: string;
  readonly expiresAtMs: number;
}

export interface LeaderLeaseOptions {
  readonly kv: KV;
  /** The key: one lease per duty ("rollouts"). */
  readonly name: string;
  /** This replica's id (`--replica-id`); must differ between replicas. */
  readonly holder: string;
  /** How long a renewal holds; default 3 s. Renew at a third of it (see start()). */
  readonly ttlMs?: number;
  readonly log: Logger;
  readonly now?: () => number;
}

export class LeaderLease {
  readonly #kv: KV;
  readonly #name: string;
  readonly #holder: string;
  readonly #ttlMs: number;
  readonly #log: Logger;
  readonly #now: () => number;
  /** expiresAtMs of our last successful renewal; 0 when we do not hold the lease. */
  #heldUntil = 0;
  #timer: NodeJS.Timeout | undefined;
  #renewing: Promise<boolean> | undefined;

  constructor(options: LeaderLeaseOptions) {
    if (!options.holder) throw new Error('replication.replicaId: must not be empty');
    this.#kv = options.kv;
    this.#name = options.name;
    this.#holder = options.holder;
    this.#ttlMs = options.ttlMs ?? 3_000;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
  }

  get holder(): string {
    return this.#holder;
  }

  /** True while our last renewal holds, by our own clock. */
  get isLeader(): boolean {
    return this.#now() < this.#heldUntil;
  }

  /**
   * One attempt to take or keep the lease. Resolves with whether we hold it now. Never throws: a
   * NATS error counts as not renewed (and we stop leading when the last renewal runs out).
   */
  async renew(): Promise<boolean> {
    this.#renewing ??= this.#attempt().finally(() => {
      this.#renewing = undefined;
    });
    return this.#renewing;
  }

  async #attempt(): Promise<boolean> {
    const now = this.#now();
    const mine: LeaseValue = { holder: this.#holder, expiresAtMs: now + this.#ttlMs };
    const was = this.isLeader;
    try {
      const entry = await this.#kv.get(this.#name);
      if (!entry || entry.operation !== 'PUT') {
        // kv.create also succeeds over a deleted key, still only for one of two racers.
        await this.#kv.create(this.#name, encodeEntry(mine));
      } else {
        const current = decodeEntry<LeaseValue>(entry.value, `${this.#name} lease`);
        const free = current.holder === '' || current.expiresAtMs <= now;
        if (current.holder !== this.#holder && !free) {
          this.#lost(was, current.holder);
          return false;
        }
        await this.#kv.update(this.#name, encodeEntry(mine), entry.revision);
      }
    } catch (err) {
      // A lost compare-and-set (another replica renewed or took it first) or NATS unreachable.
      this.#log.debug({ err }, 'lease not renewed');
      this.#lost(was, undefined);
      return false;
    }
    this.#heldUntil = mine.expiresAtMs;
    if (!was) this.#log.info({ lease: this.#name, holder: this.#holder }, 'lease taken: this replica leads');
    return true;
  }

  #lost(was: boolean, to: string | undefined): void {
    // Keep leading until our last renewal runs out only if nobody else holds it; a holder we can
    // see means our renewal lapsed already, so stop at once.
    if (to !== undefined) this.#heldUntil = 0;
    if (was && !this.isLeader) this.#log.warn({ lease: this.#name, to }, 'lease lost');
  }

  /** Renews every `everyMs` (default a third of the TTL) until stop(). */
  start(everyMs = Math.floor(this.#ttlMs / 3)): void {
    if (this.#timer) return;
    void this.renew();
    this.#timer = setInterval(() => void this.renew(), everyMs);
    this.#timer.unref();
  }

  /**
   * Stops renewing and, if we hold the lease, hands it back (holder '' ) so another replica takes
   * over at its next renewal instead of after the TTL. A crash skips this; the TTL covers it.
   */
  async stop({ release = true }: { release?: boolean } = {}): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#renewing;
    if (!release || !this.isLeader) {
      this.#heldUntil = 0;
      return;
    }
    this.#heldUntil = 0;
    try {
      const entry = await this.#kv.get(this.#name);
      const current = entry?.operation === 'PUT' ? decodeEntry<LeaseValue>(entry.value, 'lease') : undefined;
      if (entry && current?.holder === this.#holder)
        await this.#kv.update(this.#name, encodeEntry({ holder: '', expiresAtMs: 0 }), entry.revision);
    } catch (err) {
      this.#log.warn({ err }, 'lease not released; another replica takes over when it expires');
    }
  }
}
