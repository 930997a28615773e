// The audit trail of the node and of the dashboard: who changed what, when, and the state before
// and after (IEC 62443-4-2 CR 2.8, auditable events with fixed fields). Rows are hash-chained
// (audit-chain.ts) and live in the edge database (or the dashboard's file, cloud/dashboard/
// dashboard-store.ts), opened with synchronous=FULL, so a row that was written survives a power cut
// and the change it records can commit in the same transaction (`appendWith`): there is never an
// applied policy without its audit row, or an audit row for a change that rolled back.
//
// Users: edge-node (policies applied, refused, restored at boot), the console (overrides, local
// latch clears, logins), the signal supervisor (flash latches) and the dashboard (logins,
// enrolment, policies, rollouts).
import type { Logger } from 'pino';
import type Database from 'better-sqlite3';
import type { Db } from '../sqlite/open-database.js';
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
  /**
   * Dotted lower-case code, for example "policy.applied", "override.set",
   * "command.lighting.clear-override", "command.no-answer" (grammar: ACTION_PATTERN).
   */
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
  /**
   * Called when a row could not be written (`failing` true: a refused entry or a storage error),
   * and again with false at the first row written after that; outside the caller's transaction.
   * edge-node raises AUDIT_WRITE_FAILED from it (IEC 62443-4-2 CR 2.10, response to audit
   * processing failures): a change that leaves no row must never pass unnoticed. Every failure is
   * also logged at error level with the entry it lost. A throwing callback is logged.
   */
  readonly onWriteFailure?: (failing: boolean, error?: Error) => void;
}

export interface AuditStats {
  readonly rows: number;
  /** Hash of the newest row; GENESIS_HASH when empty. */
  readonly headHash: string;
  readonly warnAtRows: number;
  readonly overCapacity: boolean;
  /** Rows lost since start: entries refused or not stored (each logged at error level). */
  readonly writeFailures: number;
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

/**
 * An action: dot-separated words of lower-case letters and digits, each starting with a letter,
 * joined inside a word by single "-" or "_". Wide enough for every code calle writes — command
 * types ("lighting.clear-override"), outcomes ("no-answer"), snake_case events
 * ("latch_clear_refused") — and narrow enough to keep spaces, upper case, empty or doubled
 * separators and control characters out of a field auditors filter on.
 */
export const ACTION_PATTERN = /^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*(?:\.[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*)*$/;
const MAX_TEXT = 200;

export class AuditLog {
  readonly #db: Db;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #warnAtRows: number;
  readonly #onCapacityWarning: ((rows: number, warnAtRows: number) => void) | undefined;
  readonly #onWriteFailure: ((failing: boolean, error?: Error) => void) | undefined;
  #warned = false;
  #writeFailures = 0;
  #failing = false;
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
    this.#onWriteFailure = options.onWriteFailure;
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
    const row = this.#reported(entry, () => {
      checkEntry(entry);
      return this.#append(entry);
    });
    this.#written(row.seq);
    return row;
  }

  /**
   * Appends one row where the change it records has already happened and throwing would only
   * hide it (a command carried out, an alarm raised): never throws. A row that cannot be written
   * is reported as every audit failure is (error log, `writeFailures`, `onWriteFailure`) and
   * undefined is returned.
   */
  record(entry: AuditEntry): AuditRow | undefined {
    try {
      return this.append(entry);
    } catch {
      return undefined; // already reported by #reported
    }
  }

  /** Runs `change` and appends `entry` in one transaction; returns what `change` returned. */
  appendWith<T>(entry: AuditEntry, change: () => T): T {
    // Checked before the change runs: a refused entry must not cost the change a rollback.
    this.#reported(entry, () => checkEntry(entry));
    const result = this.#db.transaction(() => {
      const value = change();
      this.#reported(entry, () => this.#append(entry));
      return value;
    })();
    this.#written(this.#q.head.get()?.seq ?? 0);
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
      writeFailures: this.#writeFailures,
    };
  }

  /** Runs one step of writing `entry`; a failure is reported here, loudly, then rethrown. */
  #reported<T>(entry: AuditEntry, step: () => T): T {
    try {
      return step();
    } catch (err) {
      this.#writeFailures++;
      // The entry goes to the log in full: it is the only record left of what happened.
      this.#log.error({ err, entry, writeFailures: this.#writeFailures }, 'audit log: row NOT written');
      if (!this.#failing) {
        this.#failing = true;
        this.#notifyFailure(true, err as Error);
      }
      throw err;
    }
  }

  #written(rows: number): void {
    if (this.#failing) {
      this.#failing = false;
      this.#log.warn({ writeFailures: this.#writeFailures }, 'audit log: writing again');
      this.#notifyFailure(false);
    }
    this.#checkCapacity(rows);
  }

  #notifyFailure(failing: boolean, error?: Error): void {
    const notify = this.#onWriteFailure;
    if (!notify) return;
    // After the current synchronous work: the caller's transaction finishes (or rolls back) first.
    queueMicrotask(() => {
      try {
        notify(failing, error);
      } catch (err) {
        this.#log.error({ err }, 'audit log: write-failure listener failed');
      }
    });
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
  if (
    typeof entry.action !== 'string' ||
    !ACTION_PATTERN.test(entry.action) ||
    entry.action.length > MAX_TEXT
  )
    throw new AuditEntryError(
      'action',
      `"${String(entry.action)}" must be a dotted lower-case code of at most ${MAX_TEXT} characters ` +
        '(words of a-z and 0-9 joined by "-" or "_")',
    );
  if (entry.timeMs !== undefined && !Number.isSafeInteger(entry.timeMs))
    throw new AuditEntryError('timeMs', `${entry.timeMs} is not an integer of milliseconds`);
}
