// Drains the outbox into JetStream. A row is deleted only after the stream's publish ack, so a
// cut at any moment leaves it in place to be sent again; the message id (<edge>:<first seq>)
// makes the re-send a no-op in the stream, and the coordinator's (edge, seq) key makes it a no-op
// in storage even outside the stream's duplicate window.
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { messageId } from '../../proto/nats-subjects.js';
import type { Outbox } from '../store/outbox.js';

export interface OutboxPublisherOptions {
  readonly outbox: Outbox;
  /** Gives the live connection, or undefined while the uplink is down. */
  readonly connection: () => NatsConnection | undefined;
  readonly edgeId: string;
  readonly log: Logger;
  /** Rows published concurrently per round; default 64. */
  readonly batchRows?: number;
  /** How long to wait for one publish ack; default 5 s. */
  readonly ackTimeoutMs?: number;
  /** Idle poll when the outbox is empty or the link is down; default 1 s. */
  readonly idleMs?: number;
}

export class OutboxPublisher {
  readonly #o: Required<OutboxPublisherOptions>;
  #running: Promise<void> | undefined;
  #stopped = false;
  #wake: (() => void) | undefined;
  #idle = false;
  #unsubscribe: (() => void) | undefined;
  #js: { nc: NatsConnection; js: JetStreamClient } | undefined;

  constructor(options: OutboxPublisherOptions) {
    this.#o = { batchRows: 64, ackTimeoutMs: 5_000, idleMs: 1_000, ...options };
  }

  start(): void {
    if (this.#running) return;
    // New rows end an idle wait at once, but never cut short a back-off after a failure.
    this.#unsubscribe = this.#o.outbox.onAppend(() => {
      if (this.#idle) this.#wake?.();
    });
    this.#running = this.#loop();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    this.#wake?.();
    await this.#running;
  }

  async #loop(): Promise<void> {
    let backoffMs = 0;
    let failing = false;
    while (!this.#stopped) {
      const nc = this.#o.connection();
      const rows = nc ? this.#o.outbox.peek(this.#o.batchRows) : [];
      if (!nc || rows.length === 0) {
        this.#idle = true;
        await this.#sleep(this.#o.idleMs);
        this.#idle = false;
        continue;
      }
      const js = this.#client(nc);
      const results = await Promise.allSettled(
        rows.map(async (row) =>
          js.publish(row.subject, row.payload, {
            msgID: messageId(this.#o.edgeId, row.firstSeq),
            timeout: this.#o.ackTimeoutMs,
          }),
        ),
      );
      let failed = 0;
      let firstError: unknown;
      results.forEach((result, i) => {
        if (result.status === 'fulfilled') this.#o.outbox.acknowledge(rows[i]!.id);
        else {
          failed++;
          firstError ??= result.reason;
        }
      });
      if (failed > 0) {
        if (!failing) this.#o.log.warn({ err: firstError, failed }, 'outbox: publish failed; will retry');
        failing = true;
        backoffMs = Math.min(Math.max(backoffMs * 2, 250), 10_000);
        // Full jitter: a district's edges coming back together do not retry in lockstep.
        await this.#sleep(Math.random() * backoffMs);
      } else {
        if (failing)
          this.#o.log.info({ pending: this.#o.outbox.stats().pending }, 'outbox: publishing again');
        failing = false;
        backoffMs = 0;
      }
    }
  }

  #client(nc: NatsConnection): JetStreamClient {
    if (this.#js?.nc !== nc) this.#js = { nc, js: jetstream(nc) };
    return this.#js.js;
  }

  async #sleep(ms: number): Promise<void> {
    if (this.#stopped) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.#wake = undefined;
  }
}
