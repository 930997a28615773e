// The edge's connection to the NATS data plane. It dials out (so NAT and carrier-grade NAT on 5G
// links are no obstacle), never gives up, and waits for the first connection without blocking the
// node: control never waits for the network.
// Status changes are logged once per change, so an outage is one warning, not thousands.
// Replies come to the edge's own inbox prefix (_INBOX.edge.<id>): the hub lets an edge subscribe
// there and nowhere else under _INBOX (proto/nats-subjects.ts says why).
import { connect, nkeyAuthenticator, type Authenticator, type NatsConnection } from '@nats-io/transport-node';
import { readFileSync, statSync } from 'node:fs';
import type { Logger } from 'pino';
import { EDGE_ID_PATTERN, edgeInboxPrefix } from '../../proto/nats-subjects.js';

export interface NatsLinkOptions {
  readonly servers: readonly string[];
  /** The edge's id: its connection name in the server's monitoring pages and its inbox prefix. */
  readonly edgeId: string;
  readonly log: Logger;
  /**
   * The edge's NATS nkey seed file ("SU…", from `calle fleet token`): the hub knows the edge by
   * its public key and lets it publish only its own subjects (deploy/nats/accounts-file.ts).
   */
  readonly nkeySeedFile?: string;
}

/**
 * Reads an nkey user seed, refusing a file that group or others can read (whoever reads it can
 * publish as this cabinet) and anything that is not a user seed. Throws naming the file.
 */
export function readNkeySeed(file: string): Uint8Array {
  let text: string;
  let mode: number;
  try {
    mode = statSync(file).mode;
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new Error(`nats.nkeySeedFile ${file}: cannot read: ${(err as Error).message}`, { cause: err });
  }
  if ((mode & 0o077) !== 0)
    throw new Error(
      `nats.nkeySeedFile ${file}: permissions ${(mode & 0o777).toString(8)} let others read the seed; run chmod 600 ${file}`,
    );
  if (!/^SU[A-Z2-7]{56}$/.test(text))
    throw new Error(`nats.nkeySeedFile ${file}: not an nkey user seed (SU…)`);
  return new TextEncoder().encode(text);
}

export class NatsLink {
  #nc: NatsConnection | undefined;
  #connected = false;
  #closed = false;
  readonly #log: Logger;
  readonly #connecting: Promise<void>;

  readonly #authenticator: Authenticator | undefined;

  constructor(options: NatsLinkOptions) {
    if (!EDGE_ID_PATTERN.test(options.edgeId))
      throw new Error(
        `nats: edge id ${JSON.stringify(options.edgeId)} cannot name an inbox (${String(EDGE_ID_PATTERN)})`,
      );
    this.#log = options.log;
    // Read now, so a missing or unprotected seed stops the node at start instead of looping on
    // authorization errors in the background.
    this.#authenticator = options.nkeySeedFile
      ? nkeyAuthenticator(readNkeySeed(options.nkeySeedFile))
      : undefined;
    this.#connecting = this.#dial(options);
  }

  /** The connection once it has been made (it may be reconnecting); undefined before that. */
  get connection(): NatsConnection | undefined {
    return this.#connected ? this.#nc : undefined;
  }

  get connected(): boolean {
    return this.#connected;
  }

  /**
   * Resolves with the connection once the first one is made (subscriptions made on it survive
   * reconnects: the client re-subscribes), or with undefined if the link is closed first.
   */
  async firstConnection(): Promise<NatsConnection | undefined> {
    await this.#connecting;
    return this.#nc;
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
          name: options.edgeId,
          inboxPrefix: edgeInboxPrefix(options.edgeId),
          timeout: 5_000,
          // Once connected, never give up. Jitter spreads a district's reconnects after a broker
          // restart so they do not all arrive in the same second.
          maxReconnectAttempts: -1,
          reconnectTimeWait: 1_000,
          reconnectJitter: 1_000,
          pingInterval: 10_000,
          maxPingOut: 3,
          ...(this.#authenticator ? { authenticator: this.#authenticator } : {}),
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
