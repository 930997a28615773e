// The audit log's hash chain: how a row is hashed, and the walk that checks a whole log.
//
// A row's hash is SHA-256 over its canonical encoding, which includes the previous row's hash, so
// changing, deleting, inserting or reordering any row breaks every link after it. The encoding is
// the JSON array
//   ["calle.audit.v1", seq, time_ms, actor, action, target, before_json, after_json, prev_hash]
// of the stored column values (JSON text or null for before/after), serialised by JSON.stringify:
// for strings, integers and null that is deterministic, so another tool can recompute it.
//
// Limits, stated plainly: whoever can write the file can rewrite the whole chain from the point
// they changed and update meta.audit_last_seq to match. The chain makes tampering evident only
// against a copy of a later head hash kept elsewhere (the coordinator, a printout); shipping the
// head off the node is the protection IEC 62443-4-2 CR 3.9 asks for, and is not done yet.
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';

/** prev_hash of the first row. */
export const GENESIS_HASH = '0'.repeat(64);
const ENCODING_TAG = 'calle.audit.v1';

/** One stored audit row, as its columns hold it. */
export interface AuditRow {
  readonly seq: number;
  readonly timeMs: number;
  readonly actor: string;
  readonly action: string;
  readonly target: string;
  /** Canonical JSON of the state before, or null. */
  readonly beforeJson: string | null;
  /** Canonical JSON of the state after, or null. */
  readonly afterJson: string | null;
  readonly prevHash: string;
  readonly hash: string;
}

/** The hash a row must carry, given its fields and its predecessor's hash. */
export function auditRowHash(row: Omit<AuditRow, 'hash'>): string {
  const encoding = JSON.stringify([
    ENCODING_TAG,
    row.seq,
    row.timeMs,
    row.actor,
    row.action,
    row.target,
    row.beforeJson,
    row.afterJson,
    row.prevHash,
  ]);
  return createHash('sha256').update(encoding, 'utf8').digest('hex');
}

/**
 * JSON with object keys sorted at every level, so the same state always reads (and diffs) the
 * same. Values JSON cannot carry (undefined members, functions) are dropped as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  }) as string | undefined;
  return text ?? 'null';
}

export type AuditVerdict =
  | {
      readonly ok: true;
      readonly rows: number;
      /** Hash of the newest row (GENESIS_HASH when empty): copy it off the node to anchor the log. */
      readonly headHash: string;
    }
  | {
      readonly ok: false;
      /** Rows that checked out before the break. */
      readonly rows: number;
      /** seq of the first row that fails (for a cut-off tail: the first missing seq). */
      readonly brokenAt: number;
      readonly reason: string;
    };

interface RawAuditRow {
  seq: number;
  time_ms: number;
  actor: string;
  action: string;
  target: string;
  before_json: string | null;
  after_json: string | null;
  prev_hash: string;
  hash: string;
}

/** Reads rows in seq order; shared by verify and by the log's readers. */
export function toAuditRow(r: RawAuditRow): AuditRow {
  return {
    seq: r.seq,
    timeMs: r.time_ms,
    actor: r.actor,
    action: r.action,
    target: r.target,
    beforeJson: r.before_json,
    afterJson: r.after_json,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

export const AUDIT_COLUMNS =
  'seq, time_ms, actor, action, target, before_json, after_json, prev_hash, hash' as const;

/**
 * Walks the whole log in seq order and reports the first row that breaks the chain. Read-only;
 * works on a file opened read-only (the `calle audit verify` command) or on the live database.
 */
export function verifyAuditChain(db: Database.Database): AuditVerdict {
  const read = db.prepare<[], RawAuditRow>(`SELECT ${AUDIT_COLUMNS} FROM audit_log ORDER BY seq`);
  const lastSeq = db.prepare<[], { value: number }>("SELECT value FROM meta WHERE key = 'audit_last_seq'");
  let prevHash = GENESIS_HASH;
  let expected = 1;
  let rows = 0;
  // One read transaction, so a writer committing meanwhile cannot make a consistent log look torn:
  // the recorded head and the rows come from the same WAL snapshot. (Reading the head before the
  // transaction let a node's append in between show as "rows added outside calle"; issue 13.)
  const walk = db.transaction((): AuditVerdict => {
    const recorded = lastSeq.get()?.value ?? 0;
    for (const raw of read.iterate()) {
      const row = toAuditRow(raw);
      const broken = (reason: string): AuditVerdict => ({ ok: false, rows, brokenAt: row.seq, reason });
      if (row.seq !== expected) {
        return row.seq > expected
          ? broken(
              `seq ${expected}${row.seq - 1 > expected ? `..${row.seq - 1}` : ''} missing (rows deleted)`,
            )
          : broken(`seq ${row.seq} out of order (expected ${expected})`);
      }
      if (row.prevHash !== prevHash)
        return broken(
          `prev_hash does not match the hash of seq ${row.seq - 1} (a row before it was changed, removed or reordered)`,
        );
      if (auditRowHash(row) !== row.hash) return broken('content does not match its hash (row changed)');
      prevHash = row.hash;
      expected++;
      rows++;
    }
    if (rows < recorded)
      return {
        ok: false,
        rows,
        brokenAt: rows + 1,
        reason: `log ends at seq ${rows} but ${recorded} rows were written (newest rows removed)`,
      };
    if (rows > recorded)
      return {
        ok: false,
        rows,
        brokenAt: recorded + 1,
        reason: `log holds ${rows} rows but meta.audit_last_seq says ${recorded} (rows added outside calle)`,
      };
    return { ok: true, rows, headHash: prevHash };
  });
  return walk.deferred();
}
