// Telemetry over time on PostgreSQL (SeriesStore): readings, 15-minute and hourly rollups in
// partitioned tables, one partition per day (hourly: per month) made on demand
// (bucket-tables.ts names them as SQLite names its tables), and retention by dropping partitions.
// Writes run inside ingest's transaction (pg-telemetry.ts); partitions are made before it, in
// statements of their own, so that a partition two coordinators make at once costs one of them an
// ignored error, not a failed batch.
import type { Pool, PoolClient } from 'pg';
import { bucketTable, parseBucketTable, tablesBetween, type BucketKind } from '../bucket-tables.js';
import type { RetentionPolicy } from '../retention.js';
import {
  latestMergeSql,
  rollupMergeSql,
  type EdgeReadings,
  type LatestRow,
  type RollupRow,
} from '../series-rollup.js';
import type { PruneReport, RollupQuery, SeriesStore } from '../series-types.js';

const PARENTS: readonly BucketKind[] = ['readings', 'rollup_15m', 'rollup_1h'];
/** duplicate_table, unique_violation (on pg_type): another coordinator made the partition first. */
const ALREADY_MADE = new Set(['42P07', '23505']);

const ROLLUP_COLUMNS =
  'edge_id, device_id, metric, bucket_ms, n, sum, min, max, first_ms, first, last_ms, last, increase';

export class PgSeries implements SeriesStore {
  readonly #pool: Pool;
  /** Partitions known to exist. */
  readonly #tables = new Set<string>();

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  /** Reads which partitions exist (at start, and before each retention pass). */
  async load(): Promise<void> {
    const { rows } = await this.#pool.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = ANY($1)`,
      [PARENTS],
    );
    this.#tables.clear();
    for (const { name } of rows) if (parseBucketTable(name)) this.#tables.add(name);
  }

  /** Makes the partitions the readings (and their rollups) go to. */
  async ensurePartitions(batch: readonly EdgeReadings[]): Promise<void> {
    const hours = new Set<number>();
    for (const { readings } of batch) for (const r of readings) hours.add(Math.floor(r.timeMs / 3_600_000));
    for (const hour of hours)
      for (const kind of PARENTS) {
        const table = bucketTable(kind, hour * 3_600_000);
        if (this.#tables.has(table.name)) continue;
        try {
          await this.#pool.query(
            `CREATE TABLE IF NOT EXISTS ${table.name} PARTITION OF ${kind} FOR VALUES FROM (${table.startMs}) TO (${table.endMs})`,
          );
        } catch (err) {
          if (!ALREADY_MADE.has((err as { code?: string }).code ?? '')) throw err;
        }
        this.#tables.add(table.name);
      }
  }

  // --- writes (inside ingest's transaction) --------------------------------------------------

  async writeReadings(client: PoolClient, batch: readonly EdgeReadings[]): Promise<void> {
    const cols: unknown[][] = [[], [], [], [], [], []];
    for (const { edgeId, readings } of batch)
      for (const r of readings) {
        cols[0]!.push(edgeId);
        cols[1]!.push(r.seq);
        cols[2]!.push(r.deviceId);
        cols[3]!.push(r.metric);
        cols[4]!.push(r.value);
        cols[5]!.push(r.timeMs);
      }
    if (cols[0]!.length === 0) return;
    // One statement for the batch (unnest of one array per column), routed to the partitions.
    await client.query(
      `INSERT INTO readings (edge_id, seq, device_id, metric, value, time_ms)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::float8[], $6::bigint[])`,
      cols,
    );
  }

  async writeRollups(
    client: PoolClient,
    kind: 'rollup_15m' | 'rollup_1h',
    rows: readonly RollupRow[],
  ): Promise<void> {
    if (rows.length === 0) return;
    const pick = <K extends keyof RollupRow>(k: K): RollupRow[K][] => rows.map((r) => r[k]);
    await client.query(
      `INSERT INTO ${kind} AS t (${ROLLUP_COLUMNS})
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::float8[],
         $7::float8[], $8::float8[], $9::bigint[], $10::float8[], $11::bigint[], $12::float8[], $13::float8[])
       ON CONFLICT (edge_id, device_id, metric, bucket_ms) DO UPDATE SET ${rollupMergeSql('t')}`,
      [
        pick('edgeId'),
        pick('deviceId'),
        pick('metric'),
        pick('bucketMs'),
        pick('n'),
        pick('sum'),
        pick('min'),
        pick('max'),
        pick('firstMs'),
        pick('first'),
        pick('lastMs'),
        pick('last'),
        pick('increase'),
      ],
    );
  }

  async writeLatest(client: PoolClient, rows: readonly LatestRow[]): Promise<void> {
    if (rows.length === 0) return;
    const pick = <K extends keyof LatestRow>(k: K): LatestRow[K][] => rows.map((r) => r[k]);
    await client.query(
      `INSERT INTO latest_values AS t (edge_id, device_id, metric, last_ms, last, prev_ms, prev)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::float8[], $6::bigint[], $7::float8[])
       ON CONFLICT (edge_id, device_id, metric) DO UPDATE SET ${latestMergeSql('t')}`,
      [
        pick('edgeId'),
        pick('deviceId'),
        pick('metric'),
        pick('lastMs'),
        pick('last'),
        pick('prevMs'),
        pick('prev'),
      ],
    );
  }

  // --- reads ---------------------------------------------------------------------------------

  async rollups(q: RollupQuery): Promise<RollupRow[]> {
    const table = q.resolution === '15m' ? 'rollup_15m' : 'rollup_1h';
    const where = ['bucket_ms >= $1', 'bucket_ms < $2'];
    const args: unknown[] = [q.fromMs, q.toMs];
    if (q.metrics) where.push(`metric = ANY($${args.push([...q.metrics])})`);
    if (q.edgeId !== undefined) where.push(`edge_id = $${args.push(q.edgeId)}`);
    if (q.deviceId !== undefined) where.push(`device_id = $${args.push(q.deviceId)}`);
    const { rows } = await this.#pool.query<RollupRow>(
      `SELECT edge_id AS "edgeId", device_id AS "deviceId", metric, bucket_ms AS "bucketMs", n, sum, min, max,
         first_ms AS "firstMs", first, last_ms AS "lastMs", last, increase
       FROM ${table} WHERE ${where.join(' AND ')}
       ORDER BY edge_id COLLATE "C", device_id COLLATE "C", metric COLLATE "C", bucket_ms`,
      args,
    );
    return rows;
  }

  async latest(): Promise<LatestRow[]> {
    const { rows } = await this.#pool.query<LatestRow>(
      `SELECT edge_id AS "edgeId", device_id AS "deviceId", metric, last_ms AS "lastMs", last,
         prev_ms AS "prevMs", prev FROM latest_values
       ORDER BY edge_id COLLATE "C", device_id COLLATE "C", metric COLLATE "C"`,
    );
    return rows;
  }

  /** Raw reading rows of one edge (a scan of every partition: tests and tools only). */
  async countReadings(edgeId: string): Promise<number> {
    const { rows } = await this.#pool.query<{ n: number }>(
      'SELECT COUNT(*)::bigint AS n FROM readings WHERE edge_id = $1',
      [edgeId],
    );
    return rows[0]!.n;
  }

  async prune(nowMs: number, policy: RetentionPolicy): Promise<PruneReport> {
    await this.load();
    const keep: Readonly<Record<BucketKind, number>> = {
      readings: policy.rawMs,
      rollup_15m: policy.rollup15mMs,
      rollup_1h: policy.rollup1hMs,
    };
    const dropped: string[] = [];
    for (const kind of PARENTS)
      for (const table of tablesBetween(this.#tables, kind, 0, nowMs - keep[kind])) {
        if (table.endMs > nowMs - keep[kind]) continue;
        // DROP of a partition: its pages go back to the file system at once.
        await this.#pool.query(`DROP TABLE IF EXISTS ${table.name}`);
        this.#tables.delete(table.name);
        dropped.push(table.name);
      }
    const { rowCount } = await this.#pool.query('DELETE FROM events WHERE time_ms < $1', [
      nowMs - policy.eventsMs,
    ]);
    return { dropped: dropped.sort(), eventsDeleted: rowCount ?? 0 };
  }
}
