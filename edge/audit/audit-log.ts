// The node's audit trail: who changed what, when, and the state before and after (IEC 62443-4-2
// CR 2.8, auditable events with fixed fields). Rows are hash-chained (audit-chain.ts) and live in
// the edge database, opened with synchronous=FULL, so a row that was written survives a power cut
// and the change it records can commit in the same transaction (`appendWith`): there is never an
// applied policy without its audit row, or an audit row for a change that rolled back.
//
// Users: edge-node (policies applied, refused, restored at boot); later the console (overrides,
// local latch clears, logins) and the signal supervisor (flash latches).
import type { Logger } from 'pino';
import type Database from 'better-sqlite3';
import type { Db } from '../store/edge-db.js';
import {
  AUDIT_COLUMNS,
  auditRowHash,
  canonicalJson,
  GENESIS_HASH,
  toAuditRow,
  verifyAuditChain,
  type AuditRow,
  type AuditVerdict,
} from './audit-chain.js';

/** What a caller records; the log adds seq, time, and the hashes. */
export interface AuditEntry {
  /** A user name, or "system", "coordinator", "supervisor". */
  readonly actor: string;
  /** Dotted lower-case code, for example "policy.applied", "override.set", "latch.cleared". */
  readonly action: string;
  /** What it acted on, for example "policy:7", "lum-03", "int-atocha". */
  readonly target: string;
  /** State before the change (any JSON value); omit when there was none. */
  readonly before?: unknown;
  /** State after the change, or the refused request and its reason. */
  readonly after?: unknown;
  /** Defaults to the log's clock. */
  readonly timeMs?: number;
}

export interface AuditLogOptions {
  readonly db: Db;
  readonly log: Logger;
  readonly now?: () => number;
  /**
   * Rows above which the log warns that its storage is filling (IEC 62443-4-2 CR 2.9, audit
   * storage capacity). Default 200 000: about 100 MB at a generous 500 bytes a row, a fifth of a
   * small SD card, and decades of policy changes.
   */
  readonly warnAtRows?: number;
  /**
   * Called once, after the write that crossed `warnAtRows` (or at start if already above), outside
   * the caller's transaction; edge-node raises it as an alarm. A throwing callback is logged.
   */
  readonly onCapacityWarning?: (rows: number, warnAtRows: number) => void;
}

export interface AuditStats {
  readonly rows: number;
  /** Hash of the newest row; GENESIS_HASH when empty. */
  readonly headHash: string;
  readonly warnAtRows: number;
  readonly overCapacity: boolean;
}

/** A field of an audit entry that cannot be stored; names the field and the reason. */
export class AuditEntryError extends Error {
  readonly code = 'CALLE_AUDIT_ENTRY_INVALID';
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`audit.${field}: ${reason}`);
  }
}

const ACTION = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/;
const MAX_TEXT = 200;

export class AuditLog {
  readonly #db: Db;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #warnAtRows: number;
  readonly #onCapacityWarning: ((rows: number, warnAtRows: number) => void) | undefined;
  #warned = false;
  readonly #q: {
    head: Database.Statement<[], { seq: number; hash: string }>;
    recent: Database.Statement<[number], Parameters<typeof toAuditRow>[0]>;
  };
  readonly #append: (entry: AuditEntry) => AuditRow;

  constructor(options: AuditLogOptions) {
    this.#db = options.db;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    this.#warnAtRows = options.warnAtRows ?? 200_000;
    this.#onCapacityWarning = options.onCapacityWarning;
    const db = this.#db;
    const head = db.prepare<[], { seq: number; hash: string }>(
      'SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1',
    );
    const insert = db.prepare<
      [number, number, string, string, string, string | null, string | null, string, string]
    >(`INSERT INTO audit_log (${AUDIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const setLast = db.prepare<[number]>("UPDATE meta SET value = ? WHERE key = 'audit_last_seq'");
    this.#q = {
      head,
      recent: db.prepare(`SELECT ${AUDIT_COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT ?`),
    };
    // The head is read inside the transaction, never cached: if the caller's transaction rolls
    // back, so does this row, and a cached head would then point at a row that does not exist.
    this.#append = db.transaction((entry: AuditEntry): AuditRow => {
      const last = head.get();
      const fields = {
        seq: (last?.seq ?? 0) + 1,
        timeMs: entry.timeMs ?? this.#now(),
        actor: entry.actor,
        action: entry.action,
        target: entry.target,
        beforeJson: entry.before === undefined ? null : canonicalJson(entry.before),
        afterJson: entry.after === undefined ? null : canonicalJson(entry.after),
        prevHash: last?.hash ?? GENESIS_HASH,
      };
      const row: AuditRow = { ...fields, hash: auditRowHash(fields) };
      insert.run(
        row.seq,
        row.timeMs,
        row.actor,
        row.action,
        row.target,
        row.beforeJson,
        row.afterJson,
        row.prevHash,
        row.hash,
      );
      setLast.run(row.seq);
      return row;
    });
    this.#checkCapacity(head.get()?.seq ?? 0);
  }

  /**
   * Appends one row and returns it. Inside a caller's better-sqlite3 transaction it joins that
   * transaction (a savepoint), so it commits or rolls back with the change it records.
   */
  append(entry: AuditEntry): AuditRow {
    checkEntry(entry);
    const row = this.#append(entry);
    this.#checkCapacity(row.seq);
    return row;
  }

  /** Runs `change` and appends `entry` in one transaction; returns what `change` returned. */
  appendWith<T>(entry: AuditEntry, change: () => T): T {
    checkEntry(entry);
    const result = this.#db.transaction(() => {
      const value = change();
      this.#append(entry);
      return value;
    })();
    this.#checkCapacity(this.#q.head.get()?.seq ?? 0);
    return result;
  }

  /** Newest rows first, for the console. */
  recent(limit: number): AuditRow[] {
    return this.#q.recent.all(limit).map(toAuditRow);
  }

  /** Walks the whole chain (linear in the log's size: a CLI and test tool, not a hot path). */
  verify(): AuditVerdict {
    return verifyAuditChain(this.#db);
  }

  stats(): AuditStats {
    const last = this.#q.head.get();
    const rows = last?.seq ?? 0;
    return {
      rows,
      headHash: last?.hash ?? GENESIS_HASH,
      warnAtRows: this.#warnAtRows,
      overCapacity: rows > this.#warnAtRows,
    };
  }

  // Rows are numbered from 1 with no gaps, so the newest seq is the row count without a scan.
  #checkCapacity(rows: number): void {
    if (this.#warned || rows <= this.#warnAtRows) return;
    this.#warned = true;
    this.#log.warn({ rows, warnAtRows: this.#warnAtRows }, 'audit log: storage threshold exceeded');
    const notify = this.#onCapacityWarning;
    if (!notify) return;
    // After the current synchronous work, so the caller's transaction has committed first.
    queueMicrotask(() => {
      try {
        notify(rows, this.#warnAtRows);
      } catch (err) {
        this.#log.error({ err }, 'audit log: capacity listener failed');
      }
    });
  }
}

function checkEntry(entry: AuditEntry): void {
  for (const field of ['actor', 'target'] as const) {
    const v: unknown = entry[field];
    if (typeof v !== 'string' || v.length === 0 || v.length > MAX_TEXT)
      throw new AuditEntryError(field, `must be a string of 1..${MAX_TEXT} characters`);
  }
  if (typeof entry.action !== 'string' || !ACTION.test(entry.action) || entry.action.length > MAX_TEXT)
    throw new AuditEntryError('action', `"${String(entry.action)}" must be a dotted lower-case code`);
  if (entry.timeMs !== undefined && !Number.isSafeInteger(entry.timeMs))
    throw new AuditEntryError('timeMs', `${entry.timeMs} is not an integer of milliseconds`);
}
