// What one ingest batch stores, decided before any row is written, the same for every backend:
// for each message, its rows whose seq the edge had not delivered yet (edge-seqs.ts); for each
// edge, its counters after the batch. The backends load each edge's counters (under a row lock on
// PostgreSQL), write the fresh rows, and write the counters back in the same transaction, so the
// counters are exact after a crash: they commit or roll back with the rows they count.
import { EdgeSeqs } from './edge-seqs.js';
import type { EventRow, IngestItem, ReadingRow } from './store-types.js';

/** One edge's delivery accounting, as kept in ingest_stats. */
export interface EdgeCounters {
  readingsReceived: number;
  eventsReceived: number;
  /** Readings and events seen again after being stored (re-sends), not stored twice. */
  duplicates: number;
  /** Highest seq stored. */
  highestSeq: number;
  readonly seqs: EdgeSeqs;
}

export const newCounters = (): EdgeCounters => ({
  readingsReceived: 0,
  eventsReceived: 0,
  duplicates: 0,
  highestSeq: 0,
  seqs: new EdgeSeqs(),
});

/** One message's part of the batch: the rows to write, and how many it carried. */
export interface ItemDecision {
  readonly edgeId: string;
  readonly readings: readonly ReadingRow[];
  readonly event: EventRow | undefined;
  readonly seen: number;
}

export class BatchPlan {
  readonly #counters: ReadonlyMap<string, EdgeCounters>;
  /** Seqs accepted in this batch, per edge: later messages of the batch see them as held. */
  readonly #accepted = new Map<string, Set<number>>();

  /** `counters` holds every edge of the batch (newCounters() for one never seen). */
  constructor(counters: ReadonlyMap<string, EdgeCounters>) {
    this.#counters = counters;
  }

  /** The message's rows not held yet (by the store, or by a message accepted earlier in the batch). */
  decide(item: IngestItem): ItemDecision {
    const { edgeId } = item;
    const counters = this.#counters.get(edgeId);
    if (!counters) throw new Error(`ingest plan: no counters loaded for ${edgeId}`);
    const accepted = this.#accepted.get(edgeId);
    const held = (seq: number): boolean => counters.seqs.holds(seq) || accepted?.has(seq) === true;
    if ('event' in item)
      return { edgeId, readings: [], event: held(item.event.seq) ? undefined : item.event, seen: 1 };
    const mine = new Set<number>();
    const readings: ReadingRow[] = [];
    for (const r of item.readings) {
      // A seq twice in one message: the second copy is a duplicate, as if it came later.
      if (held(r.seq) || mine.has(r.seq)) continue;
      mine.add(r.seq);
      readings.push(r);
    }
    return { edgeId, readings, event: undefined, seen: item.readings.length };
  }

  /** Counts a decision whose rows were written (a message whose rows failed counts nothing). */
  accept(d: ItemDecision): { stored: number; duplicates: number } {
    const counters = this.#counters.get(d.edgeId)!;
    let accepted = this.#accepted.get(d.edgeId);
    if (!accepted) this.#accepted.set(d.edgeId, (accepted = new Set()));
    const stored = d.readings.length + (d.event ? 1 : 0);
    const take = (seq: number): void => {
      accepted.add(seq);
      if (seq > counters.highestSeq) counters.highestSeq = seq;
    };
    for (const r of d.readings) take(r.seq);
    if (d.event) take(d.event.seq);
    counters.readingsReceived += d.readings.length;
    counters.eventsReceived += d.event ? 1 : 0;
    counters.duplicates += d.seen - stored;
    return { stored, duplicates: d.seen - stored };
  }

  /** Folds the accepted seqs into each edge's ranges; returns the counters to write back. */
  finish(): Map<string, EdgeCounters> {
    const changed = new Map<string, EdgeCounters>();
    for (const [edgeId, accepted] of this.#accepted) {
      const counters = this.#counters.get(edgeId)!;
      counters.seqs.add(accepted);
      changed.set(edgeId, counters);
    }
    return changed;
  }
}
