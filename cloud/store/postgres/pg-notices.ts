// "Something changed" between coordinators sharing one PostgreSQL (StateNotices,
// cloud/replication/store-writes.ts): NOTIFY on one channel with what changed (a version, a
// refresh, a rollout record), LISTEN on a connection of its own. A notice only says where to look:
// the receiver reads the row itself, so a lost notice (a connection dropped, a coordinator
// restarting) costs only time — the periodic check (every `checkMs`) and every reconnect read
// whatever is newer than what this coordinator has announced. This is all that still crosses
// between coordinators once they share the database (the KV mirror of SQLite replicas is not used).
import pg from 'pg';
import type { Logger } from 'pino';
import type { StateNotice, StateNotices } from '../../replication/store-writes.js';

export const CHANNEL = 'calle_state';

export interface PgNoticesOptions {
  readonly url: string;
  readonly pool: pg.Pool;
  /** This coordinator's id: its own notices come back to it and are skipped. */
  readonly self: string;
  readonly log: Logger;
  /** Called for each notice from another coordinator, and with none for a periodic check. */
  readonly onNotice: (notice?: StateNotice) => Promise<void>;
  readonly checkMs?: number;
  readonly retryMs?: number;
}

export class PgNotices implements StateNotices {
  readonly #o: PgNoticesOptions;
  #client: pg.Client | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Work on notices, one at a time (a check and a notice never run together). */
  #queue: Promise<void> = Promise.resolve();

  constructor(options: PgNoticesOptions) {
    this.#o = options;
  }

  async send(notice: StateNotice): Promise<void> {
    await this.#o.pool.query('SELECT pg_notify($1, $2)', [
      CHANNEL,
      JSON.stringify({ from: this.#o.self, ...notice }),
    ]);
  }

  /** Starts listening; resolves once the LISTEN is in place (or keeps retrying in the background). */
  async start(): Promise<void> {
    await this.#listen();
    this.#timer = setInterval(() => this.#enqueue(undefined), this.#o.checkMs ?? 2_000);
    this.#timer.unref();
  }

  async #listen(): Promise<void> {
    if (this.#closed) return;
    const client = new pg.Client({ connectionString: this.#o.url });
    client.on('notification', (m) => {
      try {
        const { from, ...notice } = JSON.parse(m.payload ?? '{}') as StateNotice & { from: string };
        if (from !== this.#o.self) this.#enqueue(notice);
      } catch (err) {
        this.#o.log.warn({ err }, 'shared state: unreadable notice');
      }
    });
    client.on('error', (err) => {
      this.#o.log.warn({ err }, 'shared state: notice connection lost; listening again');
      void client.end().catch(() => undefined);
      if (this.#client === client) this.#client = undefined;
      setTimeout(() => void this.#listen(), this.#o.retryMs ?? 1_000).unref();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      this.#client = client;
      // Whatever was notified while not listening.
      this.#enqueue(undefined);
    } catch (err) {
      await client.end().catch(() => undefined);
      this.#o.log.warn({ err }, 'shared state: cannot listen for notices; retrying');
      setTimeout(() => void this.#listen(), this.#o.retryMs ?? 1_000).unref();
    }
  }

  #enqueue(notice: StateNotice | undefined): void {
    if (this.#closed) return;
    this.#queue = this.#queue
      .then(async () => this.#o.onNotice(notice))
      .catch((err: unknown) =>
        this.#o.log.warn({ err, notice }, 'shared state: catching up failed; the next check retries'),
      );
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#queue;
    await this.#client?.end().catch(() => undefined);
  }
}
