// Ingested telemetry and events on SQLite (TelemetryStore): a pull batch of messages in one
// transaction. Which rows are new is decided from each edge's delivered seqs (ingest-plan.ts,
// edge-seqs.ts), not from a key on the readings, so readings are appended to day tables
// (sqlite-series.ts) with their rollups, and the per-edge counters are written once per edge and
// batch, all in the same transaction: a caller may ack every message once this resolves.
/* eslint-disable @typescript-eslint/require-await -- the store's interface is asynchronous (PostgreSQL is a round trip); here each method is one synchronous better-sqlite3 call, and `async` turns its throw into a rejection. */
import type Database from 'better-sqlite3';
import type { TelemetryStore } from '../coordinator-store.js';
import { EdgeSeqs } from '../edge-seqs.js';
import { BatchPlan, newCounters, type EdgeCounters, type ItemDecision } from '../ingest-plan.js';
import { HOUR_MS, latestOf, QUARTER_MS, rollUp, type EdgeReadings } from '../series-rollup.js';
import type { AlarmRow, EventRow, IngestItem, IngestItemResult, IngestStats } from '../store-types.js';
import type { SqliteSeries } from './sqlite-series.js';
import { statsColumns } from './sqlite-stats.js';

/** Events at or above this severity fail a rollout gate (calle.v1.Severity.SEVERITY_CRITICAL). */
const CRITICAL = 3;

/** Carries one message's storage failure out of the fast path of ingestMany. */
class ItemFailed extends Error {
  constructor(cause: unknown) {
    super('a message failed to store', { cause });
  }
}

interface StatsRow {
  readonly readings: number;
  readonly events: number;
  readonly duplicates: number;
  readonly highestSeq: number;
  readonly contiguous: number;
  readonly ranges: string;
}

export class SqliteTelemetry implements TelemetryStore {
  readonly #db: Database.Database;
  readonly #series: SqliteSeries;
  // Statements are prepared once here; preparing per call costs a parse each time on a hot path.
  readonly #s;

  constructor(db: Database.Database, series: SqliteSeries) {
    this.#db = db;
    this.#series = series;
    this.#s = {
      insertEvent: db.prepare(`
        INSERT OR IGNORE INTO events (edge_id, seq, code, severity, device_id, message, time_ms, active)
        VALUES (@edgeId, @seq, @code, @severity, @deviceId, @message, @timeMs, @active)`),
      getCounters: db.prepare(`SELECT readings_received AS readings, events_received AS events, duplicates,
          highest_seq AS highestSeq, highest_contiguous_seq AS contiguous, seq_ranges AS ranges
        FROM ingest_stats WHERE edge_id = ?`),
      putCounters: db.prepare(`
        INSERT INTO ingest_stats (edge_id, readings_received, events_received, duplicates, highest_seq,
          highest_contiguous_seq, seq_ranges) VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (edge_id) DO UPDATE SET readings_received = excluded.readings_received,
          events_received = excluded.events_received, duplicates = excluded.duplicates,
          highest_seq = excluded.highest_seq, highest_contiguous_seq = excluded.highest_contiguous_seq,
          seq_ranges = excluded.seq_ranges`),
      getStats: db.prepare(`SELECT ${statsColumns('s')} FROM ingest_stats s WHERE edge_id = ?`),
      listEvents: db.prepare(`
        SELECT edge_id AS edgeId, seq, code, severity, device_id AS deviceId, message,
          time_ms AS timeMs, active FROM events WHERE edge_id = ? ORDER BY seq`),
      // By time (events_by_time): the gate runs it once per tick for all running rollouts.
      critical: db.prepare(`SELECT edge_id AS edgeId, device_id AS deviceId, code, severity, message,
          time_ms AS timeMs FROM events
        WHERE severity >= ${CRITICAL} AND active = 1 AND time_ms >= ? ORDER BY time_ms`),
      // An alarm is active when the newest event for its (edge, device, code) says so.
      active: db.prepare(`
        SELECT edge_id AS edgeId, device_id AS deviceId, code, severity, message, time_ms AS timeMs FROM (
          SELECT edge_id, device_id, code, severity, message, time_ms, active,
            ROW_NUMBER() OVER (PARTITION BY edge_id, device_id, code ORDER BY seq DESC) AS n
          FROM events)
        WHERE n = 1 AND active = 1 AND severity >= 2
        ORDER BY severity DESC, time_ms DESC`),
    };
  }

  async ingestMany(items: readonly IngestItem[]): Promise<IngestItemResult[]> {
    return this.ingestNow(items);
  }

  /**
   * ingestMany, synchronously. Every message's rows in one go first; if a row fails to insert (rare:
   * the decoder refuses what the schema would), the batch is redone with one savepoint per message
   * so that the failing message alone is rolled back and reported.
   */
  ingestNow(items: readonly IngestItem[]): IngestItemResult[] {
    try {
      return this.#transaction(items, false);
    } catch (err) {
      if (!(err instanceof ItemFailed)) throw err;
    }
    return this.#transaction(items, true);
  }

  #transaction(items: readonly IngestItem[], isolate: boolean): IngestItemResult[] {
    try {
      const results = this.#db.transaction(() => this.#ingest(items, isolate))();
      this.#series.committed();
      return results;
    } catch (err) {
      this.#series.rolledBack();
      throw err;
    }
  }

  #ingest(items: readonly IngestItem[], isolate: boolean): IngestItemResult[] {
    const plan = new BatchPlan(this.#load(items));
    this.#series.prepareTables(items.filter((i): i is EdgeReadings => 'readings' in i));
    const stored: ItemDecision[] = [];
    const results = items.map((item): IngestItemResult => {
      const decision = plan.decide(item);
      if (isolate) {
        try {
          this.#db.transaction(() => this.#write([decision]))();
        } catch (error) {
          // Some errors (SQLITE_FULL, I/O) make SQLite roll back the whole transaction: carrying
          // on would run the next messages in autocommit, outside the batch. Fail the batch instead.
          if (!this.#db.inTransaction) throw error;
          return { ok: false, error };
        }
      }
      stored.push(decision);
      return { ok: true, ...plan.accept(decision) };
    });
    if (!isolate)
      try {
        this.#write(stored);
      } catch (error) {
        throw new ItemFailed(error);
      }
    for (const [edgeId, c] of plan.finish())
      this.#s.putCounters.run(
        edgeId,
        c.readingsReceived,
        c.eventsReceived,
        c.duplicates,
        c.highestSeq,
        c.seqs.contiguous,
        c.seqs.encode(),
      );
    const readings = stored.filter((d) => d.readings.length > 0);
    this.#series.writeRollups('rollup_15m', rollUp(readings, QUARTER_MS));
    this.#series.writeRollups('rollup_1h', rollUp(readings, HOUR_MS));
    this.#series.writeLatest(latestOf(readings));
    return results;
  }

  /** Every edge's counters as stored (new ones for an edge never seen). */
  #load(items: readonly IngestItem[]): Map<string, EdgeCounters> {
    const counters = new Map<string, EdgeCounters>();
    for (const { edgeId } of items) {
      if (counters.has(edgeId)) continue;
      const row = this.#s.getCounters.get(edgeId) as StatsRow | undefined;
      counters.set(
        edgeId,
        row
          ? {
              readingsReceived: row.readings,
              eventsReceived: row.events,
              duplicates: row.duplicates,
              highestSeq: row.highestSeq,
              seqs: EdgeSeqs.decode(row.contiguous, row.ranges),
            }
          : newCounters(),
      );
    }
    return counters;
  }

  #write(decisions: readonly ItemDecision[]): void {
    this.#series.writeReadings(decisions.filter((d) => d.readings.length > 0));
    for (const d of decisions)
      if (d.event) this.#s.insertEvent.run({ ...d.event, edgeId: d.edgeId, active: d.event.active ? 1 : 0 });
  }

  async stats(edgeId: string): Promise<IngestStats | undefined> {
    return this.#s.getStats.get(edgeId) as IngestStats | undefined;
  }

  async countReadings(edgeId: string): Promise<number> {
    return this.#series.countReadings(edgeId);
  }

  async listEvents(edgeId: string): Promise<EventRow[]> {
    return (this.#s.listEvents.all(edgeId) as (Omit<EventRow, 'active'> & { active: number })[]).map((e) => ({
      ...e,
      active: e.active === 1,
    }));
  }

  async criticalAlarmsSince(sinceMs: number): Promise<AlarmRow[]> {
    return this.#s.critical.all(sinceMs) as AlarmRow[];
  }

  async activeAlarms(): Promise<AlarmRow[]> {
    return this.#s.active.all() as AlarmRow[];
  }
}
