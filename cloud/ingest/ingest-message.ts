// Turning JetStream messages into rows: decode, check against the contract, store a whole pull
// batch in one transaction, and say what the consumer should answer for each message. Kept apart
// from the NATS plumbing so the rules can be read (and tested) without a broker.
import { v1, type calle } from '../../proto/index.js';
import { EDGE_ID_PATTERN } from '../../proto/nats-subjects.js';
import { CoordinatorError, ErrorCodes } from '../errors.js';
import type { IngestItem, IngestItemResult, ReadingRow, TelemetryStore } from '../store/coordinator-store.js';

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

/** A batch's answer for one message: a verdict, or a storage failure to nak (retry later). */
export type IngestOutcome = IngestVerdict | { readonly kind: 'retry'; readonly error: unknown };

/** What decoding one message gives: rows to store, or the verdict to answer without storing. */
type Decoded =
  { readonly kind: 'store'; readonly edgeId: string; readonly item: IngestItem | undefined } | IngestVerdict;

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

/** Decodes, checks and stores one message in its own transaction. Storage failures throw. */
export async function ingestMessage(
  store: TelemetryStore,
  kind: IngestKind,
  subject: string,
  data: Uint8Array,
): Promise<IngestVerdict> {
  const [outcome] = await ingestBatch(store, kind, [{ subject, data }]);
  if (outcome!.kind === 'retry') throw outcome!.error;
  return outcome!;
}

/**
 * Decodes and checks every message, then stores all the valid ones in ONE transaction (one fsync
 * for the batch instead of one per message). Outcomes are in message order. A message refused by
 * the checks gets 'term' and does not touch the others; a message whose rows fail to store gets
 * 'retry' alone (its savepoint is rolled back); if the commit itself fails, every message that
 * was to be stored gets 'retry' — nothing of the batch is on disk, so none may be acked.
 */
export async function ingestBatch(
  store: TelemetryStore,
  kind: IngestKind,
  messages: readonly { readonly subject: string; readonly data: Uint8Array }[],
): Promise<IngestOutcome[]> {
  const decoded = messages.map((m) => decodeMessage(kind, m.subject, m.data));
  const items: IngestItem[] = [];
  for (const d of decoded) if (d.kind === 'store' && d.item) items.push(d.item);
  let stored: IngestItemResult[] = [];
  let commitError: unknown;
  if (items.length > 0) {
    try {
      stored = await store.ingestMany(items);
    } catch (err) {
      commitError = err;
    }
  }
  let next = 0;
  return decoded.map((d): IngestOutcome => {
    if (d.kind !== 'store') return d;
    // An empty batch is pointless but harmless: ack it so it does not come back.
    const { edgeId } = d;
    if (!d.item) return { kind: 'ack', edgeId, stored: 0, duplicates: 0 };
    const r = stored[next++];
    if (commitError !== undefined || !r) return { kind: 'retry', error: commitError };
    if (!r.ok) return { kind: 'retry', error: r.error };
    return { kind: 'ack', edgeId, stored: r.stored, duplicates: r.duplicates };
  });
}

function decodeMessage(kind: IngestKind, subject: string, data: Uint8Array): Decoded {
  const prefix = SUBJECT_PREFIX[kind];
  const subjectEdge = subject.startsWith(prefix) ? subject.slice(prefix.length) : '';
  if (!EDGE_ID_PATTERN.test(subjectEdge)) {
    return refuse(ErrorCodes.INVALID_EDGE_ID, `subject ${subject} does not end in a valid edge id`);
  }
  return kind === 'telemetry' ? decodeTelemetry(subjectEdge, data) : decodeEvent(subjectEdge, data);
}

function decodeTelemetry(subjectEdge: string, data: Uint8Array): Decoded {
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
    const seq = r.seq;
    if (!validSeq(seq)) return refuse(ErrorCodes.MALFORMED_PAYLOAD, `readings[${i}].seq ${seq} is not >= 1`);
    // SQLite stores NaN as NULL, which the NOT NULL column refuses: that would fail the commit on
    // every redelivery. A non-finite measurement is a broken driver; refuse the batch, loudly.
    if (!Number.isFinite(r.value)) {
      return refuse(ErrorCodes.MALFORMED_PAYLOAD, `readings[${i}].value (seq ${seq}) is not a finite number`);
    }
    rows.push({ seq, deviceId: r.deviceId, metric: r.metric, value: r.value, timeMs: r.timeMs });
  }
  return {
    kind: 'store',
    edgeId: subjectEdge,
    item: rows.length > 0 ? { edgeId: subjectEdge, readings: rows } : undefined,
  };
}

function decodeEvent(subjectEdge: string, data: Uint8Array): Decoded {
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
  const seq = event.seq;
  if (!validSeq(seq)) return refuse(ErrorCodes.MALFORMED_PAYLOAD, `event seq ${seq} is not >= 1`);
  const row = {
    edgeId: subjectEdge,
    seq,
    code: event.code,
    severity: event.severity,
    deviceId: event.deviceId,
    message: event.message,
    timeMs: event.timeMs,
    active: event.active,
  };
  return { kind: 'store', edgeId: subjectEdge, item: { edgeId: subjectEdge, event: row } };
}
