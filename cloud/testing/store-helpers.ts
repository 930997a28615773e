// Test helpers over the coordinator's store: one message stored as ingest stores a batch, with its
// failure thrown rather than returned. Not a test file.
import type { EventRow, ReadingRow, TelemetryStore } from '../store/coordinator-store.js';

type Counts = { stored: number; duplicates: number };

async function one(
  store: TelemetryStore,
  item: Parameters<TelemetryStore['ingestMany']>[0][number],
): Promise<Counts> {
  const [r] = await store.ingestMany([item]);
  if (!r!.ok) throw r!.error;
  return { stored: r!.stored, duplicates: r!.duplicates };
}

/** Stores one batch of readings in one transaction; readings already held count as duplicates. */
export async function ingestReadings(
  store: { readonly telemetry: TelemetryStore },
  edgeId: string,
  readings: readonly ReadingRow[],
): Promise<Counts> {
  return one(store.telemetry, { edgeId, readings });
}

/** Stores one event; an event already held counts as a duplicate. */
export async function ingestEvent(
  store: { readonly telemetry: TelemetryStore },
  event: EventRow,
): Promise<Counts> {
  return one(store.telemetry, { edgeId: event.edgeId, event });
}
