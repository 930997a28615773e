// Moves the readings of a database made before day tables (migration 5) into them, once, at the
// first start of the new code: each edge's held seqs above its contiguous one become its seq
// ranges (edge-seqs.ts; read through the old (edge, seq) key, so no scan), every row goes to its
// day table and into the rollups and latest values, and the old table is dropped. One
// transaction: a crash half-way leaves the old table as it was, and the next start does it again.
import type Database from 'better-sqlite3';
import { EdgeSeqs } from '../edge-seqs.js';
import { HOUR_MS, latestOf, QUARTER_MS, rollUp, type EdgeReadings } from '../series-rollup.js';
import type { ReadingRow } from '../store-types.js';
import type { SqliteSeries } from './sqlite-series.js';

/** Rows moved per step: bounds the memory the move takes, whatever the table's size. */
const CHUNK = 10_000;

export function moveLegacyReadings(db: Database.Database, series: SqliteSeries): number {
  const legacy = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'readings'").get();
  if (!legacy) return 0;
  let moved = 0;
  try {
    db.transaction(() => {
      const above = db.prepare<[string, number, string, number], { seq: number }>(
        'SELECT seq FROM readings WHERE edge_id = ? AND seq > ? UNION SELECT seq FROM events WHERE edge_id = ? AND seq > ?',
      );
      const setRanges = db.prepare('UPDATE ingest_stats SET seq_ranges = ? WHERE edge_id = ?');
      const edges = db
        .prepare('SELECT edge_id AS edgeId, highest_contiguous_seq AS contiguous FROM ingest_stats')
        .all() as { edgeId: string; contiguous: number }[];
      for (const { edgeId, contiguous } of edges) {
        const seqs = new EdgeSeqs(contiguous);
        seqs.add(above.all(edgeId, contiguous, edgeId, contiguous).map((r) => r.seq));
        setRanges.run(seqs.encode(), edgeId);
      }
      let chunk: EdgeReadings[] = [];
      let rows = 0;
      const flush = (): void => {
        series.prepareTables(chunk);
        series.writeReadings(chunk);
        series.writeRollups('rollup_15m', rollUp(chunk, QUARTER_MS));
        series.writeRollups('rollup_1h', rollUp(chunk, HOUR_MS));
        series.writeLatest(latestOf(chunk));
        moved += rows;
        chunk = [];
        rows = 0;
      };
      const all = db.prepare(
        'SELECT edge_id AS edgeId, seq, device_id AS deviceId, metric, value, time_ms AS timeMs FROM readings',
      );
      for (const r of all.iterate() as IterableIterator<ReadingRow & { edgeId: string }>) {
        chunk.push({ edgeId: r.edgeId, readings: [r] });
        if (++rows >= CHUNK) flush();
      }
      flush();
      db.exec('DROP TABLE readings');
    })();
    series.committed();
  } catch (err) {
    series.rolledBack();
    throw err;
  }
  return moved;
}
