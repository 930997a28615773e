// What the NGSI-LD entities are built from, read from the coordinator's SQLite file over a
// read-only connection of its own (the store's class has no query for "latest value per device",
// and its file belongs to the ingest side). HAZARD: the readings table is keyed (edge, seq) with no
// index on device or time, so these queries scan it; the API caches one snapshot for a few seconds
// (ngsi-api.ts) and a "latest readings" table kept by ingest is the proper fix at fleet scale.
import Database from 'better-sqlite3';

export interface MetricValue {
  readonly value: number;
  readonly timeMs: number;
}

/** One device of one edge: the latest value of each metric, and the one before it. */
export interface DeviceReadings {
  readonly edgeId: string;
  readonly deviceId: string;
  readonly latest: ReadonlyMap<string, MetricValue>;
  readonly previous: ReadonlyMap<string, MetricValue>;
}

export interface FillPoint {
  readonly timeMs: number;
  readonly pct: number;
}

export class LiveReadings {
  readonly #db: Database.Database;
  readonly #s;

  /** Opens `file` read-only; the coordinator must have created it already. */
  constructor(file: string) {
    this.#db = new Database(file, { readonly: true, fileMustExist: true });
    this.#s = {
      lastTwo: this.#db.prepare(`
        SELECT edge_id AS edgeId, device_id AS deviceId, metric, value, time_ms AS timeMs, n FROM (
          SELECT edge_id, device_id, metric, value, time_ms,
            ROW_NUMBER() OVER (PARTITION BY edge_id, device_id, metric ORDER BY time_ms DESC, seq DESC) AS n
          FROM readings)
        WHERE n <= 2`),
      fillSince: this.#db.prepare(`
        SELECT edge_id AS edgeId, device_id AS deviceId, time_ms AS timeMs, value AS pct
        FROM readings WHERE metric = 'fill.pct' AND time_ms >= ? ORDER BY edge_id, device_id, time_ms`),
      activeAlarms: this.#db.prepare(`
        SELECT edge_id AS edgeId, device_id AS deviceId, code FROM (
          SELECT edge_id, device_id, code, active, severity,
            ROW_NUMBER() OVER (PARTITION BY edge_id, device_id, code ORDER BY seq DESC) AS n
          FROM events WHERE device_id <> '')
        WHERE n = 1 AND active = 1 AND severity >= 2`),
    };
  }

  devices(): DeviceReadings[] {
    type Row = { edgeId: string; deviceId: string; metric: string; value: number; timeMs: number; n: number };
    const byDevice = new Map<
      string,
      {
        edgeId: string;
        deviceId: string;
        latest: Map<string, MetricValue>;
        previous: Map<string, MetricValue>;
      }
    >();
    for (const r of this.#s.lastTwo.all() as Row[]) {
      const key = `${r.edgeId}\u0000${r.deviceId}`;
      let d = byDevice.get(key);
      if (!d)
        byDevice.set(
          key,
          (d = { edgeId: r.edgeId, deviceId: r.deviceId, latest: new Map(), previous: new Map() }),
        );
      (r.n === 1 ? d.latest : d.previous).set(r.metric, { value: r.value, timeMs: r.timeMs });
    }
    return [...byDevice.values()];
  }

  /** Fill readings since `sinceMs`, oldest first, by "edge\0device". */
  fillHistory(sinceMs: number): Map<string, FillPoint[]> {
    const out = new Map<string, FillPoint[]>();
    for (const r of this.#s.fillSince.all(sinceMs) as {
      edgeId: string;
      deviceId: string;
      timeMs: number;
      pct: number;
    }[]) {
      const key = `${r.edgeId}\u0000${r.deviceId}`;
      const list = out.get(key) ?? [];
      list.push({ timeMs: r.timeMs, pct: r.pct });
      out.set(key, list);
    }
    return out;
  }

  /** Alarm codes (warning or critical) whose latest event is still active, by "edge\0device". */
  activeAlarms(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const r of this.#s.activeAlarms.all() as { edgeId: string; deviceId: string; code: string }[]) {
      const key = `${r.edgeId}\u0000${r.deviceId}`;
      out.set(key, [...(out.get(key) ?? []), r.code]);
    }
    return out;
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
