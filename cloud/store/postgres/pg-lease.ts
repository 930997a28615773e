// A leader lease in a row (the `leases` table), so that exactly one coordinator sharing the
// database runs the rollout gates and the policy refresher. Taking or renewing is one statement
// that succeeds only if the row is ours or expired, so two coordinators can never both believe
// they renewed. As with the KV lease of SQLite replicas (cloud/replication/leader-lease.ts), the
// expiry is by the writer's clock and a holder counts itself leader only until the expiry it
// wrote; clocks kept by NTP within ms of each other, far below a lease of seconds, keep the old
// holder from acting once another can take over. The rollout records' compare-and-set still lets
// only one of two leaders change a record.
import type { Pool } from 'pg';
import type { Logger } from 'pino';

export interface PgLeaseOptions {
  readonly pool: Pool;
  /** One lease per duty ("rollouts"). */
  readonly name: string;
  readonly holder: string;
  readonly ttlMs: number;
  readonly log: Logger;
  readonly now?: () => number;
}

export class PgLease {
  readonly #o: PgLeaseOptions;
  readonly #now: () => number;
  #heldUntil = 0;
  #timer: NodeJS.Timeout | undefined;
  #renewing: Promise<boolean> | undefined;

  constructor(options: PgLeaseOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  get holder(): string {
    return this.#o.holder;
  }

  get isLeader(): boolean {
    return this.#now() < this.#heldUntil;
  }

  /** Takes or renews the lease once; resolves whether this coordinator holds it now. */
  async renew(): Promise<boolean> {
    this.#renewing ??= (async () => {
      const now = this.#now();
      const expires = now + this.#o.ttlMs;
      try {
        const { rows } = await this.#o.pool.query(
          `INSERT INTO leases (name, holder, expires_ms) VALUES ($1, $2, $3)
           ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_ms = excluded.expires_ms
           WHERE leases.holder = excluded.holder OR leases.expires_ms <= $4
           RETURNING holder`,
          [this.#o.name, this.#o.holder, expires, now],
        );
        const held = rows.length > 0;
        if (held && !this.isLeader)
          this.#o.log.info({ lease: this.#o.name }, 'lease taken: this coordinator leads');
        this.#heldUntil = held ? expires : 0;
        return held;
      } catch (err) {
        // Unknown outcome: stop acting until a renewal is known to have succeeded.
        this.#heldUntil = 0;
        this.#o.log.warn({ err, lease: this.#o.name }, 'lease renewal failed');
        return false;
      } finally {
        this.#renewing = undefined;
      }
    })();
    return this.#renewing;
  }

  /** Renews every `everyMs` (a third of the lease or less) until stop(). */
  start(everyMs: number): void {
    if (this.#timer) return;
    void this.renew();
    this.#timer = setInterval(() => void this.renew(), everyMs);
    this.#timer.unref();
  }

  /** Stops renewing and hands the lease back, so another coordinator takes it at once. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#renewing;
    if (this.#heldUntil === 0) return;
    this.#heldUntil = 0;
    await this.#o.pool
      .query('UPDATE leases SET expires_ms = 0 WHERE name = $1 AND holder = $2', [
        this.#o.name,
        this.#o.holder,
      ])
      .catch(() => undefined);
  }
}
