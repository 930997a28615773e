// The durable outbox: every reading and event the node produces is written here first, in one
// synchronous transaction that also assigns its edge-wide sequence number, and leaves only when
// JetStream has acknowledged it. Nothing accepted here is lost across link cuts, broker restarts
// or power cuts (the file is opened with synchronous=FULL).
//
// A row is one NATS message, encoded once at write time and never changed, so a re-send after a
// lost ack carries the same bytes and the same message id (REFERENCE.md §6, transactional outbox).
//
// Priority classes (REFERENCE.md §6): alarms leave before events, events before bulk telemetry, so
// after a long outage the coordinator learns that a signal latched to flash before it receives
// hours of luminaire levels.
//
// Bounded: past `maxRows` the oldest *telemetry* row is dropped to make room, counted in
// meta.dropped, and logged. Alarms and events are never dropped: if they alone exceed the bound the
// outbox grows past it and says so (they are rare, and losing one is worse than a larger file).
// Audit rows live in their own table and never pass through here.
import type { Logger } from 'pino';
import { v1 } from '../../proto/index.js';
import { eventSubject, telemetrySubject } from '../../proto/nats-subjects.js';
import type { EdgeEvent, TelemetryReading, TelemetrySink } from '../telemetry-sink.js';
import type Database from 'better-sqlite3';
import type { Db } from '../../common/sqlite/open-database.js';

/** Priority classes: lower leaves first. Stored in outbox.priority (migration 2). */
export const PRIORITY_ALARM = 0;
export const PRIORITY_EVENT = 1;
export const PRIORITY_TELEMETRY = 2;

/** An alarm is a warning or critical condition being raised; its clearing is an ordinary event. */
export function isAlarm(event: EdgeEvent): boolean {
  return event.active && (event.severity === 'warning' || event.severity === 'critical');
}

/** What one committed write produced: the row and the sequence numbers it took. */
export interface OutboxAppend {
  readonly id: number;
  readonly priority: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
}

/** At most one "outbox full" warning per this many milliseconds: a full outbox drops every tick. */
const FULL_WARNING_EVERY_MS = 60_000;

/** One message waiting to be published. */
export interface OutboxRow {
  readonly id: number;
  readonly subject: string;
  readonly priority: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly payload: Buffer;
  readonly createdMs: number;
}

/** Counters the console, heartbeats and metrics show. */
export interface OutboxStats {
  /** Highest sequence number assigned so far (readings and events share the counter). */
  readonly highestSeq: number;
  /** Rows waiting to be published. */
  readonly pending: number;
  /** Age of the oldest waiting row in seconds, or null when empty. */
  readonly oldestPendingAgeS: number | null;
  /** Rows acknowledged by the broker since this process started. */
  readonly ackedSinceStart: number;
  /** Telemetry rows dropped because the outbox was full, over the node's life. */
  readonly dropped: number;
}

export interface OutboxOptions {
  readonly db: Db;
  readonly edgeId: string;
  readonly log: Logger;
  readonly now?: () => number;
  /** Most rows kept while the uplink is down; default 100 000 (days of a street at 5 s ticks). */
  readonly maxRows?: number;
}

const SEVERITY: Record<EdgeEvent['severity'], number> = {
  info: v1.Severity.SEVERITY_INFO,
  warning: v1.Severity.SEVERITY_WARNING,
  critical: v1.Severity.SEVERITY_CRITICAL,
};

export class Outbox implements TelemetrySink {
  readonly #db: Db;
  readonly #edgeId: string;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #maxRows: number;
  readonly #listeners = new Set<() => void>();
  #acked = 0;
  #lastFullWarningMs = -Infinity;
  readonly #append: (
    priority: number,
    subject: string,
    build: (firstSeq: number) => { payload: Uint8Array; count: number },
  ) => OutboxAppend;
  readonly #q: {
    peek: Database.Statement<[number], RawRow>;
    remove: Database.Statement<[number]>;
    count: Database.Statement<[], { n: number }>;
    oldest: Database.Statement<[], { created_ms: number | null }>;
    meta: Database.Statement<[string], { value: number } | undefined>;
  };

  constructor(options: OutboxOptions) {
    this.#db = options.db;
    this.#edgeId = options.edgeId;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    this.#maxRows = options.maxRows ?? 100_000;
    const db = this.#db;
    const getMeta = db.prepare<[string], { value: number }>('SELECT value FROM meta WHERE key = ?');
    const setMeta = db.prepare<[string, number]>(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
    const insert = db.prepare<[string, number, number, number, Uint8Array, number]>(
      'INSERT INTO outbox (subject, priority, first_seq, last_seq, payload, created_ms) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const count = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM outbox');
    const dropOldestTelemetry = db.prepare<[number]>(
      'DELETE FROM outbox WHERE id = (SELECT id FROM outbox WHERE priority = ? ORDER BY id LIMIT 1)',
    );
    this.#q = {
      peek: db.prepare<[number], RawRow>(
        'SELECT id, subject, priority, first_seq, last_seq, payload, created_ms FROM outbox ORDER BY priority, id LIMIT ?',
      ),
      remove: db.prepare<[number]>('DELETE FROM outbox WHERE id = ?'),
      count,
      oldest: db.prepare<[], { created_ms: number | null }>(
        'SELECT min(created_ms) AS created_ms FROM outbox',
      ),
      meta: getMeta,
    };
    // One transaction: take sequence numbers, write the row, advance the counter, make room.
    // No await inside: better-sqlite3 transactions are synchronous by design.
    type Build = (firstSeq: number) => { payload: Uint8Array; count: number };
    this.#append = db.transaction((priority: number, subject: string, build: Build) => {
      const firstSeq = getMeta.get('next_seq')?.value ?? 1;
      const { payload, count: n } = build(firstSeq);
      const lastSeq = firstSeq + n - 1;
      const id = Number(
        insert.run(subject, priority, firstSeq, lastSeq, payload, this.#now()).lastInsertRowid,
      );
      setMeta.run('next_seq', firstSeq + n);
      const rows = count.get()?.n ?? 0;
      if (rows > this.#maxRows) {
        const dropped = dropOldestTelemetry.run(PRIORITY_TELEMETRY).changes;
        if (dropped > 0) setMeta.run('dropped', (getMeta.get('dropped')?.value ?? 0) + dropped);
        this.#warnFull(rows, dropped > 0);
      }
      return { id, priority, firstSeq, lastSeq };
    });
  }

  /** Writes one tick's readings as one row; returns it once committed (undefined when empty). */
  record(readings: readonly TelemetryReading[]): OutboxAppend | undefined {
    if (readings.length === 0) return undefined;
    const written = this.#append(PRIORITY_TELEMETRY, telemetrySubject(this.#edgeId), (firstSeq) => ({
      count: readings.length,
      payload: v1.TelemetryBatch.encode({
        edgeId: this.#edgeId,
        readings: readings.map((r, i) => ({
          seq: firstSeq + i,
          deviceId: r.deviceId,
          metric: r.metric,
          value: r.value,
          timeMs: r.timeMs,
        })),
      }).finish(),
    }));
    this.#notify();
    return written;
  }

  /** Writes one event, as an alarm when it raises a warning or critical condition. */
  raise(event: EdgeEvent): OutboxAppend {
    const written = this.#append(
      isAlarm(event) ? PRIORITY_ALARM : PRIORITY_EVENT,
      eventSubject(this.#edgeId),
      (seq) => ({
        count: 1,
        payload: v1.Event.encode({
          seq,
          edgeId: this.#edgeId,
          deviceId: event.deviceId ?? '',
          code: event.code,
          severity: SEVERITY[event.severity],
          message: event.message,
          timeMs: event.timeMs,
          active: event.active,
        }).finish(),
      }),
    );
    this.#notify();
    return written;
  }

  /** The next rows to publish: alarms, then events, then telemetry, oldest first within each. */
  peek(limit: number): OutboxRow[] {
    return this.#q.peek.all(limit).map((r) => ({
      id: r.id,
      subject: r.subject,
      priority: r.priority,
      firstSeq: r.first_seq,
      lastSeq: r.last_seq,
      payload: r.payload,
      createdMs: r.created_ms,
    }));
  }

  /** Deletes a row once the broker has acknowledged it. */
  acknowledge(id: number): void {
    if (this.#q.remove.run(id).changes > 0) this.#acked++;
  }

  stats(): OutboxStats {
    const oldest = this.#q.oldest.get()?.created_ms ?? null;
    return {
      highestSeq: (this.#q.meta.get('next_seq')?.value ?? 1) - 1,
      pending: this.#q.count.get()?.n ?? 0,
      oldestPendingAgeS: oldest === null ? null : Math.max(0, (this.#now() - oldest) / 1000),
      ackedSinceStart: this.#acked,
      dropped: this.#q.meta.get('dropped')?.value ?? 0,
    };
  }

  /** Calls `listener` after each write; the publisher uses it to wake up. Returns unsubscribe. */
  onAppend(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #warnFull(rows: number, dropped: boolean): void {
    const now = this.#now();
    if (now - this.#lastFullWarningMs < FULL_WARNING_EVERY_MS) return;
    this.#lastFullWarningMs = now;
    const fields = { maxRows: this.#maxRows, rows, droppedTotal: this.#q.meta.get('dropped')?.value ?? 0 };
    if (dropped) this.#log.warn(fields, 'outbox full: dropping the oldest telemetry rows');
    else
      this.#log.warn(
        fields,
        'outbox over its bound with no telemetry left to drop; keeping alarms and events',
      );
  }

  #notify(): void {
    for (const l of this.#listeners) {
      try {
        l();
      } catch (err) {
        this.#log.error({ err }, 'outbox listener failed');
      }
    }
  }
}

interface RawRow {
  id: number;
  subject: string;
  priority: number;
  first_seq: number;
  last_seq: number;
  payload: Buffer;
  created_ms: number;
}
