// Drains the outbox into JetStream. A row is deleted only after the stream's publish ack, so a
// cut at any moment leaves it in place to be sent again; the message id (<edge>:<first seq>)
// makes the re-send a no-op in the stream, and the coordinator's (edge, seq) key makes it a no-op
// in storage even outside the stream's duplicate window.
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { messageId } from '../../proto/nats-subjects.js';
import { PRIORITY_ALARM, type Outbox, type OutboxRow } from '../store/outbox.js';
import { wireBytes, type ByteBudget } from './byte-budget.js';

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
  /** A metered uplink's allowance (byte-budget.ts): alarms always go, the rest waits for it. */
  readonly budget?: ByteBudget | undefined;
  /** Clock for the budget; default Date.now. */
  readonly now?: () => number;
}

export class OutboxPublisher {
  readonly #o: Required<Omit<OutboxPublisherOptions, 'budget'>> & Pick<OutboxPublisherOptions, 'budget'>;
  #holding = false;
  #running: Promise<void> | undefined;
  #stopped = false;
  #wake: (() => void) | undefined;
  #idle = false;
  #unsubscribe: (() => void) | undefined;
  #js: { nc: NatsConnection; js: JetStreamClient } | undefined;

  constructor(options: OutboxPublisherOptions) {
    this.#o = { batchRows: 64, ackTimeoutMs: 5_000, idleMs: 1_000, now: Date.now, ...options };
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
      const peeked = nc ? this.#o.outbox.peek(this.#o.batchRows) : [];
      const rows = this.#withinBudget(peeked);
      if (!nc || rows.length === 0) {
        this.#idle = true;
        // Held by the budget: wait for it to refill, re-checking at least every ten idle polls (a
        // new alarm still wakes the loop at once).
        const waitMs =
          peeked.length > 0 && this.#o.budget
            ? Math.min(
                10 * this.#o.idleMs,
                Math.max(this.#o.idleMs, this.#o.budget.waitMs(this.#bytes(peeked[0]!), this.#o.now())),
              )
            : this.#o.idleMs;
        await this.#sleep(waitMs);
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

  /**
   * The rows the budget lets go now, in outbox order (alarms, events, telemetry). Alarms always go;
   * the first row the budget cannot pay for stops the round, so nothing overtakes it.
   */
  #withinBudget(rows: readonly OutboxRow[]): readonly OutboxRow[] {
    const budget = this.#o.budget;
    if (!budget) return rows;
    const now = this.#o.now();
    const out: OutboxRow[] = [];
    for (const row of rows) {
      if (row.priority === PRIORITY_ALARM) budget.force(this.#bytes(row), now);
      else if (!budget.tryTake(this.#bytes(row), now)) break;
      out.push(row);
    }
    const holding = out.length < rows.length;
    if (holding !== this.#holding)
      this.#o.log[holding ? 'warn' : 'info'](
        { pending: this.#o.outbox.stats().pending },
        holding
          ? 'outbox: bandwidth budget reached; alarms still go, events and telemetry wait'
          : 'outbox: within the bandwidth budget again',
      );
    this.#holding = holding;
    return out;
  }

  #bytes(row: OutboxRow): number {
    return wireBytes(row.subject, row.payload.length);
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
