// The KPI readings the dashboard reads from the coordinator's SQLite file, over a read-only
// connection of its own (edges and alarms come from the store). Read-only so that a dashboard bug
// can never write fleet data; WAL lets it read while ingest commits.
//
// HAZARD: `readings` is keyed (edge, seq) with no index on time or metric, so readingsSince() scans
// the table. The KPI builder caches its result for a few seconds (fleet-kpis.ts), so a room full of
// open dashboards costs one scan per period, not one per page; a per-metric rollup kept by ingest
// is the fix at city scale (the same hazard cloud/ngsi/live-readings.ts notes).
import Database from 'better-sqlite3';

export type { FleetEdge } from '../store/store-types.js';

export interface MetricRow {
  readonly edgeId: string;
  readonly deviceId: string;
  readonly metric: string;
  readonly value: number;
  readonly timeMs: number;
}

/** The metrics the KPIs are built from (names as the edge publishes them, edge/devices/pieces.ts). */
export const KPI_METRICS = ['energy.wh', 'count.veh', 'occupancy.pct', 'fill.pct'] as const;

export class FleetReader {
  readonly #db: Database.Database;
  readonly #s;

  /** Opens `file` read-only; the coordinator has created and migrated it already. */
  constructor(file: string) {
    this.#db = new Database(file, { readonly: true, fileMustExist: true });
    this.#db.pragma('busy_timeout = 5000');
    this.#s = {
      readings: this.#db.prepare(`
        SELECT edge_id AS edgeId, device_id AS deviceId, metric, value, time_ms AS timeMs
        FROM readings
        WHERE time_ms >= ? AND metric IN (${KPI_METRICS.map((m) => `'${m}'`).join(', ')})
        ORDER BY edge_id, device_id, metric, time_ms`),
    };
  }

  /** KPI readings since `sinceMs`, ordered by edge, device, metric and time. */
  readingsSince(sinceMs: number): MetricRow[] {
    return this.#s.readings.all(sinceMs) as MetricRow[];
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
