// Warns before the outage budget runs out. The ingest streams are sized in bytes for the operator's
// budget (stream-sizing.ts) and discard their oldest messages beyond it; those messages are
// readings no edge holds any more. So the figure that matters is not how full the stream is (a
// limits-retention stream is full in steady state, mostly of messages already stored) but how much
// of it our consumer has not yet stored: the backlog. Half the budget gone is a warning, 80 % an
// error that names the time left at the current rate, so an operator can act while nothing is lost.
import type { JetStreamManager } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import type { IngestStreamSpec } from './jetstream-setup.js';
import type { StreamLimits } from './stream-sizing.js';

/** Share of max_bytes held by unstored messages at which the watch warns, and at which it errs. */
export const BACKLOG_WARN_SHARE = 0.5;
export const BACKLOG_ERROR_SHARE = 0.8;

export type BacklogLevel = 'ok' | 'warn' | 'error';

export interface BacklogStatus {
  readonly stream: string;
  /** Messages our durable consumer has not yet been delivered. */
  readonly pendingMessages: number;
  /** Their bytes, estimated from the stream's mean message size. */
  readonly pendingBytes: number;
  /** pendingBytes / max_bytes. */
  readonly share: number;
  readonly level: BacklogLevel;
}

/** The level of a backlog share (pure: the thresholds in one place). */
export function backlogLevel(share: number): BacklogLevel {
  return share >= BACKLOG_ERROR_SHARE ? 'error' : share >= BACKLOG_WARN_SHARE ? 'warn' : 'ok';
}

export interface BacklogWatchOptions {
  readonly specs: readonly IngestStreamSpec[];
  /** The limits each stream was given, by stream name. */
  readonly limits: ReadonlyMap<string, StreamLimits>;
  readonly log: Logger;
  readonly now?: () => number;
}

export class BacklogWatch {
  readonly #o: BacklogWatchOptions;
  readonly #now: () => number;
  /** The last status of each stream, and when it was taken (for the rate of growth). */
  readonly #last = new Map<string, { status: BacklogStatus; atMs: number }>();

  constructor(options: BacklogWatchOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /** The last status of every stream checked. */
  get statuses(): BacklogStatus[] {
    return [...this.#last.values()].map((l) => l.status);
  }

  /** Reads each stream's and consumer's state once and logs a change of level. Never throws. */
  async check(jsm: JetStreamManager): Promise<BacklogStatus[]> {
    const out: BacklogStatus[] = [];
    for (const spec of this.#o.specs) {
      const limits = this.#o.limits.get(spec.stream);
      if (!limits) continue;
      try {
        const [stream, consumer] = await Promise.all([
          jsm.streams.info(spec.stream),
          jsm.consumers.info(spec.stream, spec.durable),
        ]);
        const meanBytes = stream.state.messages > 0 ? stream.state.bytes / stream.state.messages : 0;
        const pendingBytes = Math.round(consumer.num_pending * meanBytes);
        const share = pendingBytes / limits.maxBytes;
        const status: BacklogStatus = {
          stream: spec.stream,
          pendingMessages: consumer.num_pending,
          pendingBytes,
          share,
          level: backlogLevel(share),
        };
        this.#report(status, limits);
        out.push(status);
      } catch (err) {
        this.#o.log.debug({ err, stream: spec.stream }, 'backlog check failed');
      }
    }
    return out;
  }

  #report(status: BacklogStatus, limits: StreamLimits): void {
    const now = this.#now();
    const last = this.#last.get(status.stream);
    this.#last.set(status.stream, { status, atMs: now });
    const fields = {
      stream: status.stream,
      pendingMessages: status.pendingMessages,
      pendingMB: Math.round(status.pendingBytes / 2 ** 20),
      budgetMB: Math.round(limits.maxBytes / 2 ** 20),
      budgetUsedPct: Math.round(status.share * 100),
    };
    if (status.level === 'ok') {
      if (last && last.status.level !== 'ok')
        this.#o.log.info(fields, 'ingest backlog back within its budget');
      return;
    }
    // Time left at the rate the backlog grew since the last check (unknown on the first check).
    const grew = last ? status.pendingBytes - last.status.pendingBytes : 0;
    const perMs = last && now > last.atMs ? grew / (now - last.atMs) : 0;
    const minutesLeft =
      perMs > 0 ? Math.round((limits.maxBytes - status.pendingBytes) / perMs / 60_000) : undefined;
    const message =
      'ingest backlog is using the outage budget: beyond it the stream discards its oldest readings, ' +
      'which no edge holds any more (start the coordinator, or raise --outage-budget and max_file_store)';
    if (status.level === 'error') this.#o.log.error({ ...fields, minutesLeft }, message);
    else this.#o.log.warn({ ...fields, minutesLeft }, message);
  }
}
