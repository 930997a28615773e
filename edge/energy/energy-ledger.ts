// The lighting energy ledger: one hash-chained record per lighting group and period (an hour),
// the evidence a measurement-and-verification report is built from (mv-report.ts). Each record
// holds the period's actual energy (and how much of it was metered), the baseline the contract
// compares it to, what constant light output saved and the burning hours; its hash covers the
// previous record's, so an edited, dropped or reordered record breaks the chain, as the audit log
// does (common/audit/audit-chain.ts, whose limits apply: the chain shows tampering only against a
// head hash kept elsewhere).
//
// Its own SQLite file (energy.db beside the store) with its own migrations: billing evidence is
// kept and backed up apart from the outbox, and its schema moves on its own. Records are the
// differences of the controller's counters since the previous record; the counters restart with
// the node, so a crash loses at most the period in progress, and the report states coverage.
import { createHash } from 'node:crypto';
import type { LightingGroupState } from '../control/lighting-energy.js';
import { openDatabase, type Db } from '../../common/sqlite/open-database.js';
import type { Migration } from '../../common/sqlite/migrations.js';

export const ENERGY_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'hash-chained lighting energy records',
    sql: `
      CREATE TABLE energy_records (
        seq          INTEGER PRIMARY KEY,
        start_ms     INTEGER NOT NULL,
        end_ms       INTEGER NOT NULL,
        group_id     TEXT    NOT NULL,
        actual_mwh   INTEGER NOT NULL,  -- milliwatt-hours: integers hash the same in any tool
        metered_mwh  INTEGER NOT NULL,
        baseline_mwh INTEGER NOT NULL,
        clo_saved_mwh INTEGER NOT NULL,
        burning_s    INTEGER NOT NULL,
        prev_hash    TEXT    NOT NULL,
        hash         TEXT    NOT NULL
      ) STRICT;
      CREATE INDEX energy_records_by_time ON energy_records (start_ms);
    `,
  },
];

export const ENERGY_GENESIS = '0'.repeat(64);
const TAG = 'calle.energy.v1';

export interface EnergyRecord {
  readonly seq: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly groupId: string;
  readonly actualMwh: number;
  readonly meteredMwh: number;
  readonly baselineMwh: number;
  readonly cloSavedMwh: number;
  readonly burningS: number;
  readonly prevHash: string;
  readonly hash: string;
}

/** SHA-256 over ["calle.energy.v1", seq, start, end, group, actual, metered, baseline, clo, burning, prev]. */
export function energyRecordHash(r: Omit<EnergyRecord, 'hash'>): string {
  const encoding = JSON.stringify([
    TAG,
    r.seq,
    r.startMs,
    r.endMs,
    r.groupId,
    r.actualMwh,
    r.meteredMwh,
    r.baselineMwh,
    r.cloSavedMwh,
    r.burningS,
    r.prevHash,
  ]);
  return createHash('sha256').update(encoding, 'utf8').digest('hex');
}

export type ChainVerdict =
  { ok: true; records: number; headHash: string } | { ok: false; seq: number; reason: string };

/** The groups' counters as the ledger last saw them. */
interface Seen {
  readonly ms: number;
  readonly totals: ReadonlyMap<string, LightingGroupState>;
}

export class EnergyLedger {
  readonly db: Db;
  readonly #insert;
  #seen: Seen;

  /** Opens (creating) the ledger; counters are taken as starting from 0 at `startMs`. */
  constructor(file: string, startMs: number) {
    this.db = openDatabase(file, ENERGY_MIGRATIONS);
    this.#insert = this.db.prepare(
      `INSERT INTO energy_records (seq, start_ms, end_ms, group_id, actual_mwh, metered_mwh, baseline_mwh,
         clo_saved_mwh, burning_s, prev_hash, hash)
       VALUES (@seq, @startMs, @endMs, @groupId, @actualMwh, @meteredMwh, @baselineMwh, @cloSavedMwh, @burningS,
         @prevHash, @hash)`,
    );
    this.#seen = { ms: startMs, totals: new Map() };
  }

  /** Appends one record per group for the period since the last call; one transaction. */
  record(groups: readonly LightingGroupState[], nowMs: number): void {
    if (!(nowMs > this.#seen.ms)) return;
    const seen = this.#seen;
    this.db.transaction(() => {
      const head = this.db.prepare('SELECT seq, hash FROM energy_records ORDER BY seq DESC LIMIT 1').get() as
        { seq: number; hash: string } | undefined;
      let seq = head?.seq ?? 0;
      let prevHash = head?.hash ?? ENERGY_GENESIS;
      for (const g of groups) {
        const was = seen.totals.get(g.id);
        const mwh = (now: number, before: number | undefined) =>
          Math.max(0, Math.round((now - (before ?? 0)) * 1000));
        const row = {
          seq: ++seq,
          startMs: seen.ms,
          endMs: nowMs,
          groupId: g.id,
          actualMwh: mwh(g.energyWh, was?.energyWh),
          meteredMwh: mwh(g.meteredWh, was?.meteredWh),
          baselineMwh: mwh(g.baselineWh, was?.baselineWh),
          cloSavedMwh: mwh(g.cloSavedWh, was?.cloSavedWh),
          burningS: Math.max(0, Math.round((g.burningH - (was?.burningH ?? 0)) * 3600)),
          prevHash,
        };
        prevHash = energyRecordHash(row);
        this.#insert.run({ ...row, hash: prevHash });
      }
    })();
    this.#seen = { ms: nowMs, totals: new Map(groups.map((g) => [g.id, g])) };
  }

  close(): void {
    this.db.close();
  }
}

/** Records with start in [fromMs, toMs), in order. */
export function readRecords(db: Db, fromMs = -Infinity, toMs = Infinity): EnergyRecord[] {
  const rows = db
    .prepare(
      `SELECT seq, start_ms AS startMs, end_ms AS endMs, group_id AS groupId, actual_mwh AS actualMwh,
         metered_mwh AS meteredMwh, baseline_mwh AS baselineMwh, clo_saved_mwh AS cloSavedMwh,
         burning_s AS burningS, prev_hash AS prevHash, hash
       FROM energy_records WHERE start_ms >= ? AND start_ms < ? ORDER BY seq`,
    )
    .all(
      Number.isFinite(fromMs) ? fromMs : Number.MIN_SAFE_INTEGER,
      Number.isFinite(toMs) ? toMs : Number.MAX_SAFE_INTEGER,
    );
  return rows as EnergyRecord[];
}

/** Walks the whole chain: each record's hash, its link to the previous one, and no gap in seq. */
export function verifyEnergyChain(db: Db): ChainVerdict {
  let prev = ENERGY_GENESIS;
  let expected = 1;
  let n = 0;
  for (const r of readRecords(db)) {
    if (r.seq !== expected)
      return { ok: false, seq: r.seq, reason: `expected seq ${expected}: a record is missing` };
    if (r.prevHash !== prev)
      return { ok: false, seq: r.seq, reason: 'prev_hash does not match the record before' };
    const { hash, ...rest } = r;
    if (energyRecordHash(rest) !== hash)
      return { ok: false, seq: r.seq, reason: 'hash does not match the record' };
    prev = hash;
    expected++;
    n++;
  }
  return { ok: true, records: n, headHash: prev };
}
