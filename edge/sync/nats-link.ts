// The edge's connection to the NATS data plane. It dials out (so NAT and carrier-grade NAT on 5G
// links are no obstacle), never gives up, and waits for the first connection without blocking the
// node: control never waits for the network.
// Status changes are logged once per change, so an outage is one warning, not thousands.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';

export interface NatsLinkOptions {
  readonly servers: readonly string[];
  /** Shown in the server's monitoring pages. */
  readonly name: string;
  readonly log: Logger;
}

export class NatsLink {
  #nc: NatsConnection | undefined;
  #connected = false;
  #closed = false;
  readonly #log: Logger;
  readonly #connecting: Promise<void>;

  constructor(options: NatsLinkOptions) {
    this.#log = options.log;
    this.#connecting = this.#dial(options);
  }

  /** The connection once it has been made (it may be reconnecting); undefined before that. */
  get connection(): NatsConnection | undefined {
    return this.#connected ? this.#nc : undefined;
  }

  get connected(): boolean {
    return this.#connected;
  }

  async #dial(options: NatsLinkOptions): Promise<void> {
    this.#log.info({ servers: options.servers }, 'uplink: connecting to NATS');
    // The first connection is retried here rather than with the client's waitOnFirstConnect, so
    // that close() can stop a node whose uplink never came up.
    let delayMs = 500;
    let warned = false;
    while (!this.#closed) {
      try {
        const nc = await connect({
          servers: [...options.servers],
          name: options.name,
          timeout: 5_000,
          // Once connected, never give up. Jitter spreads a district's reconnects after a broker
          // restart so they do not all arrive in the same second.
          maxReconnectAttempts: -1,
          reconnectTimeWait: 1_000,
          reconnectJitter: 1_000,
          pingInterval: 10_000,
          maxPingOut: 3,
        });
        if (this.#closed) {
          await nc.close();
          return;
        }
        this.#nc = nc;
        this.#connected = true;
        this.#log.info({ server: nc.getServer() }, 'uplink: NATS connected');
        void this.#watchStatus(nc);
        return;
      } catch (err) {
        if (!warned) {
          this.#log.warn({ err }, 'uplink: NATS unreachable; still controlling, queueing in the outbox');
          warned = true;
        }
        await this.#sleep(delayMs + Math.random() * delayMs);
        delayMs = Math.min(delayMs * 2, 15_000);
      }
    }
  }

  #wake: (() => void) | undefined;

  async #sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.#wake = undefined;
  }

  async #watchStatus(nc: NatsConnection): Promise<void> {
    try {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect') {
          this.#connected = false;
          this.#log.warn('uplink: NATS disconnected; still controlling, queueing in the outbox');
        } else if (s.type === 'reconnect') {
          this.#connected = true;
          this.#log.info({ server: nc.getServer() }, 'uplink: NATS reconnected; draining the outbox');
        }
      }
    } catch (err) {
      this.#log.error({ err }, 'uplink: NATS status watch failed');
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#connected = false;
    this.#wake?.();
    const nc = this.#nc;
    this.#nc = undefined;
    if (nc && !nc.isClosed()) {
      // drain() would wait for pending publish acks that may never come while the link is down.
      await nc.close();
    }
    await this.#connecting;
  }
}
