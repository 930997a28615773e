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

const HOUR_MS = 3_600_000;

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

function streamConfig(spec: IngestStreamSpec): Partial<StreamConfig> {
  return {
    subjects: [...spec.subjects],
    // File storage: the stream is the buffer between an edge's outbox and our database, and must
    // survive a broker restart (REFERENCE §6: still not a power-cut guarantee without sync_always).
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    // Seven days covers a long weekend of coordinator outage with room to spare; the stream is a
    // transit buffer, the coordinator database is the record.
    max_age: nanos(7 * 24 * HOUR_MS),
    discard: DiscardPolicy.Old,
    // 24 h, not the 2 min default: an edge can be offline for hours (a cut fibre, a cabinet without
    // power) and then re-send its whole outbox, including batches whose publish ack it lost before
    // the cut. Inside the window JetStream drops those re-sends by Nats-Msg-Id; outside it the
    // coordinator's (edge_id, seq) keys still do. Cost: the server keeps every id of the last 24 h
    // in memory (~100 bytes each), a few hundred MB at 10,000 edges sending every 10 s.
    duplicate_window: nanos(24 * HOUR_MS),
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
  log: Logger,
): Promise<void> {
  const config = streamConfig(spec);
  try {
    await jsm.streams.info(spec.stream);
    await jsm.streams.update(spec.stream, config);
    log.debug({ stream: spec.stream }, 'stream updated');
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.streams.add({ name: spec.stream, ...config });
    log.info({ stream: spec.stream }, 'stream created');
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
