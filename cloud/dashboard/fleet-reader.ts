// What the dashboard reads from the coordinator's database, over a read-only connection of its own
// (the store's class answers the ingest side's questions, not "which alarms are active"). Read-only
// so that a dashboard bug can never write fleet data; WAL lets it read while ingest commits.
//
// HAZARD: `readings` is keyed (edge, seq) with no index on time or metric, so readingsSince() scans
// the table. The KPI builder caches its result for a few seconds (fleet-kpis.ts), so a room full of
// open dashboards costs one scan per period, not one per page; a per-metric rollup kept by ingest
// is the fix at city scale (the same hazard cloud/ngsi/live-readings.ts notes).
import Database from 'better-sqlite3';

export interface FleetEdge {
  readonly id: string;
  /** Registered district; "" for an edge that only ever sent data. */
  readonly district: string;
  readonly tags: readonly string[];
  readonly softwareVersion: string;
  readonly lastSeenMs: number | null;
  /** Outbox rows waiting on the edge, from its last heartbeat. */
  readonly outboxPending: number;
  /** Version from the last heartbeat, or the highest version it acked as applied if newer. */
  readonly policyVersion: number;
  readonly devicesUnavailable: number;
  readonly readingsReceived: number;
}

export interface FleetAlarm {
  readonly edgeId: string;
  readonly deviceId: string;
  readonly code: string;
  /** calle.v1.Severity: 2 warning, 3 critical. */
  readonly severity: number;
  readonly message: string;
  readonly timeMs: number;
}

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
      // Heartbeats come every 10 s; an ack arrives the moment a version is applied. The newer of
      // the two is what the edge runs (light test edges never heartbeat at all).
      edges: this.#db.prepare(`
        SELECT e.id, e.district, e.tags, e.software_version AS softwareVersion,
          e.last_seen_ms AS lastSeenMs, e.outbox_pending AS outboxPending,
          MAX(e.policy_version, COALESCE(
            (SELECT MAX(a.version) FROM policy_acks a WHERE a.edge_id = e.id AND a.applied = 1), 0))
            AS policyVersion,
          e.devices_unavailable AS devicesUnavailable,
          COALESCE(s.readings_received, 0) AS readingsReceived
        FROM edges e LEFT JOIN ingest_stats s ON s.edge_id = e.id
        UNION ALL
        SELECT s.edge_id, '', '[]', '', NULL, 0, 0, 0, s.readings_received
        FROM ingest_stats s WHERE s.edge_id NOT IN (SELECT id FROM edges)
        ORDER BY 2, 1`),
      // An alarm is active when the newest event for its (edge, device, code) says so.
      alarms: this.#db.prepare(`
        SELECT edge_id AS edgeId, device_id AS deviceId, code, severity, message, time_ms AS timeMs FROM (
          SELECT edge_id, device_id, code, severity, message, time_ms, active,
            ROW_NUMBER() OVER (PARTITION BY edge_id, device_id, code ORDER BY seq DESC) AS n
          FROM events)
        WHERE n = 1 AND active = 1 AND severity >= 2
        ORDER BY severity DESC, time_ms DESC`),
      readings: this.#db.prepare(`
        SELECT edge_id AS edgeId, device_id AS deviceId, metric, value, time_ms AS timeMs
        FROM readings
        WHERE time_ms >= ? AND metric IN (${KPI_METRICS.map((m) => `'${m}'`).join(', ')})
        ORDER BY edge_id, device_id, metric, time_ms`),
    };
  }

  edges(): FleetEdge[] {
    return (this.#s.edges.all() as (Omit<FleetEdge, 'tags'> & { tags: string })[]).map((e) => ({
      ...e,
      tags: JSON.parse(e.tags) as string[],
    }));
  }

  activeAlarms(): FleetAlarm[] {
    return this.#s.alarms.all() as FleetAlarm[];
  }

  /** KPI readings since `sinceMs`, ordered by edge, device, metric and time. */
  readingsSince(sinceMs: number): MetricRow[] {
    return this.#s.readings.all(sinceMs) as MetricRow[];
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
