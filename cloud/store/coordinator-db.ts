// The coordinator's SQLite store: fleet registry, ingested telemetry and events with their
// delivery accounting, policies and acknowledgements. Every method is synchronous and every write
// is one transaction, so a caller can ack a NATS message right after a method returns and know the
// data is on disk.
import Database from 'better-sqlite3';
import { migrate } from './migrations.js';

export interface EdgeRegistration {
  readonly id: string;
  readonly district: string;
  readonly tags: readonly string[];
  readonly softwareVersion: string;
  readonly nowMs: number;
}

export interface EdgeHeartbeat {
  readonly id: string;
  readonly nowMs: number;
  readonly highestSeq: number;
  readonly outboxPending: number;
  readonly policyVersion: number;
  readonly devicesUnavailable: number;
}

export interface EdgeRecord {
  readonly id: string;
  readonly district: string;
  readonly tags: readonly string[];
  readonly softwareVersion: string;
  readonly registeredMs: number;
  readonly lastSeenMs: number | null;
  readonly policyVersion: number;
}

export interface ReadingRow {
  readonly seq: number;
  readonly deviceId: string;
  readonly metric: string;
  readonly value: number;
  readonly timeMs: number;
}

export interface EventRow {
  readonly edgeId: string;
  readonly seq: number;
  readonly code: string;
  readonly severity: number;
  readonly deviceId: string;
  readonly message: string;
  readonly timeMs: number;
  readonly active: boolean;
}

export interface IngestStats {
  readonly readingsReceived: number;
  readonly eventsReceived: number;
  readonly duplicates: number;
  readonly highestSeq: number;
  readonly highestContiguousSeq: number;
  /** Sequence numbers below highestSeq that never arrived. */
  readonly gaps: number;
}

/** One row of the fleet overview: a registered edge, or one that only ever sent data. */
export interface EdgeStatusRow {
  readonly id: string;
  readonly district: string | null;
  readonly lastSeenMs: number | null;
  readonly policyVersion: number;
  readonly stats: IngestStats;
}

export interface StoredPolicy {
  readonly version: number;
  readonly bundle: Uint8Array;
}

export interface PolicyAckRow {
  readonly edgeId: string;
  readonly version: number;
  readonly applied: boolean;
  readonly reason: string;
  readonly timeMs: number;
}

// Readings and events share one sequence counter per edge, so "is seq N stored?" asks both tables.
// gaps = highest_seq - distinct seqs stored: every seq 1..highest_seq is either stored or missing,
// which makes the gap count free instead of a scan. MAX(0, …) guards against an edge that (wrongly)
// used one seq for both a reading and an event. COALESCE covers edges with no stats row yet.
const statsColumns = (t: string): string => `
  COALESCE(${t}.readings_received, 0) AS readingsReceived,
  COALESCE(${t}.events_received, 0) AS eventsReceived,
  COALESCE(${t}.duplicates, 0) AS duplicates,
  COALESCE(${t}.highest_seq, 0) AS highestSeq,
  COALESCE(${t}.highest_contiguous_seq, 0) AS highestContiguousSeq,
  MAX(0, COALESCE(${t}.highest_seq - ${t}.readings_received - ${t}.events_received, 0)) AS gaps`;

export class CoordinatorDb {
  readonly #db: Database.Database;
  // Statements are prepared once here; preparing per call costs a parse each time on a hot path.
  readonly #s;

  /** Opens (creating if needed) and migrates the database file. Throws on a newer schema. */
  constructor(file: string) {
    const db = new Database(file);
    try {
      db.pragma('journal_mode = WAL');
      // better-sqlite3 builds SQLite with WAL defaulting to synchronous=NORMAL, where the last
      // commits can roll back after a power cut (REFERENCE §6). We ack NATS messages after commit,
      // so a commit must be durable: FULL fsyncs the WAL on every commit.
      db.pragma('synchronous = FULL');
      migrate(db, file);
    } catch (err) {
      db.close();
      throw err;
    }
    this.#db = db;
    this.#s = {
      upsertEdge: db.prepare(`
        INSERT INTO edges (id, district, tags, software_version, registered_ms, last_seen_ms)
        VALUES (@id, @district, @tags, @softwareVersion, @nowMs, @nowMs)
        ON CONFLICT (id) DO UPDATE SET district = excluded.district, tags = excluded.tags,
          software_version = excluded.software_version, last_seen_ms = excluded.last_seen_ms`),
      heartbeat: db.prepare(`
        UPDATE edges SET last_seen_ms = @nowMs, highest_seq = @highestSeq,
          outbox_pending = @outboxPending, policy_version = @policyVersion,
          devices_unavailable = @devicesUnavailable
        WHERE id = @id`),
      getEdge: db.prepare(`
        SELECT id, district, tags, software_version AS softwareVersion, registered_ms AS registeredMs,
          last_seen_ms AS lastSeenMs, policy_version AS policyVersion
        FROM edges WHERE id = ?`),
      insertReading: db.prepare(`
        INSERT OR IGNORE INTO readings (edge_id, seq, device_id, metric, value, time_ms)
        VALUES (@edgeId, @seq, @deviceId, @metric, @value, @timeMs)`),
      insertEvent: db.prepare(`
        INSERT OR IGNORE INTO events (edge_id, seq, code, severity, device_id, message, time_ms, active)
        VALUES (@edgeId, @seq, @code, @severity, @deviceId, @message, @timeMs, @active)`),
      ensureStats: db.prepare('INSERT OR IGNORE INTO ingest_stats (edge_id) VALUES (?)'),
      addStats: db.prepare(`
        UPDATE ingest_stats SET readings_received = readings_received + @readings,
          events_received = events_received + @events, duplicates = duplicates + @duplicates,
          highest_seq = MAX(highest_seq, @highestSeq)
        WHERE edge_id = @edgeId`),
      getContiguous: db.prepare('SELECT highest_contiguous_seq FROM ingest_stats WHERE edge_id = ?').pluck(),
      setContiguous: db.prepare('UPDATE ingest_stats SET highest_contiguous_seq = ? WHERE edge_id = ?'),
      seqStored: db
        .prepare(
          `SELECT EXISTS (SELECT 1 FROM readings WHERE edge_id = @edgeId AND seq = @seq)
               OR EXISTS (SELECT 1 FROM events WHERE edge_id = @edgeId AND seq = @seq)`,
        )
        .pluck(),
      getStats: db.prepare(`SELECT ${statsColumns('s')} FROM ingest_stats s WHERE edge_id = ?`),
      countReadings: db.prepare('SELECT COUNT(*) FROM readings WHERE edge_id = ?').pluck(),
      listEvents: db.prepare(`
        SELECT edge_id AS edgeId, seq, code, severity, device_id AS deviceId, message,
          time_ms AS timeMs, active FROM events WHERE edge_id = ? ORDER BY seq`),
      // Registered edges first, then edges that sent data but never registered (district NULL):
      // an operator wants to see those too, they are usually a misconfigured cabinet.
      listEdgeStatus: db.prepare(`
        SELECT e.id, e.district, e.last_seen_ms AS lastSeenMs, e.policy_version AS policyVersion,
          ${statsColumns('s')}
        FROM edges e LEFT JOIN ingest_stats s ON s.edge_id = e.id
        UNION ALL
        SELECT s.edge_id, NULL, NULL, 0, ${statsColumns('s')}
        FROM ingest_stats s WHERE s.edge_id NOT IN (SELECT id FROM edges)
        ORDER BY 1`),
      nextPolicyVersion: db.prepare('SELECT COALESCE(MAX(version), 0) + 1 FROM policies').pluck(),
      insertPolicy: db.prepare('INSERT INTO policies (version, bundle, created_ms) VALUES (?, ?, ?)'),
      policiesAfter: db.prepare('SELECT version, bundle FROM policies WHERE version > ? ORDER BY version'),
      policyExists: db.prepare('SELECT EXISTS (SELECT 1 FROM policies WHERE version = ?)').pluck(),
      upsertAck: db.prepare(`
        INSERT INTO policy_acks (edge_id, version, applied, reason, time_ms)
        VALUES (@edgeId, @version, @applied, @reason, @timeMs)
        ON CONFLICT (edge_id, version) DO UPDATE SET applied = excluded.applied,
          reason = excluded.reason, time_ms = excluded.time_ms`),
      listAcks: db.prepare(`
        SELECT edge_id AS edgeId, version, applied, reason, time_ms AS timeMs
        FROM policy_acks WHERE version = ? ORDER BY edge_id`),
    };
  }

  // --- fleet registry -------------------------------------------------------------------------

  /** Creates the edge or updates its details; registered_ms keeps the first registration. */
  upsertEdge(r: EdgeRegistration): void {
    this.#s.upsertEdge.run({ ...r, tags: JSON.stringify(r.tags) });
  }

  /** Records a heartbeat. Returns false if the edge is not registered. */
  recordHeartbeat(h: EdgeHeartbeat): boolean {
    return this.#s.heartbeat.run(h).changes > 0;
  }

  getEdge(id: string): EdgeRecord | undefined {
    const row = this.#s.getEdge.get(id) as (Omit<EdgeRecord, 'tags'> & { tags: string }) | undefined;
    return row && { ...row, tags: JSON.parse(row.tags) as string[] };
  }

  listEdgeStatus(): EdgeStatusRow[] {
    type Row = IngestStats & Pick<EdgeStatusRow, 'id' | 'district' | 'lastSeenMs' | 'policyVersion'>;
    return (this.#s.listEdgeStatus.all() as Row[]).map(
      ({ id, district, lastSeenMs, policyVersion, ...stats }) => ({
        id,
        district,
        lastSeenMs,
        policyVersion,
        stats,
      }),
    );
  }

  // --- ingest ---------------------------------------------------------------------------------

  /** Stores one batch of readings in one transaction; readings already held count as duplicates. */
  ingestReadings(edgeId: string, readings: readonly ReadingRow[]): { stored: number; duplicates: number } {
    return this.#ingest(edgeId, () => {
      let stored = 0;
      let maxSeq = 0;
      for (const r of readings) {
        stored += this.#s.insertReading.run({ edgeId, ...r }).changes;
        if (r.seq > maxSeq) maxSeq = r.seq;
      }
      return { stored, seen: readings.length, maxSeq, events: false };
    });
  }

  /** Stores one event; an event already held counts as a duplicate. */
  ingestEvent(event: EventRow): { stored: number; duplicates: number } {
    return this.#ingest(event.edgeId, () => {
      const stored = this.#s.insertEvent.run({ ...event, active: event.active ? 1 : 0 }).changes;
      return { stored, seen: 1, maxSeq: event.seq, events: true };
    });
  }

  #ingest(
    edgeId: string,
    insert: () => { stored: number; seen: number; maxSeq: number; events: boolean },
  ): { stored: number; duplicates: number } {
    return this.#db.transaction(() => {
      this.#s.ensureStats.run(edgeId);
      const { stored, seen, maxSeq, events } = insert();
      const duplicates = seen - stored;
      this.#s.addStats.run({
        edgeId,
        readings: events ? 0 : stored,
        events: events ? stored : 0,
        duplicates,
        highestSeq: stored > 0 ? maxSeq : 0,
      });
      if (stored > 0) this.#advanceContiguous(edgeId);
      return { stored, duplicates };
    })();
  }

  /**
   * Moves highest_contiguous_seq forward while the next seq is stored. Each stored seq is passed
   * over at most once in the edge's lifetime, so the cost is one indexed lookup per stored row plus
   * one per message, never a scan of the edge's history.
   */
  #advanceContiguous(edgeId: string): void {
    const start = this.#s.getContiguous.get(edgeId) as number;
    let seq = start;
    while (this.#s.seqStored.get({ edgeId, seq: seq + 1 }) === 1) seq++;
    if (seq !== start) this.#s.setContiguous.run(seq, edgeId);
  }

  ingestStats(edgeId: string): IngestStats | undefined {
    return this.#s.getStats.get(edgeId) as IngestStats | undefined;
  }

  countReadings(edgeId: string): number {
    return this.#s.countReadings.get(edgeId) as number;
  }

  listEvents(edgeId: string): EventRow[] {
    return (this.#s.listEvents.all(edgeId) as (Omit<EventRow, 'active'> & { active: number })[]).map((e) => ({
      ...e,
      active: e.active === 1,
    }));
  }

  // --- policies -------------------------------------------------------------------------------

  /**
   * Assigns the next policy version and stores the bundle that `encode` produces for it, in one
   * transaction, so two publishers can never hand out the same version.
   */
  storePolicy(encode: (version: number) => Uint8Array, createdMs: number): number {
    return this.#db.transaction(() => {
      const version = this.#s.nextPolicyVersion.get() as number;
      this.#s.insertPolicy.run(version, encode(version), createdMs);
      return version;
    })();
  }

  /** Stored policies with a version above `version`, oldest first. */
  policiesAfter(version: number): StoredPolicy[] {
    return this.#s.policiesAfter.all(version) as StoredPolicy[];
  }

  policyExists(version: number): boolean {
    return this.#s.policyExists.get(version) === 1;
  }

  recordPolicyAck(ack: PolicyAckRow): void {
    this.#s.upsertAck.run({ ...ack, applied: ack.applied ? 1 : 0 });
  }

  listPolicyAcks(version: number): PolicyAckRow[] {
    return (this.#s.listAcks.all(version) as (Omit<PolicyAckRow, 'applied'> & { applied: number })[]).map(
      (a) => ({ ...a, applied: a.applied === 1 }),
    );
  }

  /** The durability settings in force on this connection (synchronous is per connection). */
  durability(): { journalMode: string; synchronous: number } {
    return {
      journalMode: this.#db.pragma('journal_mode', { simple: true }) as string,
      synchronous: this.#db.pragma('synchronous', { simple: true }) as number,
    };
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
