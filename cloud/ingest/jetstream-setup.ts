// The JetStream streams and durable consumers the coordinator reads from, declared in code so a
// fresh NATS server needs no manual setup and a changed setting reaches an existing server on the
// next start (create, or update when it exists).
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { EVENTS_STREAM, TELEMETRY_STREAM } from '../../proto/nats-subjects.js';
import type { StreamLimits } from './stream-sizing.js';

/** What one ingest pipeline reads: a stream, its subjects, and our durable consumer on it. */
export interface IngestStreamSpec {
  readonly stream: string;
  readonly subjects: readonly string[];
  readonly durable: string;
}

export const TELEMETRY_SPEC: IngestStreamSpec = {
  stream: TELEMETRY_STREAM,
  subjects: ['calle.telemetry.>'],
  durable: 'calle-coordinator-telemetry',
};

export const EVENTS_SPEC: IngestStreamSpec = {
  stream: EVENTS_STREAM,
  subjects: ['calle.events.>'],
  durable: 'calle-coordinator-events',
};

/**
 * How long JetStream drops a re-sent message by its Nats-Msg-Id. Minutes, not hours: the window
 * only has to cover re-sends of a publish whose ack was lost on a link that stayed up (the client's
 * retry and the outbox publisher's back-off, at most 10 s between attempts). A re-send after a
 * longer cut arrives later and is dropped by the coordinator's (edge_id, seq) keys instead, which
 * de-duplicate at any age. The window costs nats-server memory for every id in it: ~200 B each
 * measured here on 2.9.10 (cloud/bench/dedupe-memory-bench.ts; issue #16 measured ~285 B), i.e.
 * 49 GB at 2,000 msg/s with the former 24 h window and ~48 MB at 2 min.
 */
export const DUPLICATE_WINDOW_MS = 2 * 60_000;

/** JetStream's "insufficient storage resources available": the stream does not fit max_file_store. */
const INSUFFICIENT_STORAGE = 10047;

function streamConfig(spec: IngestStreamSpec, limits: StreamLimits): Partial<StreamConfig> {
  return {
    subjects: [...spec.subjects],
    // File storage: the stream is the buffer between an edge's outbox and our database, and must
    // survive a broker restart (REFERENCE §6: still not a power-cut guarantee without sync_always).
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    // Bytes and age from the operator's outage budget (stream-sizing.ts, which explains why the
    // oldest messages go when it is exceeded); the stream is a transit buffer, the coordinator
    // database is the record.
    max_bytes: limits.maxBytes,
    max_age: nanos(limits.maxAgeMs),
    discard: DiscardPolicy.Old,
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    num_replicas: 1,
  };
}

/** The settings an existing consumer may change (name and deliver policy are fixed at creation). */
function consumerUpdateConfig(): Partial<ConsumerConfig> {
  return {
    // Explicit acks, sent only after the SQLite commit: a message is never considered delivered
    // until it is on our disk.
    ack_policy: AckPolicy.Explicit,
    // Time the server waits for our ack before re-delivering. A commit with synchronous=FULL takes
    // milliseconds; 30 s leaves room for a slow disk without re-delivering the whole pull.
    ack_wait: nanos(30_000),
    // Re-deliver forever: a message that fails only because our disk is full must not be dropped.
    // Payloads that can never succeed are terminated (term) instead, so they do not loop.
    max_deliver: -1,
    // Bounds memory and the size of a redelivery burst after a restart. Room for a few pulls of
    // PULL_BATCH (telemetry-ingest.ts) in flight, so the next batch arrives while one commits.
    max_ack_pending: 4_096,
  };
}

function consumerConfig(spec: IngestStreamSpec): Partial<ConsumerConfig> {
  // DeliverPolicy.All: a new consumer starts from the oldest message still in the stream.
  return { durable_name: spec.durable, deliver_policy: DeliverPolicy.All, ...consumerUpdateConfig() };
}

const gb = (bytes: number): string => (bytes / 1e9).toFixed(1);

function isNotFound(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamNotFound || err.code === JetStreamApiCodes.ConsumerNotFound)
  );
}

/** Creates or updates the stream and our durable consumer on it. */
export async function ensureIngestStream(
  jsm: JetStreamManager,
  spec: IngestStreamSpec,
  limits: StreamLimits,
  log: Logger,
): Promise<void> {
  const config = streamConfig(spec, limits);
  try {
    try {
      await jsm.streams.info(spec.stream);
      await jsm.streams.update(spec.stream, config);
      log.debug({ stream: spec.stream, maxBytes: limits.maxBytes }, 'stream updated');
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await jsm.streams.add({ name: spec.stream, ...config });
      log.info({ stream: spec.stream, maxBytes: limits.maxBytes }, 'stream created');
    }
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === INSUFFICIENT_STORAGE)
      throw new Error(
        `${spec.stream}: the outage budget needs ${gb(limits.maxBytes)} GB for this stream, more than the ` +
          `hub's JetStream storage has left: raise jetstream.max_file_store (deploy/nats/hub.conf) or ` +
          `lower --outage-budget / --fleet-cabinets`,
        { cause: err },
      );
    throw err;
  }

  try {
    await jsm.consumers.info(spec.stream, spec.durable);
    await jsm.consumers.update(spec.stream, spec.durable, consumerUpdateConfig());
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.consumers.add(spec.stream, consumerConfig(spec));
    log.info({ stream: spec.stream, durable: spec.durable }, 'consumer created');
  }
}
