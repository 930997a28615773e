// Group commit: many small writes that arrive together share one transaction, so one fsync
// (synchronous=FULL, REFERENCE §6) pays for all of them instead of one each. On this store a
// commit costs ~1.5 ms, which capped Register/Heartbeat/Ack at a few hundred a second (issue #5);
// a transaction of 256 rows costs about as much as one of a single row.
//
// Guarantees kept: a write's promise settles only after the transaction holding it has committed
// (or failed), so an RPC is still answered only once its row is on disk; writes run in the order
// they were submitted; and each write runs in its own savepoint, so one that throws is rolled back
// and fails only its own promise while the rest of the group commits.

/** What the committer needs from a database: transactions that nest as savepoints (better-sqlite3). */
export interface Transactional {
  transaction<T>(fn: () => T): T;
  /** False once SQLite has rolled the outer transaction back by itself (SQLITE_FULL, I/O error). */
  readonly inTransaction: boolean;
}

export interface GroupCommitterOptions {
  /**
   * How long the first write of a group waits for company. 0 (the default) flushes on the next
   * setImmediate: every request that arrived in the same event-loop turn joins, and no request
   * waits on a timer. While one group commits, the next requests queue and form the next group,
   * so groups grow with load by themselves.
   */
  readonly windowMs?: number;
  /** A group this large is committed at once rather than at the end of the window. */
  readonly maxGroup?: number;
}

interface Pending {
  readonly write: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export class GroupCommitter {
  readonly #db: Transactional;
  readonly #windowMs: number;
  readonly #maxGroup: number;
  #queue: Pending[] = [];
  #timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  /** Groups committed so far, and writes in them: for tests and benchmarks. */
  groups = 0;
  writes = 0;

  constructor(db: Transactional, { windowMs = 0, maxGroup = 1024 }: GroupCommitterOptions = {}) {
    this.#db = db;
    this.#windowMs = windowMs;
    this.#maxGroup = maxGroup;
  }

  /**
   * Queues `write` (synchronous database work) for the next group. Resolves with its return value
   * once the group has committed; rejects with what it threw, or with the commit's error.
   */
  async submit<T>(write: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ write, resolve: resolve as (value: unknown) => void, reject });
      if (this.#queue.length >= this.#maxGroup) this.flush();
      else this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#timer) return;
    this.#timer =
      this.#windowMs > 0 ? setTimeout(() => this.flush(), this.#windowMs) : setImmediate(() => this.flush());
  }

  /** Commits everything queued now. Called by the timer, by a full group, and before close. */
  flush(): void {
    if (this.#timer) {
      clearTimeout(this.#timer as NodeJS.Timeout);
      clearImmediate(this.#timer as NodeJS.Immediate);
      this.#timer = undefined;
    }
    const group = this.#queue;
    if (group.length === 0) return;
    this.#queue = [];
    let outcomes: Outcome[];
    try {
      outcomes = this.#db.transaction(() =>
        group.map((p): Outcome => {
          try {
            // A nested transaction is a savepoint: a throw rolls back this write only.
            return { ok: true, value: this.#db.transaction(p.write) };
          } catch (error) {
            // The whole transaction is gone: later writes would run in autocommit, outside the
            // group, and be answered as if grouped. Fail the group instead.
            if (!this.#db.inTransaction) throw error;
            return { ok: false, error };
          }
        }),
      );
    } catch (error) {
      // The commit itself failed (disk full, I/O error): nothing of the group is stored.
      for (const p of group) p.reject(error);
      return;
    }
    this.groups++;
    this.writes += group.length;
    for (const [i, p] of group.entries()) {
      const o = outcomes[i]!;
      if (o.ok) p.resolve(o.value);
      else p.reject(o.error);
    }
  }
}
