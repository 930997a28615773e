// Turning one JetStream message into rows: decode, check against the contract, store in one
// transaction, and say what the consumer should answer. Kept apart from the NATS plumbing so the
// rules can be read (and tested) without a broker.
import { v1, type calle } from '../../proto/index.js';
import { EDGE_ID_PATTERN } from '../../proto/nats-subjects.js';
import { CoordinatorError, ErrorCodes } from '../errors.js';
import type { CoordinatorDb, ReadingRow } from '../store/coordinator-db.js';
import { u64 } from '../wire-numbers.js';

export type IngestKind = 'telemetry' | 'events';

/**
 * What to tell JetStream:
 * - ack: stored (or already held); done.
 * - term: can never succeed (undecodable, contradicts the contract); stop redelivering it.
 * Storage failures are thrown, not returned: the caller naks so the message comes back later.
 */
export type IngestVerdict =
  | { readonly kind: 'ack'; readonly edgeId: string; readonly stored: number; readonly duplicates: number }
  | { readonly kind: 'term'; readonly error: CoordinatorError };

const SUBJECT_PREFIX: Readonly<Record<IngestKind, string>> = {
  telemetry: 'calle.telemetry.',
  events: 'calle.events.',
};

function refuse(
  code: (typeof ErrorCodes)[keyof typeof ErrorCodes],
  message: string,
  cause?: unknown,
): IngestVerdict {
  return { kind: 'term', error: new CoordinatorError(code, message, { cause }) };
}

/** A seq is a positive safe integer: the edge counts from 1 and we key rows on it. */
const validSeq = (seq: number): boolean => Number.isSafeInteger(seq) && seq >= 1;

export function ingestMessage(
  db: CoordinatorDb,
  kind: IngestKind,
  subject: string,
  data: Uint8Array,
): IngestVerdict {
  const prefix = SUBJECT_PREFIX[kind];
  const subjectEdge = subject.startsWith(prefix) ? subject.slice(prefix.length) : '';
  if (!EDGE_ID_PATTERN.test(subjectEdge)) {
    return refuse(ErrorCodes.INVALID_EDGE_ID, `subject ${subject} does not end in a valid edge id`);
  }
  return kind === 'telemetry' ? ingestTelemetry(db, subjectEdge, data) : ingestEvent(db, subjectEdge, data);
}

function ingestTelemetry(db: CoordinatorDb, subjectEdge: string, data: Uint8Array): IngestVerdict {
  let batch: ReturnType<typeof v1.TelemetryBatch.decode>;
  try {
    batch = v1.TelemetryBatch.decode(data);
  } catch (err) {
    return refuse(ErrorCodes.MALFORMED_PAYLOAD, 'payload is not a calle.v1.TelemetryBatch', err);
  }
  // The subject is what NATS permissions will be scoped by (one edge may publish only on its own
  // subject), so the payload must agree with it: otherwise one edge could write another's rows.
  if (batch.edgeId !== subjectEdge) {
    return refuse(
      ErrorCodes.EDGE_ID_MISMATCH,
      `batch edge_id ${JSON.stringify(batch.edgeId)} differs from subject edge ${JSON.stringify(subjectEdge)}`,
    );
  }
  const rows: ReadingRow[] = [];
  // decode() builds real Reading instances, whose unset fields read as the proto3 defaults from
  // the prototype; the generated type only promises the optional $Properties shape.
  const readings = batch.readings as calle.v1.Reading[];
  for (const [i, r] of readings.entries()) {
    const seq = u64(r.seq);
    if (!validSeq(seq)) return refuse(ErrorCodes.MALFORMED_PAYLOAD, `readings[${i}].seq ${seq} is not >= 1`);
    // SQLite stores NaN as NULL, which the NOT NULL column refuses: that would fail the commit on
    // every redelivery. A non-finite measurement is a broken driver; refuse the batch, loudly.
    if (!Number.isFinite(r.value)) {
      return refuse(ErrorCodes.MALFORMED_PAYLOAD, `readings[${i}].value (seq ${seq}) is not a finite number`);
    }
    rows.push({ seq, deviceId: r.deviceId, metric: r.metric, value: r.value, timeMs: u64(r.timeMs) });
  }
  // An empty batch is pointless but harmless: ack it so it does not come back.
  const result = rows.length > 0 ? db.ingestReadings(subjectEdge, rows) : { stored: 0, duplicates: 0 };
  return { kind: 'ack', edgeId: subjectEdge, ...result };
}

function ingestEvent(db: CoordinatorDb, subjectEdge: string, data: Uint8Array): IngestVerdict {
  let event: ReturnType<typeof v1.Event.decode>;
  try {
    event = v1.Event.decode(data);
  } catch (err) {
    return refuse(ErrorCodes.MALFORMED_PAYLOAD, 'payload is not a calle.v1.Event', err);
  }
  if (event.edgeId !== subjectEdge) {
    return refuse(
      ErrorCodes.EDGE_ID_MISMATCH,
      `event edge_id ${JSON.stringify(event.edgeId)} differs from subject edge ${JSON.stringify(subjectEdge)}`,
    );
  }
  const seq = u64(event.seq);
  if (!validSeq(seq)) return refuse(ErrorCodes.MALFORMED_PAYLOAD, `event seq ${seq} is not >= 1`);
  const result = db.ingestEvent({
    edgeId: subjectEdge,
    seq,
    code: event.code,
    severity: event.severity,
    deviceId: event.deviceId,
    message: event.message,
    timeMs: u64(event.timeMs),
    active: event.active,
  });
  return { kind: 'ack', edgeId: subjectEdge, ...result };
}
