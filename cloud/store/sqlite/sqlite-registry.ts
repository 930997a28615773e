// The fleet registry on SQLite (RegistryStore). Register and Heartbeat go through the group
// committer: calls arriving together share one commit (issue #5), each answered after it.
/* eslint-disable @typescript-eslint/require-await -- the store's interface is asynchronous (PostgreSQL is a round trip); here each method is one synchronous better-sqlite3 call, and `async` turns its throw into a rejection. */
import type Database from 'better-sqlite3';
import type { RegistryStore } from '../coordinator-store.js';
import type { GroupCommitter } from '../group-committer.js';
import type {
  EdgeHeartbeat,
  EdgeRecord,
  EdgeRegistration,
  EdgeRegistryRow,
  EdgeStatusRow,
  EdgeView,
  FleetEdge,
  IngestStats,
  RegistryChange,
} from '../store-types.js';
import { statsColumns } from './sqlite-stats.js';

type Tagged<T> = Omit<T, 'tags'> & { tags: string };
const untag = <T extends { tags: readonly string[] }>(row: Tagged<T>): T =>
  ({ ...row, tags: JSON.parse(row.tags) as string[] }) as unknown as T;

export class SqliteRegistry implements RegistryStore {
  readonly #grouped: GroupCommitter;
  readonly #changed: (change: RegistryChange) => void;
  readonly #s;

  constructor(db: Database.Database, grouped: GroupCommitter, changed: (change: RegistryChange) => void) {
    this.#grouped = grouped;
    this.#changed = changed;
    this.#s = {
      upsert: db.prepare(`
        INSERT INTO edges (id, district, tags, software_version, registered_ms, last_seen_ms)
        VALUES (@id, @district, @tags, @softwareVersion, @nowMs, @nowMs)
        ON CONFLICT (id) DO UPDATE SET district = excluded.district, tags = excluded.tags,
          software_version = excluded.software_version, last_seen_ms = excluded.last_seen_ms`),
      heartbeat: db.prepare(`
        UPDATE edges SET last_seen_ms = @nowMs, highest_seq = @highestSeq,
          outbox_pending = @outboxPending, policy_version = @policyVersion,
          devices_unavailable = @devicesUnavailable
        WHERE id = @id`),
      get: db.prepare(`
        SELECT id, district, tags, software_version AS softwareVersion, registered_ms AS registeredMs,
          last_seen_ms AS lastSeenMs, policy_version AS policyVersion
        FROM edges WHERE id = ?`),
      // Registered edges first, then edges that sent data but never registered (district NULL):
      // an operator wants to see those too, they are usually a misconfigured cabinet.
      listStatus: db.prepare(`
        SELECT e.id, e.district, e.last_seen_ms AS lastSeenMs, e.policy_version AS policyVersion,
          ${statsColumns('s')}
        FROM edges e LEFT JOIN ingest_stats s ON s.edge_id = e.id
        UNION ALL
        SELECT s.edge_id, NULL, NULL, 0, ${statsColumns('s')}
        FROM ingest_stats s WHERE s.edge_id NOT IN (SELECT id FROM edges)
        ORDER BY 1`),
      registered: db.prepare('SELECT id, district, tags FROM edges ORDER BY id'),
      // Heartbeats come every 10 s; an ack arrives the moment a version is applied. The newer of
      // the two is what the edge runs (light test edges never heartbeat at all).
      fleet: db.prepare(`
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
      getRow: db.prepare(`
        SELECT id, district, tags, software_version AS softwareVersion, registered_ms AS registeredMs,
          last_seen_ms AS lastSeenMs, highest_seq AS highestSeq, outbox_pending AS outboxPending,
          policy_version AS policyVersion, devices_unavailable AS devicesUnavailable
        FROM edges WHERE id = ?`),
      // A replica's copy of a row: newer last-seen wins, so a stale copy (another replica's
      // throttled heartbeat, cloud/replication) never moves a fresher local row back.
      putRow: db.prepare(`
        INSERT INTO edges (id, district, tags, software_version, registered_ms, last_seen_ms,
          highest_seq, outbox_pending, policy_version, devices_unavailable)
        VALUES (@id, @district, @tags, @softwareVersion, @registeredMs, @lastSeenMs, @highestSeq,
          @outboxPending, @policyVersion, @devicesUnavailable)
        ON CONFLICT (id) DO UPDATE SET district = excluded.district, tags = excluded.tags,
          software_version = excluded.software_version,
          registered_ms = MIN(registered_ms, excluded.registered_ms),
          last_seen_ms = excluded.last_seen_ms, highest_seq = excluded.highest_seq,
          outbox_pending = excluded.outbox_pending, policy_version = excluded.policy_version,
          devices_unavailable = excluded.devices_unavailable
        WHERE COALESCE(excluded.last_seen_ms, 0) >= COALESCE(edges.last_seen_ms, 0)`),
    };
  }

  async register(r: EdgeRegistration): Promise<void> {
    await this.#grouped.submit(() => this.registerNow(r));
  }

  /** register(), synchronously, inside the caller's transaction. */
  registerNow(r: EdgeRegistration): void {
    this.#s.upsert.run({ ...r, tags: JSON.stringify(r.tags) });
    this.#changed({ kind: 'edge', id: r.id, heartbeat: false });
  }

  async heartbeat(h: EdgeHeartbeat): Promise<boolean> {
    return this.#grouped.submit(() => {
      const known = this.#s.heartbeat.run(h).changes > 0;
      if (known) this.#changed({ kind: 'edge', id: h.id, heartbeat: true });
      return known;
    });
  }

  async get(id: string): Promise<EdgeRecord | undefined> {
    return this.getNow(id);
  }

  /** get(), synchronously (inside another SQLite transaction). */
  getNow(id: string): EdgeRecord | undefined {
    const row = this.#s.get.get(id) as Tagged<EdgeRecord> | undefined;
    return row && untag(row);
  }

  async listStatus(): Promise<EdgeStatusRow[]> {
    type Row = IngestStats & Pick<EdgeStatusRow, 'id' | 'district' | 'lastSeenMs' | 'policyVersion'>;
    return (this.#s.listStatus.all() as Row[]).map(
      ({ id, district, lastSeenMs, policyVersion, ...stats }) => ({
        id,
        district,
        lastSeenMs,
        policyVersion,
        stats,
      }),
    );
  }

  async listRegistered(): Promise<EdgeView[]> {
    return (this.#s.registered.all() as Tagged<EdgeView>[]).map((e) => untag<EdgeView>(e));
  }

  async fleet(): Promise<FleetEdge[]> {
    return (this.#s.fleet.all() as Tagged<FleetEdge>[]).map((e) => untag<FleetEdge>(e));
  }

  // --- SQLite replicas (cloud/replication, KV mode): synchronous, not part of RegistryStore ------

  /** Every registry column of one edge, as the KV copy carries it. */
  registryRow(id: string): EdgeRegistryRow | undefined {
    const row = this.#s.getRow.get(id) as Tagged<EdgeRegistryRow> | undefined;
    return row && untag(row);
  }

  /**
   * Stores another replica's copy of an edge's row, unless the row held here was seen more
   * recently. Not reported to the change listener (it came from the replicas). Returns whether
   * the row was written.
   */
  putReplicated(row: EdgeRegistryRow): boolean {
    return this.#s.putRow.run({ ...row, tags: JSON.stringify(row.tags) }).changes > 0;
  }
}
