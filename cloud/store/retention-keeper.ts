// Enforces the retention policy (retention.ts): one pass at start and then every hour, dropping
// the day and month tables (or partitions) every class has outgrown and deleting old events. An
// hour is fine-grained enough for windows counted in days, and a pass costs a few DROP TABLEs.
// Coordinators sharing one PostgreSQL may all run it: dropping a table that is already gone is a
// no-op there, and each pass reads the tables as they are.
import type { Logger } from 'pino';
import type { RetentionPolicy } from './retention.js';
import type { PruneReport, SeriesStore } from './series-types.js';

export const RETENTION_EVERY_MS = 3_600_000;

export interface RetentionKeeperOptions {
  readonly series: SeriesStore;
  readonly policy: RetentionPolicy;
  readonly log: Logger;
  readonly now?: () => number;
  readonly everyMs?: number;
}

export class RetentionKeeper {
  readonly #o: RetentionKeeperOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<PruneReport> | undefined;

  constructor(options: RetentionKeeperOptions) {
    this.#o = options;
  }

  /** One pass now (a call during a pass waits for that one). */
  async pass(): Promise<PruneReport> {
    this.#running ??= (async () => {
      try {
        const report = await this.#o.series.prune((this.#o.now ?? Date.now)(), this.#o.policy);
        if (report.dropped.length > 0 || report.eventsDeleted > 0)
          this.#o.log.info(report, 'retention: dropped what the policy no longer keeps');
        return report;
      } finally {
        this.#running = undefined;
      }
    })();
    return this.#running;
  }

  start(): void {
    if (this.#timer) return;
    const pass = (): void => {
      this.pass().catch((err: unknown) =>
        this.#o.log.error({ err }, 'retention pass failed; trying again at the next'),
      );
    };
    pass();
    this.#timer = setInterval(pass, this.#o.everyMs ?? RETENTION_EVERY_MS);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }
}
