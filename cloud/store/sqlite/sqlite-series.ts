// Telemetry over time on SQLite (SeriesStore): raw readings in day tables, 15-minute rollups in day
// tables, hourly rollups in month tables (bucket-tables.ts), each series' latest readings, and
// retention by dropping whole tables. The write methods run inside ingest's transaction
// (sqlite-telemetry.ts), so rollups and counters commit with the readings they count.
/* eslint-disable @typescript-eslint/require-await -- the store's interface is asynchronous (PostgreSQL is a round trip); here each method is one synchronous better-sqlite3 call, and `async` turns its throw into a rejection. */
import type Database from 'better-sqlite3';
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

/**
 * Rows per multi-row statement: one statement run crosses into SQLite once, and that crossing, not
 * the B-tree work, dominates at a few µs per row (issue #5). 32 rows × 13 parameters stays far
 * below SQLite's 32,766-parameter limit.
 */
const ROWS_PER_STATEMENT = 32;

const ROLLUP_COLUMNS =
  'edge_id, device_id, metric, bucket_ms, n, sum, min, max, first_ms, first, last_ms, last, increase';

function ddl(kind: BucketKind, name: string): string {
  if (kind === 'readings')
    // No key and no index: rows are appended in arrival order and read whole or dropped whole.
    return `CREATE TABLE IF NOT EXISTS "${name}" (edge_id TEXT NOT NULL, seq INTEGER NOT NULL,
      device_id TEXT NOT NULL, metric TEXT NOT NULL, value REAL NOT NULL, time_ms INTEGER NOT NULL) STRICT`;
  return `CREATE TABLE IF NOT EXISTS "${name}" (edge_id TEXT NOT NULL, device_id TEXT NOT NULL,
      metric TEXT NOT NULL, bucket_ms INTEGER NOT NULL, n INTEGER NOT NULL, sum REAL NOT NULL,
      min REAL NOT NULL, max REAL NOT NULL, first_ms INTEGER NOT NULL, first REAL NOT NULL,
      last_ms INTEGER NOT NULL, last REAL NOT NULL, increase REAL NOT NULL,
      PRIMARY KEY (edge_id, device_id, metric, bucket_ms)) STRICT, WITHOUT ROWID;
    -- The dashboard and the inventory ask by metric and time across the fleet.
    CREATE INDEX IF NOT EXISTS "${name}_by_metric" ON "${name}" (metric, bucket_ms)`;
}

export class SqliteSeries implements SeriesStore {
  readonly #db: Database.Database;
  /** Bucket tables that exist. */
  readonly #tables = new Set<string>();
  /** Tables created in the transaction in progress: forgotten again if it rolls back. */
  #created: string[] = [];
  /** Multi-row statements by table and row count, prepared on first use. */
  readonly #statements = new Map<string, Database.Statement>();
  readonly #s;

  constructor(db: Database.Database) {
    this.#db = db;
    for (const name of db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
      .pluck()
      .all() as string[])
      if (parseBucketTable(name)) this.#tables.add(name);
    this.#s = {
      latest: db.prepare(`SELECT edge_id AS edgeId, device_id AS deviceId, metric, last_ms AS lastMs, last,
        prev_ms AS prevMs, prev FROM latest_values ORDER BY edge_id, device_id, metric`),
      deleteEvents: db.prepare('DELETE FROM events WHERE time_ms < ?'),
    };
  }

  // --- writes (inside ingest's transaction) --------------------------------------------------

  /**
   * Creates the tables the readings (and their rollups) go to. Called first in the transaction,
   * outside any per-message savepoint, whose rollback would otherwise take a new table with it.
   */
  prepareTables(batch: readonly EdgeReadings[]): void {
    const days = new Set<number>();
    for (const { readings } of batch) for (const r of readings) days.add(Math.floor(r.timeMs / 3_600_000));
    for (const hour of days) {
      const at = hour * 3_600_000;
      this.#ensure('readings', at);
      this.#ensure('rollup_15m', at);
      this.#ensure('rollup_1h', at);
    }
  }

  /** The transaction committed: the tables it made exist. */
  committed(): void {
    this.#created = [];
  }

  /** The transaction rolled back: the tables it made are gone, and statements on them invalid. */
  rolledBack(): void {
    for (const name of this.#created) this.#forget(name);
    this.#created = [];
  }

  #forget(name: string): void {
    this.#tables.delete(name);
    for (const key of [...this.#statements.keys()])
      if (key.startsWith(`${name}\u0000`)) this.#statements.delete(key);
  }

  /** Appends the readings to their day tables. */
  writeReadings(batch: readonly EdgeReadings[]): void {
    const byTable = new Map<string, unknown[][]>();
    for (const { edgeId, readings } of batch)
      for (const r of readings) {
        const name = this.#ensure('readings', r.timeMs);
        let rows = byTable.get(name);
        if (!rows) byTable.set(name, (rows = []));
        rows.push([edgeId, r.seq, r.deviceId, r.metric, r.value, r.timeMs]);
      }
    for (const [name, rows] of byTable)
      this.#runChunked(
        rows,
        (n) =>
          `INSERT INTO "${name}" (edge_id, seq, device_id, metric, value, time_ms) VALUES ${values(n, 6)}`,
        `${name}`,
      );
  }

  /** Merges rolled-up rows (series-rollup.ts) into the 15-minute or hourly tables. */
  writeRollups(kind: 'rollup_15m' | 'rollup_1h', rows: readonly RollupRow[]): void {
    const byTable = new Map<string, unknown[][]>();
    for (const r of rows) {
      const name = this.#ensure(kind, r.bucketMs);
      let list = byTable.get(name);
      if (!list) byTable.set(name, (list = []));
      list.push([
        r.edgeId,
        r.deviceId,
        r.metric,
        r.bucketMs,
        r.n,
        r.sum,
        r.min,
        r.max,
        r.firstMs,
        r.first,
        r.lastMs,
        r.last,
        r.increase,
      ]);
    }
    for (const [name, list] of byTable)
      this.#runChunked(
        list,
        (n) => `INSERT INTO "${name}" (${ROLLUP_COLUMNS}) VALUES ${values(n, 13)}
          ON CONFLICT (edge_id, device_id, metric, bucket_ms) DO UPDATE SET ${rollupMergeSql(`"${name}"`)}`,
        name,
      );
  }

  writeLatest(rows: readonly LatestRow[]): void {
    this.#runChunked(
      rows.map((r) => [r.edgeId, r.deviceId, r.metric, r.lastMs, r.last, r.prevMs, r.prev]),
      (n) => `INSERT INTO latest_values (edge_id, device_id, metric, last_ms, last, prev_ms, prev)
        VALUES ${values(n, 7)}
        ON CONFLICT (edge_id, device_id, metric) DO UPDATE SET ${latestMergeSql('latest_values')}`,
      'latest_values',
    );
  }

  #ensure(kind: BucketKind, timeMs: number): string {
    const { name } = bucketTable(kind, timeMs);
    if (!this.#tables.has(name)) {
      this.#db.exec(ddl(kind, name));
      this.#tables.add(name);
      this.#created.push(name);
    }
    return name;
  }

  #runChunked(rows: readonly unknown[][], sql: (n: number) => string, table: string): void {
    for (let at = 0; at < rows.length; at += ROWS_PER_STATEMENT) {
      const chunk = rows.slice(at, at + ROWS_PER_STATEMENT);
      const key = `${table}\u0000${chunk.length}`;
      let statement = this.#statements.get(key);
      if (!statement) this.#statements.set(key, (statement = this.#db.prepare(sql(chunk.length))));
      statement.run(chunk.flat());
    }
  }

  // --- reads ---------------------------------------------------------------------------------

  async rollups(q: RollupQuery): Promise<RollupRow[]> {
    const kind = q.resolution === '15m' ? 'rollup_15m' : 'rollup_1h';
    const where: string[] = ['bucket_ms >= ?', 'bucket_ms < ?'];
    const args: unknown[] = [q.fromMs, q.toMs];
    if (q.metrics) {
      where.push(`metric IN (${q.metrics.map(() => '?').join(', ')})`);
      args.push(...q.metrics);
    }
    if (q.edgeId !== undefined) {
      where.push('edge_id = ?');
      args.push(q.edgeId);
    }
    if (q.deviceId !== undefined) {
      where.push('device_id = ?');
      args.push(q.deviceId);
    }
    const rows: RollupRow[] = [];
    for (const table of tablesBetween(this.#tables, kind, q.fromMs, q.toMs))
      rows.push(
        ...(this.#db
          .prepare(
            `SELECT edge_id AS edgeId, device_id AS deviceId, metric, bucket_ms AS bucketMs, n, sum, min, max,
              first_ms AS firstMs, first, last_ms AS lastMs, last, increase FROM "${table.name}" WHERE ${where.join(' AND ')}`,
          )
          .all(...args) as RollupRow[]),
      );
    return rows.sort(
      (a, b) =>
        cmp(a.edgeId, b.edgeId) ||
        cmp(a.deviceId, b.deviceId) ||
        cmp(a.metric, b.metric) ||
        a.bucketMs - b.bucketMs,
    );
  }

  async latest(): Promise<LatestRow[]> {
    return this.#s.latest.all() as LatestRow[];
  }

  /** Raw reading rows of one edge in every day table kept (a scan: tests and tools only). */
  countReadings(edgeId: string): number {
    let n = 0;
    for (const table of tablesBetween(this.#tables, 'readings', 0, Number.MAX_SAFE_INTEGER))
      n += this.#db
        .prepare(`SELECT COUNT(*) FROM "${table.name}" WHERE edge_id = ?`)
        .pluck()
        .get(edgeId) as number;
    return n;
  }

  async prune(nowMs: number, policy: RetentionPolicy): Promise<PruneReport> {
    const keep: Readonly<Record<BucketKind, number>> = {
      readings: policy.rawMs,
      rollup_15m: policy.rollup15mMs,
      rollup_1h: policy.rollup1hMs,
    };
    const dropped: string[] = [];
    for (const name of [...this.#tables]) {
      const table = parseBucketTable(name)!;
      // A table goes once all of its period is older than what its class keeps.
      if (table.endMs > nowMs - keep[table.kind]) continue;
      this.#db.exec(`DROP TABLE "${name}"`);
      this.#forget(name);
      dropped.push(name);
    }
    const eventsDeleted = this.#s.deleteEvents.run(nowMs - policy.eventsMs).changes;
    return { dropped: dropped.sort(), eventsDeleted };
  }
}

const values = (n: number, columns: number): string => {
  const one = `(${new Array(columns).fill('?').join(', ')})`;
  return new Array(n).fill(one).join(', ');
};

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
