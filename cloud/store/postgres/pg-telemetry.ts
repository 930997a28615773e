// Ingested telemetry and events on PostgreSQL (TelemetryStore). A batch is one transaction: lock
// the counters of its edges (in one order, so that coordinators sharing the database never
// deadlock), decide which rows are new (ingest-plan.ts), write them with their rollups, write the
// counters back, commit. Two coordinators ingesting the same edge wait on its counters row, so
// every reading is stored once and the counters stay exact whoever ingests it.
import type { Pool, PoolClient } from 'pg';
import type { TelemetryStore } from '../coordinator-store.js';
import { EdgeSeqs } from '../edge-seqs.js';
import { BatchPlan, type EdgeCounters, type ItemDecision } from '../ingest-plan.js';
import { HOUR_MS, latestOf, QUARTER_MS, rollUp, type EdgeReadings } from '../series-rollup.js';
import type { AlarmRow, EventRow, IngestItem, IngestItemResult, IngestStats } from '../store-types.js';
import type { PgSeries } from './pg-series.js';
import { pgStatsColumns } from './pg-stats.js';

/** Events at or above this severity fail a rollout gate (calle.v1.Severity.SEVERITY_CRITICAL). */
const CRITICAL = 3;

class ItemFailed extends Error {
  constructor(cause: unknown) {
    super('a message failed to store', { cause });
  }
}

const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const EVENT_COLUMNS = 'edge_id, seq, code, severity, device_id, message, time_ms, active';
const ALARM_COLUMNS = `edge_id AS "edgeId", device_id AS "deviceId", code, severity, message, time_ms AS "timeMs"`;

export class PgTelemetry implements TelemetryStore {
  readonly #pool: Pool;
  readonly #series: PgSeries;

  constructor(pool: Pool, series: PgSeries) {
    this.#pool = pool;
    this.#series = series;
  }

  async ingestMany(items: readonly IngestItem[]): Promise<IngestItemResult[]> {
    await this.#series.ensurePartitions(items.filter((i): i is EdgeReadings => 'readings' in i));
    const client = await this.#pool.connect();
    try {
      try {
        return await this.#transaction(client, items, false);
      } catch (err) {
        if (!(err instanceof ItemFailed)) throw err;
      }
      return await this.#transaction(client, items, true);
    } finally {
      client.release();
    }
  }

  async #transaction(
    client: PoolClient,
    items: readonly IngestItem[],
    isolate: boolean,
  ): Promise<IngestItemResult[]> {
    await client.query('BEGIN');
    try {
      const results = await this.#ingest(client, items, isolate);
      await client.query('COMMIT');
      return results;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  async #ingest(
    client: PoolClient,
    items: readonly IngestItem[],
    isolate: boolean,
  ): Promise<IngestItemResult[]> {
    const plan = new BatchPlan(await this.#lockCounters(client, items));
    const stored: ItemDecision[] = [];
    const results: IngestItemResult[] = [];
    for (const item of items) {
      const decision = plan.decide(item);
      if (isolate) {
        await client.query('SAVEPOINT item');
        try {
          await this.#write(client, [decision]);
          await client.query('RELEASE SAVEPOINT item');
        } catch (error) {
          await client.query('ROLLBACK TO SAVEPOINT item');
          results.push({ ok: false, error });
          continue;
        }
      }
      stored.push(decision);
      results.push({ ok: true, ...plan.accept(decision) });
    }
    if (!isolate)
      try {
        await this.#write(client, stored);
      } catch (error) {
        throw new ItemFailed(error);
      }
    const counters = [...plan.finish()];
    if (counters.length > 0)
      await client.query(
        `UPDATE ingest_stats AS s SET readings_received = u.r, events_received = u.e, duplicates = u.d,
           highest_seq = u.h, highest_contiguous_seq = u.c, seq_ranges = u.ranges
         FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::text[])
           AS u(edge_id, r, e, d, h, c, ranges)
         WHERE s.edge_id = u.edge_id`,
        [
          counters.map(([id]) => id),
          counters.map(([, c]) => c.readingsReceived),
          counters.map(([, c]) => c.eventsReceived),
          counters.map(([, c]) => c.duplicates),
          counters.map(([, c]) => c.highestSeq),
          counters.map(([, c]) => c.seqs.contiguous),
          counters.map(([, c]) => c.seqs.encode()),
        ],
      );
    const readings = stored.filter((d) => d.readings.length > 0);
    await this.#series.writeRollups(client, 'rollup_15m', rollUp(readings, QUARTER_MS));
    await this.#series.writeRollups(client, 'rollup_1h', rollUp(readings, HOUR_MS));
    await this.#series.writeLatest(client, latestOf(readings));
    return results;
  }

  /** Creates missing counters rows, then locks every edge's row of the batch, in byte order. */
  async #lockCounters(client: PoolClient, items: readonly IngestItem[]): Promise<Map<string, EdgeCounters>> {
    const edges = [...new Set(items.map((i) => i.edgeId))].sort(byteOrder);
    await client.query(
      `INSERT INTO ingest_stats (edge_id) SELECT e FROM unnest($1::text[]) AS e ORDER BY e COLLATE "C"
       ON CONFLICT (edge_id) DO NOTHING`,
      [edges],
    );
    const { rows } = await client.query<{
      id: string;
      r: number;
      e: number;
      d: number;
      h: number;
      c: number;
      ranges: string;
    }>(
      `SELECT edge_id AS id, readings_received AS r, events_received AS e, duplicates AS d, highest_seq AS h,
         highest_contiguous_seq AS c, seq_ranges AS ranges
       FROM ingest_stats WHERE edge_id = ANY($1) ORDER BY edge_id COLLATE "C" FOR UPDATE`,
      [edges],
    );
    return new Map(
      rows.map((r) => [
        r.id,
        {
          readingsReceived: r.r,
          eventsReceived: r.e,
          duplicates: r.d,
          highestSeq: r.h,
          seqs: EdgeSeqs.decode(r.c, r.ranges),
        },
      ]),
    );
  }

  async #write(client: PoolClient, decisions: readonly ItemDecision[]): Promise<void> {
    await this.#series.writeReadings(
      client,
      decisions.filter((d) => d.readings.length > 0),
    );
    const events = decisions.flatMap((d) => (d.event ? [{ ...d.event, edgeId: d.edgeId }] : []));
    if (events.length > 0)
      await client.query(
        `INSERT INTO events (${EVENT_COLUMNS})
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::int[], $5::text[], $6::text[], $7::bigint[], $8::bool[])
         ON CONFLICT (edge_id, seq) DO NOTHING`,
        [
          events.map((e) => e.edgeId),
          events.map((e) => e.seq),
          events.map((e) => e.code),
          events.map((e) => e.severity),
          events.map((e) => e.deviceId),
          events.map((e) => e.message),
          events.map((e) => e.timeMs),
          events.map((e) => e.active),
        ],
      );
  }

  async stats(edgeId: string): Promise<IngestStats | undefined> {
    const { rows } = await this.#pool.query<IngestStats>(
      `SELECT ${pgStatsColumns('s')} FROM ingest_stats s WHERE edge_id = $1`,
      [edgeId],
    );
    return rows[0];
  }

  async countReadings(edgeId: string): Promise<number> {
    return this.#series.countReadings(edgeId);
  }

  async listEvents(edgeId: string): Promise<EventRow[]> {
    const { rows } = await this.#pool.query<EventRow>(
      `SELECT edge_id AS "edgeId", seq, code, severity, device_id AS "deviceId", message, time_ms AS "timeMs", active
       FROM events WHERE edge_id = $1 ORDER BY seq`,
      [edgeId],
    );
    return rows;
  }

  async criticalAlarmsSince(sinceMs: number): Promise<AlarmRow[]> {
    const { rows } = await this.#pool.query<AlarmRow>(
      `SELECT ${ALARM_COLUMNS} FROM events WHERE severity >= ${CRITICAL} AND active AND time_ms >= $1 ORDER BY time_ms`,
      [sinceMs],
    );
    return rows;
  }

  async activeAlarms(): Promise<AlarmRow[]> {
    const { rows } = await this.#pool.query<AlarmRow>(`
      SELECT ${ALARM_COLUMNS} FROM (
        SELECT *, ROW_NUMBER() OVER (PARTITION BY edge_id, device_id, code ORDER BY seq DESC) AS n FROM events) e
      WHERE n = 1 AND active AND severity >= 2
      ORDER BY severity DESC, time_ms DESC`);
    return rows;
  }
}
