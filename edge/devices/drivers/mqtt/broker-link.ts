// One connection to one MQTT broker, shared by every device whose uplinks come through it.
// mqtt.js reconnects at a fixed period; a cabinet full of nodes restarted by one power cut would
// then hammer the broker in step, so reconnection is done here instead: exponential backoff with
// jitter, reset only once the broker has accepted the subscriptions.
import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';

// mqtt.js and what it pulls in cost ~28 MB of RSS at import (measured: a bare node 39 MB, after
// `import('mqtt')` 67 MB), a quarter of a cabinet's budget; a node whose site has no MQTT
// equipment never opens a BrokerLink, so it never loads them.
let mqttModule: Promise<typeof import('mqtt')> | undefined;
const loadMqtt = async (): Promise<typeof import('mqtt')> => (mqttModule ??= import('mqtt'));

export interface BrokerLinkOptions {
  readonly url: string;
  readonly log: Logger;
  /** First and largest reconnect delay; default 500 ms and 30 s. */
  readonly backoffMs?: { readonly initial: number; readonly max: number };
  readonly onMessage: (topic: string, payload: Buffer) => void;
  /** (true) when connected and subscribed; (false, reason) when the broker is lost or refuses. */
  readonly onState: (up: boolean, error?: string) => void;
}

export class BrokerLink {
  readonly #opts: BrokerLinkOptions;
  readonly #topics = new Set<string>();
  readonly #backoff: { initial: number; max: number };
  #client: MqttClient | undefined;
  #retry: NodeJS.Timeout | undefined;
  #attempt = 0;
  #closed = true;
  #up = false;
  #lastError = 'not connected yet';

  constructor(opts: BrokerLinkOptions) {
    this.#opts = opts;
    this.#backoff = opts.backoffMs ?? { initial: 500, max: 30_000 };
  }

  get up(): boolean {
    return this.#up;
  }

  get lastError(): string {
    return this.#lastError;
  }

  /** Adds a topic; subscribed now if connected, and on every reconnect. */
  subscribe(topic: string): void {
    if (this.#topics.has(topic)) return;
    this.#topics.add(topic);
    if (this.#up)
      this.#client?.subscribe(
        topic,
        { qos: 1 },
        (err) => err && this.#opts.log.error({ err, topic }, 'subscribe failed'),
      );
  }

  open(): void {
    if (!this.#closed) return;
    this.#closed = false;
    this.#connect();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = undefined;
    const client = this.#client;
    this.#client = undefined;
    this.#up = false;
    if (client) await client.endAsync(true);
  }

  #connect(): void {
    this.#retry = undefined;
    if (this.#closed) return;
    loadMqtt().then(
      (m) => this.#dial(m.default),
      (err: unknown) => {
        this.#lastError = `mqtt client not available: ${err instanceof Error ? err.message : String(err)}`;
        this.#opts.log.error({ err }, 'cannot load the mqtt client');
        this.#opts.onState(false, this.#lastError);
      },
    );
  }

  #dial(mqtt: (typeof import('mqtt'))['default']): void {
    // close() may have come while the client module was loading.
    if (this.#closed) return;
    // Clean session and QoS 1: uplinks are state, not commands; a reading missed while the link
    // was down is superseded by the next one, and the availability check covers the gap.
    const client = mqtt.connect(this.#opts.url, {
      reconnectPeriod: 0,
      connectTimeout: 5000,
      clean: true,
      resubscribe: false,
      clientId: `calle-${Math.random().toString(16).slice(2, 10)}`,
    });
    this.#client = client;
    let reason: string | undefined;
    let done = false;
    client.on('connect', () => {
      const topics = [...this.#topics];
      const ready = (): void => {
        this.#up = true;
        this.#attempt = 0;
        this.#opts.log.info({ topics: topics.length }, 'mqtt broker connected');
        this.#opts.onState(true);
      };
      if (topics.length === 0) return ready();
      client.subscribe(topics, { qos: 1 }, (err) => {
        if (err) {
          reason = `subscribe refused: ${err.message}`;
          client.end(true);
        } else ready();
      });
    });
    client.on('message', (topic, payload) => this.#opts.onMessage(topic, payload));
    client.on('error', (err: Error & { code?: string | number }) => {
      reason = typeof err.code === 'string' ? err.code : err.message;
    });
    client.on('close', () => {
      if (done) return;
      done = true;
      // end(true) releases the socket and mqtt.js's own timers; this client is never reused.
      client.end(true);
      if (this.#client !== client || this.#closed) return;
      const wasUp = this.#up;
      this.#up = false;
      this.#lastError = `broker ${this.#opts.url} ${wasUp ? 'connection lost' : 'unreachable'}: ${reason ?? 'closed'}`;
      if (wasUp || this.#attempt === 0) this.#opts.log.warn({ reason: this.#lastError }, 'mqtt broker down');
      this.#opts.onState(false, this.#lastError);
      const ceiling = Math.min(this.#backoff.max, this.#backoff.initial * 2 ** Math.min(this.#attempt++, 30));
      this.#retry = setTimeout(() => this.#connect(), ceiling / 2 + (Math.random() * ceiling) / 2);
    });
  }
}
