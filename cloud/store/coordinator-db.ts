// The coordinator's SQLite store: fleet registry, ingested telemetry and events with their
// delivery accounting, policies and acknowledgements. Every method is synchronous and every write
// is one transaction (or part of the caller's, see transaction() and `grouped`), so a caller can
// ack a NATS message right after a method returns and know the data is on disk.
import Database from 'better-sqlite3';
import { GroupCommitter } from './group-committer.js';
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

/** Every registry column of one edge, as replicas exchange it (cloud/replication). */
export interface EdgeRegistryRow {
  readonly id: string;
  readonly district: string;
  readonly tags: readonly string[];
  readonly softwareVersion: string;
  readonly registeredMs: number;
  readonly lastSeenMs: number | null;
  readonly highestSeq: number;
  readonly outboxPending: number;
  readonly policyVersion: number;
  readonly devicesUnavailable: number;
}

/**
 * A change to the fleet registry or the acks, reported to the change listener (cloud/replication
 * copies them to the other replicas). Reported inside the writing transaction, which may still
 * roll back: a listener should read the committed row later, not trust the event's timing.
 */
export type RegistryChange =
  | { readonly kind: 'edge'; readonly id: string; readonly heartbeat: boolean }
  | { readonly kind: 'ack'; readonly edgeId: string; readonly version: number };

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

/** One ingested message: a batch of readings or one event, from one edge. */
export type IngestItem =
  | { readonly edgeId: string; readonly readings: readonly ReadingRow[] }
  | { readonly edgeId: string; readonly event: EventRow };

export type IngestItemResult =
  | { readonly ok: true; readonly stored: number; readonly duplicates: number }
  | { readonly ok: false; readonly error: unknown };

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

/** Rows per multi-row INSERT: 6 parameters each, far below SQLite's 32,766-parameter limit. */
const MAX_ROWS_PER_INSERT = 32;

/** Carries one message's storage failure out of the fast path of ingestMany. */
class ItemFailed extends Error {
  constructor(cause: unknown) {
    super('a message failed to store', { cause });
  }
}

/** Some rows of a batch were already held: the grouped path cannot tell which message's. */
class DuplicatesSeen extends Error {
  constructor() {
    super('rows already held');
  }
}

/** What inserting one message gave: rows stored, rows it carried, and its highest seq. */
interface Counted {
  readonly stored: number;
  readonly seen: number;
  readonly maxSeq: number;
}

const maxSeq = (item: { readonly readings: readonly ReadingRow[] }): number => {
  let max = 0;
  for (const r of item.readings) if (r.seq > max) max = r.seq;
  return max;
};

/** How #ingestAll inserts: see ingestMany. */
type IngestMode = 'grouped' | 'each' | 'isolate';

export class CoordinatorDb {
  readonly #db: Database.Database;
  /**
   * Shared group committer for small unary writes (Register, Heartbeat, Ack): writes submitted in
   * the same event-loop turn share one transaction and one fsync (group-committer.ts).
   */
  readonly grouped: GroupCommitter;
  // Statements are prepared once here; preparing per call costs a parse each time on a hot path.
  readonly #s;
  /** Multi-row reading inserts, by row count (1..MAX_ROWS_PER_INSERT), prepared on first use. */
  readonly #insertReadingsBy: Database.Statement[] = [];
  #onChange: ((change: RegistryChange) => void) | undefined;

  /** Opens (creating if needed) and migrates the database file. Throws on a newer schema. */
  constructor(file: string) {
    const db = new Database(file);
    try {
      db.pragma('journal_mode = WAL');
      // better-sqlite3 builds SQLite with WAL defaulting to synchronous=NORMAL, where the last
      // commits can roll back after a power cut (REFERENCE §6). We ack NATS messages after commit,
      // so a commit must be durable: FULL fsyncs the WAL on every commit.
      db.pragma('synchronous = FULL');
      // Checkpoint every ~16 MB of WAL rather than SQLite's 4 MB: ingest rewrites the same hot
      // leaf pages (one per edge) commit after commit, and a checkpoint copies each page once
      // however often it was rewritten, so rarer checkpoints copy and fsync far fewer pages
      // (issue #5: ~30 % less commit time at 1,024 messages per commit; the longest commit, the
      // one that checkpoints, measured no longer than at the default).
      db.pragma('wal_autocheckpoint = 4000');
      migrate(db, file);
    } catch (err) {
      db.close();
      throw err;
    }
    this.#db = db;
    this.grouped = new GroupCommitter(this);
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
      insertPolicyAt: db.prepare(
        'INSERT OR IGNORE INTO policies (version, bundle, created_ms) VALUES (?, ?, ?)',
      ),
      policiesAfter: db.prepare('SELECT version, bundle FROM policies WHERE version > ? ORDER BY version'),
      policyExists: db.prepare('SELECT EXISTS (SELECT 1 FROM policies WHERE version = ?)').pluck(),
      upsertAck: db.prepare(`
        INSERT INTO policy_acks (edge_id, version, applied, reason, time_ms)
        VALUES (@edgeId, @version, @applied, @reason, @timeMs)
        ON CONFLICT (edge_id, version) DO UPDATE SET applied = excluded.applied,
          reason = excluded.reason, time_ms = excluded.time_ms`),
      getRegistryRow: db.prepare(`
        SELECT id, district, tags, software_version AS softwareVersion, registered_ms AS registeredMs,
          last_seen_ms AS lastSeenMs, highest_seq AS highestSeq, outbox_pending AS outboxPending,
          policy_version AS policyVersion, devices_unavailable AS devicesUnavailable
        FROM edges WHERE id = ?`),
      // A replica's copy of a row: newer last-seen wins, so a stale copy (another replica's
      // throttled heartbeat, cloud/replication) never moves a fresher local row back.
      putRegistryRow: db.prepare(`
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
      getAck: db.prepare(`
        SELECT edge_id AS edgeId, version, applied, reason, time_ms AS timeMs
        FROM policy_acks WHERE version = ? AND edge_id = ?`),
      listAcks: db.prepare(`
        SELECT edge_id AS edgeId, version, applied, reason, time_ms AS timeMs
        FROM policy_acks WHERE version = ? ORDER BY edge_id`),
    };
  }

  // --- fleet registry -------------------------------------------------------------------------

  /** Creates the edge or updates its details; registered_ms keeps the first registration. */
  upsertEdge(r: EdgeRegistration): void {
    this.#s.upsertEdge.run({ ...r, tags: JSON.stringify(r.tags) });
    this.#changed({ kind: 'edge', id: r.id, heartbeat: false });
  }

  /** Records a heartbeat. Returns false if the edge is not registered. */
  recordHeartbeat(h: EdgeHeartbeat): boolean {
    const known = this.#s.heartbeat.run(h).changes > 0;
    if (known) this.#changed({ kind: 'edge', id: h.id, heartbeat: true });
    return known;
  }

  /** Every registry column of one edge (cloud/replication copies it to the other replicas). */
  edgeRegistryRow(id: string): EdgeRegistryRow | undefined {
    const row = this.#s.getRegistryRow.get(id) as
      (Omit<EdgeRegistryRow, 'tags'> & { tags: string }) | undefined;
    return row && { ...row, tags: JSON.parse(row.tags) as string[] };
  }

  /**
   * Stores another replica's copy of an edge's row, unless the row held here was seen more
   * recently. Not reported to the change listener (it came from the replicas). Returns whether
   * the row was written.
   */
  putReplicatedEdge(row: EdgeRegistryRow): boolean {
    return this.#s.putRegistryRow.run({ ...row, tags: JSON.stringify(row.tags) }).changes > 0;
  }

  /**
   * Reports registry and ack changes made through upsertEdge, recordHeartbeat and recordPolicyAck
   * to `listener` (one listener; undefined removes it). The replication layer uses it; a throw
   * from the listener fails the write, so it must only queue work.
   */
  setChangeListener(listener: ((change: RegistryChange) => void) | undefined): void {
    this.#onChange = listener;
  }

  #changed(change: RegistryChange): void {
    this.#onChange?.(change);
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
    return this.#one(this.ingestMany([{ edgeId, readings }])[0]!);
  }

  /** Stores one event; an event already held counts as a duplicate. */
  ingestEvent(event: EventRow): { stored: number; duplicates: number } {
    return this.#one(this.ingestMany([{ edgeId: event.edgeId, event }])[0]!);
  }

  #one(r: IngestItemResult): { stored: number; duplicates: number } {
    if (!r.ok) throw r.error;
    return { stored: r.stored, duplicates: r.duplicates };
  }

  /**
   * Stores many messages in ONE transaction (one fsync), each in its own savepoint: a message
   * whose rows fail to insert is rolled back alone and reported as failed, the others commit.
   * Rows already held, including ones stored earlier in the same call, count as duplicates.
   * Stats are summed per edge and the contiguous seq advanced once per edge after all inserts,
   * so several messages of one edge, in any order, give the same figures as one at a time.
   * Throws only if the transaction as a whole fails; then nothing was stored.
   */
  ingestMany(items: readonly IngestItem[]): IngestItemResult[] {
    // Three ways, fastest first; each later one redoes the whole batch after a rollback.
    // - grouped: the readings of all messages of one edge share multi-row INSERTs (1,024 messages
    //   from 100 edges: ~200 statement runs instead of 1,024, ~15 % less insert CPU). It counts
    //   stored rows per edge only, so if any row was already held (a redelivery) it cannot say
    //   which message held the duplicates, and gives way to
    // - each: one INSERT per message, no savepoints. A row that fails to insert is rare (the
    //   decoder refuses what the schema would); on a failure the batch is redone with
    // - isolate: one savepoint per message, so that the failing message alone is rolled back.
    for (const mode of ['grouped', 'each'] as const) {
      try {
        return this.#db.transaction(() => this.#ingestAll(items, mode))();
      } catch (err) {
        if (!(err instanceof ItemFailed) && !(err instanceof DuplicatesSeen)) throw err;
      }
    }
    return this.#db.transaction(() => this.#ingestAll(items, 'isolate'))();
  }

  #ingestAll(items: readonly IngestItem[], mode: IngestMode): IngestItemResult[] {
    const isolate = mode === 'isolate';
    const grouped = mode === 'grouped' ? this.#insertGrouped(items) : undefined;
    type Sums = { readings: number; events: number; duplicates: number; highestSeq: number };
    // Seqs held after this batch (stored now, or duplicates of rows stored before), per edge: lets
    // the contiguous-seq walk skip a database lookup for each of them.
    const held = new Map<string, Set<number>>();
    const perEdge = new Map<string, Sums>();
    const results = items.map((item, index): IngestItemResult => {
      let counted: Counted;
      try {
        counted =
          grouped?.[index] ??
          (isolate ? this.#db.transaction(() => this.#insertItem(item))() : this.#insertItem(item));
      } catch (error) {
        if (!isolate) throw new ItemFailed(error);
        // Some errors (SQLITE_FULL, I/O) make SQLite roll back the whole transaction: carrying on
        // would run the next messages in autocommit, outside the batch. Fail the batch instead.
        if (!this.#db.inTransaction) throw error;
        return { ok: false, error };
      }
      const { stored, seen, maxSeq } = counted;
      let seqs = held.get(item.edgeId);
      if (!seqs) held.set(item.edgeId, (seqs = new Set()));
      if ('event' in item) seqs.add(item.event.seq);
      else for (const r of item.readings) seqs.add(r.seq);
      let sums = perEdge.get(item.edgeId);
      if (!sums) perEdge.set(item.edgeId, (sums = { readings: 0, events: 0, duplicates: 0, highestSeq: 0 }));
      if ('event' in item) sums.events += stored;
      else sums.readings += stored;
      sums.duplicates += seen - stored;
      if (stored > 0 && maxSeq > sums.highestSeq) sums.highestSeq = maxSeq;
      return { ok: true, stored, duplicates: seen - stored };
    });
    for (const [edgeId, sums] of perEdge) {
      this.#s.ensureStats.run(edgeId);
      this.#s.addStats.run({ edgeId, ...sums });
      if (sums.readings + sums.events > 0) this.#advanceContiguous(edgeId, held.get(edgeId));
    }
    return results;
  }

  #insertReadings(n: number): Database.Statement {
    let statement = this.#insertReadingsBy[n];
    if (!statement) {
      const values = Array.from({ length: n }, () => '(?, ?, ?, ?, ?, ?)').join(', ');
      statement = this.#db.prepare(
        `INSERT OR IGNORE INTO readings (edge_id, seq, device_id, metric, value, time_ms) VALUES ${values}`,
      );
      this.#insertReadingsBy[n] = statement;
    }
    return statement;
  }

  #insertItem(item: IngestItem): Counted {
    const { edgeId } = item;
    if ('event' in item) {
      const e = item.event;
      const stored = this.#s.insertEvent.run({ ...e, edgeId, active: e.active ? 1 : 0 }).changes;
      return { stored, seen: 1, maxSeq: e.seq };
    }
    // Any row stored means every row is now held, so the highest seq of the message is the
    // highest stored (a duplicate was stored before).
    return {
      stored: this.#insertRows(edgeId, item.readings),
      seen: item.readings.length,
      maxSeq: maxSeq(item),
    };
  }

  /**
   * The grouped way of ingestMany: inserts the readings of every message, edge by edge, and
   * returns each reading message's count (events are left to #insertItem: undefined). Throws
   * DuplicatesSeen if any row was already held, since it cannot say whose it was.
   */
  #insertGrouped(items: readonly IngestItem[]): (Counted | undefined)[] {
    const byEdge = new Map<string, ReadingRow[]>();
    const counted = items.map((item): Counted | undefined => {
      if ('event' in item) return undefined;
      let rows = byEdge.get(item.edgeId);
      if (!rows) byEdge.set(item.edgeId, (rows = []));
      for (const r of item.readings) rows.push(r);
      const n = item.readings.length;
      return { stored: n, seen: n, maxSeq: maxSeq(item) };
    });
    for (const [edgeId, rows] of byEdge) {
      let stored: number;
      try {
        stored = this.#insertRows(edgeId, rows);
      } catch (error) {
        throw new ItemFailed(error);
      }
      if (stored !== rows.length) throw new DuplicatesSeen();
    }
    return counted;
  }

  /**
   * Inserts one edge's readings, several rows per INSERT: each statement run crosses into SQLite
   * once, and that crossing, not the B-tree work, dominates at a few µs per row. Returns the rows
   * stored (the rest were already held).
   */
  #insertRows(edgeId: string, rows: readonly ReadingRow[]): number {
    let stored = 0;
    for (let at = 0; at < rows.length; at += MAX_ROWS_PER_INSERT) {
      const n = Math.min(MAX_ROWS_PER_INSERT, rows.length - at);
      const args = new Array<string | number>(n * 6);
      for (let i = 0; i < n; i++) {
        const r = rows[at + i]!;
        args[i * 6] = edgeId;
        args[i * 6 + 1] = r.seq;
        args[i * 6 + 2] = r.deviceId;
        args[i * 6 + 3] = r.metric;
        args[i * 6 + 4] = r.value;
        args[i * 6 + 5] = r.timeMs;
      }
      stored += this.#insertReadings(n).run(args).changes;
    }
    return stored;
  }

  /**
   * Moves highest_contiguous_seq forward while the next seq is stored (in `known`, seqs the caller
   * knows to be held, or else in either table). Each stored seq is passed over at most once in
   * the edge's lifetime, so the cost is at most one indexed lookup per stored row (none for rows
   * of the batch in `known`) plus one per edge and batch, never a scan of the edge's history.
   */
  #advanceContiguous(edgeId: string, known?: ReadonlySet<number>): void {
    const start = this.#s.getContiguous.get(edgeId) as number;
    let seq = start;
    while (known?.has(seq + 1) || this.#s.seqStored.get({ edgeId, seq: seq + 1 }) === 1) seq++;
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

  /**
   * Stores a bundle under a version decided elsewhere (the replicated allocator: a KV create,
   * cloud/replication). Returns false when the version is already stored (the bundle is not
   * compared: a version is written once, in KV, so both copies hold the same bytes).
   */
  storePolicyAt(version: number, bundle: Uint8Array, createdMs: number): boolean {
    return this.#s.insertPolicyAt.run(version, bundle, createdMs).changes > 0;
  }

  /** Highest stored policy version, 0 if none. */
  latestPolicyVersion(): number {
    return (this.#s.nextPolicyVersion.get() as number) - 1;
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
    this.#changed({ kind: 'ack', edgeId: ack.edgeId, version: ack.version });
  }

  /** Stores another replica's copy of an ack; not reported to the change listener. */
  putReplicatedAck(ack: PolicyAckRow): void {
    this.#s.upsertAck.run({ ...ack, applied: ack.applied ? 1 : 0 });
  }

  /** One edge's verdict on one version, if it gave one. */
  policyAck(version: number, edgeId: string): PolicyAckRow | undefined {
    const a = this.#s.getAck.get(version, edgeId) as
      (Omit<PolicyAckRow, 'applied'> & { applied: number }) | undefined;
    return a && { ...a, applied: a.applied === 1 };
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

  /**
   * Runs `fn` in one transaction and returns its result; nested calls become savepoints. For
   * writes that span several methods and for the group committer.
   */
  transaction<T>(fn: () => T): T {
    return this.#db.transaction(fn)();
  }

  /** The connection, for stores kept in their own files (cloud/enrolment/enrolment-store.ts). */
  get sqlite(): Database.Database {
    return this.#db;
  }

  /** Whether a transaction is open on this connection (false after SQLite rolled one back). */
  get inTransaction(): boolean {
    return this.#db.inTransaction;
  }

  close(): void {
    if (!this.#db.open) return;
    // Writes still queued for a group would otherwise be lost with their callers never answered.
    this.grouped.flush();
    this.#db.close();
  }
}
