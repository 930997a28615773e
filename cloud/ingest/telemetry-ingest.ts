// JetStream ingest: keeps a NATS connection, makes sure the telemetry and event streams exist, and
// pulls from a durable consumer on each, storing the messages that arrived together in one
// transaction (ingest-message.ts) and acking each only after that commit. It never gives up: NATS may be down when the coordinator starts, may
// restart under it, may lose its JetStream for a while; the coordinator's gRPC and HTTP sides keep
// serving meanwhile, and ingest catches up from the durable consumer when NATS is back.
import {
  jetstreamManager,
  type ConsumerMessages,
  type JetStreamClient,
  type JsMsg,
} from '@nats-io/jetstream';
import { connect, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { coordinatorConnectionOptions } from '../nats/coordinator-nats.js';
import type { CoordinatorNatsAuth } from '../nats/nats-credentials.js';
import type { TelemetryStore } from '../store/coordinator-store.js';
import { ingestBatch, type IngestKind, type IngestOutcome } from './ingest-message.js';
import { BacklogWatch } from './backlog-watch.js';
import { ensureIngestStream, EVENTS_SPEC, TELEMETRY_SPEC, type IngestStreamSpec } from './jetstream-setup.js';
import {
  DEFAULT_OUTAGE_BUDGET,
  streamLimits,
  type OutageBudget,
  type StreamLimits,
} from './stream-sizing.js';

export interface TelemetryIngestOptions {
  readonly servers: readonly string[];
  /** The coordinator's NATS credentials (cloud/nats); absent on a server without users. */
  readonly auth?: CoordinatorNatsAuth | undefined;
  readonly store: TelemetryStore;
  readonly log: Logger;
  /** Pause between attempts while NATS or JetStream is unavailable. */
  readonly retryMs?: number;
  /**
   * A SQLite replica's id (cloud/replication, KV mode): each replica then reads through durable
   * consumers of its own (`<durable>-<replicaId>`), so every replica's SQLite holds all telemetry
   * and every alarm its rollout gate may need. Coordinators sharing PostgreSQL leave it out: they
   * share the consumers, so the stream is divided between them and each message stored once.
   */
  readonly replicaId?: string;
  /** Sizes the streams in bytes (stream-sizing.ts); default DEFAULT_OUTAGE_BUDGET. */
  readonly outageBudget?: OutageBudget;
  /** How often the backlog is compared with the budget (backlog-watch.ts); default 30 s. */
  readonly backlogCheckMs?: number;
}

/**
 * Messages requested per pull, and the most stored in one transaction. Bounds memory (~200 bytes
 * a message); large enough that the fsync and the per-edge bookkeeping of a commit are shared by
 * many messages: issue #5 measured ~1,000 msg/s at one commit per message, and the store alone
 * (cloud/bench/store-bench.ts) goes from ~30,000 msg/s at 256 per commit to ~55,000 at 1,024.
 * Must stay below the consumer's max_ack_pending (jetstream-setup.ts) or pulls stall.
 */
const PULL_BATCH = 1_024;
/** How long a storage failure waits before JetStream redelivers the message. */
const NAK_DELAY_MS = 5_000;
/** Consumer notifications worth a warning; the rest (pulls, heartbeats) are routine. */
const WORRYING_CONSUMER_STATUS: ReadonlySet<string> = new Set([
  'heartbeats_missed',
  'consumer_not_found',
  'stream_not_found',
  'consumer_deleted',
  'exceeded_limits',
  'no_responders',
]);
/** Upper bound for draining the connection at shutdown (a drain waits for a reachable server). */
const DRAIN_TIMEOUT_MS = 5_000;

export class TelemetryIngest {
  readonly #store: TelemetryStore;
  readonly #log: Logger;
  readonly #servers: readonly string[];
  readonly #connection: ConnectionOptions;
  readonly #retryMs: number;
  readonly #specs: { readonly telemetry: IngestStreamSpec; readonly events: IngestStreamSpec };
  readonly #limits: { readonly telemetry: StreamLimits; readonly events: StreamLimits };
  readonly #backlog: BacklogWatch;
  readonly #backlogCheckMs: number;
  readonly #abort = new AbortController();
  readonly #active = new Set<ConsumerMessages>();
  #nc: NatsConnection | undefined;
  #running: Promise<void> = Promise.resolve();
  #closing: Promise<void> | undefined;
  #markReady!: () => void;
  /** Resolves once the streams and consumers exist and consuming has begun (or on close()). */
  readonly ready = new Promise<void>((resolve) => {
    this.#markReady = resolve;
  });

  /** The NATS connection once made (it may be reconnecting): commands to edges share it. */
  get connection(): NatsConnection | undefined {
    return this.#nc;
  }

  private constructor(options: TelemetryIngestOptions) {
    this.#store = options.store;
    this.#log = options.log;
    this.#servers = [...options.servers];
    // Built (and its URLs checked) now, so a bad --nats stops the start instead of a retry loop.
    this.#connection = coordinatorConnectionOptions(options, 'calle-coordinator');
    this.#retryMs = options.retryMs ?? 1_000;
    const own = (spec: IngestStreamSpec): IngestStreamSpec =>
      options.replicaId ? { ...spec, durable: `${spec.durable}-${options.replicaId}` } : spec;
    this.#specs = { telemetry: own(TELEMETRY_SPEC), events: own(EVENTS_SPEC) };
    this.#limits = streamLimits(options.outageBudget ?? DEFAULT_OUTAGE_BUDGET);
    this.#backlog = new BacklogWatch({
      specs: [this.#specs.telemetry, this.#specs.events],
      limits: new Map([
        [this.#specs.telemetry.stream, this.#limits.telemetry],
        [this.#specs.events.stream, this.#limits.events],
      ]),
      log: this.#log,
    });
    this.#backlogCheckMs = options.backlogCheckMs ?? 30_000;
  }

  /** The backlog of each stream against its budget, as last checked. */
  get backlog(): BacklogWatch {
    return this.#backlog;
  }

  /** Starts ingesting in the background. Returns at once, whether or not NATS is reachable. */
  static start(options: TelemetryIngestOptions): TelemetryIngest {
    const ingest = new TelemetryIngest(options);
    ingest.#running = ingest.#run().catch((err: unknown) => {
      // #run handles its own failures; reaching here is a bug, which must still not crash the
      // process that serves gRPC and HTTP.
      ingest.#log.error({ err }, 'ingest stopped unexpectedly');
    });
    return ingest;
  }

  get #closed(): boolean {
    return this.#abort.signal.aborted;
  }

  async #run(): Promise<void> {
    const nc = await this.#connect();
    if (!nc) return;
    if (this.#closed) {
      // close() ran while the connection was being handed over; it could not see nc to close it.
      await nc.close();
      return;
    }
    this.#nc = nc;
    void this.#logConnectionStatus(nc);

    let js: JetStreamClient | undefined;
    for (let attempt = 0; !this.#closed && !js; attempt++) {
      try {
        const jsm = await jetstreamManager(nc);
        await ensureIngestStream(jsm, this.#specs.telemetry, this.#limits.telemetry, this.#log);
        await ensureIngestStream(jsm, this.#specs.events, this.#limits.events, this.#log);
        js = jsm.jetstream();
        void this.#watchBacklog(jsm);
      } catch (err) {
        // JetStream can be briefly unavailable right after a server start, or disabled by mistake.
        this.#log[attempt === 0 ? 'warn' : 'debug']({ err, attempt }, 'JetStream setup failed; retrying');
        await this.#sleep(this.#retryMs);
      }
    }
    if (!js) return;
    this.#markReady();
    await Promise.all([
      this.#consume(js, this.#specs.telemetry, 'telemetry'),
      this.#consume(js, this.#specs.events, 'events'),
    ]);
  }

  /**
   * Connects, retrying until it succeeds or close() is called. Our own loop rather than the
   * client's waitOnFirstConnect: that option keeps dialling inside connect() with no handle to
   * cancel it, so a coordinator shut down while NATS is unreachable would leave a dial loop (and
   * its timers) behind. Once connected, the client's own reconnect logic takes over, unbounded.
   */
  async #connect(): Promise<NatsConnection | undefined> {
    for (let attempt = 0; !this.#closed; attempt++) {
      try {
        const nc = await connect({
          ...this.#connection,
          // Never give up reconnecting: ingest is useless without NATS and must come back with it.
          maxReconnectAttempts: -1,
          reconnectTimeWait: this.#retryMs,
          waitOnFirstConnect: false,
          // A dead TCP path (rather than a refused port) must not stall shutdown for the 20 s default.
          timeout: 5_000,
        });
        this.#log.info({ server: nc.getServer() }, 'connected to NATS');
        return nc;
      } catch (err) {
        this.#log[attempt === 0 ? 'warn' : 'debug'](
          { err, servers: this.#servers },
          'NATS unreachable; retrying',
        );
        await this.#sleep(this.#retryMs);
      }
    }
    return undefined;
  }

  async #logConnectionStatus(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') this.#log.warn({ server: s.server }, 'NATS disconnected; reconnecting');
      else if (s.type === 'reconnect') this.#log.info({ server: s.server }, 'NATS reconnected');
      else if (s.type === 'error') this.#log.warn({ err: s.error }, 'NATS error');
    }
  }

  /**
   * Pulls from one durable consumer until close(). The client library already re-issues pulls
   * after a reconnect; this loop is the outer guard for when it gives up (consumer deleted, a
   * terminal error) so that ingest restarts instead of silently stopping.
   */
  async #consume(js: JetStreamClient, spec: IngestStreamSpec, kind: IngestKind): Promise<void> {
    const log = this.#log.child({ stream: spec.stream });
    while (!this.#closed) {
      let messages: ConsumerMessages | undefined;
      try {
        const consumer = await js.consumers.get(spec.stream, spec.durable);
        messages = await consumer.consume({ max_messages: PULL_BATCH });
        this.#active.add(messages);
        if (this.#closed) messages.stop();
        void this.#logConsumerStatus(messages, log);
        log.info({ durable: spec.durable }, 'consuming');
        await this.#drainInBatches(messages, kind, log);
        if (!this.#closed) log.warn('consumer ended; restarting');
      } catch (err) {
        if (!this.#closed) log.warn({ err }, 'consumer failed; restarting');
      } finally {
        if (messages) this.#active.delete(messages);
      }
      await this.#sleep(this.#retryMs);
    }
  }

  async #logConsumerStatus(messages: ConsumerMessages, log: Logger): Promise<void> {
    for await (const s of messages.status()) {
      if (WORRYING_CONSUMER_STATUS.has(s.type)) log.warn({ status: s }, 'consumer status');
    }
  }

  /**
   * Collects what the iterator yields into batches: a batch is stored when it reaches PULL_BATCH
   * or on the next setImmediate, i.e. once every message already received (the iterator hands them
   * out in microtasks) has joined it. No timer wait: at low rates a message is stored at once. One
   * batch is stored at a time, in arrival order (the per-edge counters are decided in that order);
   * what arrives meanwhile forms the next batch, so at high rates batches fill by themselves while
   * the previous one commits.
   */
  async #drainInBatches(messages: ConsumerMessages, kind: IngestKind, log: Logger): Promise<void> {
    let batch: JsMsg[] = [];
    let scheduled: NodeJS.Immediate | undefined;
    let storing: Promise<void> | undefined;
    const flush = (): void => {
      if (scheduled) clearImmediate(scheduled);
      scheduled = undefined;
      if (storing || batch.length === 0) return;
      const taken = batch.length > PULL_BATCH ? batch.splice(0, PULL_BATCH) : batch;
      if (taken === batch) batch = [];
      storing = this.#handleBatch(kind, taken, log).finally(() => {
        storing = undefined;
        if (!this.#closed) flush();
      });
    };
    try {
      for await (const m of messages) {
        batch.push(m);
        if (batch.length >= PULL_BATCH) flush();
        else scheduled ??= setImmediate(flush);
      }
    } finally {
      // On close, leave the unstored rest unacked (JetStream redelivers it to the next run) rather
      // than store rows whose acks can no longer reach a draining connection.
      if (this.#closed) {
        if (scheduled) clearImmediate(scheduled);
      } else flush();
      // A batch being stored is answered before this consumer is given up.
      while (storing) await storing;
    }
  }

  /**
   * Stores a batch in one transaction and answers JetStream for each message. Never rejects: one
   * bad message must not stop ingest, nor hold back the rest of its batch.
   */
  async #handleBatch(kind: IngestKind, batch: readonly JsMsg[], log: Logger): Promise<void> {
    let outcomes: IngestOutcome[];
    try {
      outcomes = await ingestBatch(this.#store, kind, batch);
    } catch (error) {
      outcomes = batch.map(() => ({ kind: 'retry', error }));
    }
    for (const [i, m] of batch.entries()) this.#answer(m, outcomes[i]!, log);
  }

  #answer(m: JsMsg, outcome: IngestOutcome, log: Logger): void {
    // Built only for a log line: parsing the reply subject for every acked message cost ~4 % of
    // ingest (issue #5 profile).
    const where = (): object => ({ subject: m.subject, streamSeq: m.seq, deliveries: m.info.deliveryCount });
    try {
      if (outcome.kind === 'term') {
        log.warn(
          { ...where(), code: outcome.error.code, reason: outcome.error.message },
          'message refused; terminated',
        );
        // No reason argument: term(reason) sends "+TERM <reason>", which nats-server 2.9 (Debian's
        // package) does not recognise and silently ignores, leaving the message pending and
        // redelivered every ack_wait forever. The reason is in the log line above instead.
        // (Regression test: "a malformed payload is terminated…" checks num_ack_pending.)
        m.term();
      } else if (outcome.kind === 'ack') {
        // The batch's commit has returned, so the rows are on disk (synchronous=FULL): only now
        // ack. If the ack is lost, JetStream redelivers and the (edge_id, seq) keys make that
        // harmless.
        m.ack();
        if (outcome.duplicates > 0)
          log.debug({ ...where(), duplicates: outcome.duplicates }, 'duplicates ignored');
      } else {
        // Storage failed (disk full, database locked): nothing of this message was committed. Ask
        // for a redelivery later rather than terminate; the message is fine, our disk is not.
        log.error({ ...where(), err: outcome.error }, 'storing message failed; will be redelivered');
        m.nak(NAK_DELAY_MS);
      }
    } catch {
      // Connection gone: the missing answer makes JetStream redeliver after ack_wait anyway.
    }
  }

  async #watchBacklog(jsm: Awaited<ReturnType<typeof jetstreamManager>>): Promise<void> {
    while (!this.#closed) {
      await this.#backlog.check(jsm);
      await this.#sleep(this.#backlogCheckMs);
    }
  }

  /** Waits `ms`, or less if close() is called meanwhile. */
  async #sleep(ms: number): Promise<void> {
    if (this.#closed) return;
    const signal = this.#abort.signal;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Stops consuming and closes the connection. Unacked messages are redelivered to the next run. */
  async close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    this.#abort.abort();
    this.#markReady();
    for (const messages of this.#active) messages.stop();
    const nc = this.#nc;
    if (nc && !nc.isClosed()) {
      // drain() flushes, which needs a server: bound it, then close regardless.
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, DRAIN_TIMEOUT_MS)));
      try {
        await Promise.race([nc.drain(), timeout]);
      } catch (err) {
        this.#log.debug({ err }, 'NATS drain failed');
      } finally {
        clearTimeout(timer);
        if (!nc.isClosed()) await nc.close();
      }
    }
    await this.#running;
    this.#log.info('ingest stopped');
  }
}
