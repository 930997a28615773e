// Time-bucketed tables: raw readings and 15-minute rollups one table per UTC day, hourly rollups one
// per UTC month. Retention drops a whole table once its period has passed the cutoff: never a
// DELETE that scans (issue 16). On SQLite these are plain tables in the one file (a dropped table's
// pages go to the free list and are reused by the next days); on PostgreSQL they are the
// partitions of one partitioned table per kind, attached by range of time_ms / bucket_ms.
//
// A reading is filed by its own time (the edge's clock), clamped at the epoch, so a batch that
// spans midnight lands in two tables and a reading from a wrong clock lands in its own (old) day,
// to be dropped with it.

export const DAY_MS = 86_400_000;

export type BucketKind = 'readings' | 'rollup_15m' | 'rollup_1h';

/** Each kind's period: a day, or a month for the hourly rollups (~720 rows per series). */
const MONTHLY: ReadonlySet<BucketKind> = new Set(['rollup_1h']);

export interface BucketTable {
  readonly kind: BucketKind;
  /** readings_d20260302, rollup_15m_d20260302, rollup_1h_m202603 */
  readonly name: string;
  readonly startMs: number;
  /** Exclusive. */
  readonly endMs: number;
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** The table of `kind` that holds the time `timeMs`. */
export function bucketTable(kind: BucketKind, timeMs: number): BucketTable {
  const d = new Date(Math.max(0, timeMs));
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  if (MONTHLY.has(kind)) {
    return {
      kind,
      name: `${kind}_m${pad(y, 4)}${pad(m + 1, 2)}`,
      startMs: Date.UTC(y, m, 1),
      endMs: Date.UTC(y, m + 1, 1),
    };
  }
  const day = Date.UTC(y, m, d.getUTCDate());
  return {
    kind,
    name: `${kind}_d${pad(y, 4)}${pad(m + 1, 2)}${pad(d.getUTCDate(), 2)}`,
    startMs: day,
    endMs: day + DAY_MS,
  };
}

const NAME = /^(readings|rollup_15m|rollup_1h)_(?:d(\d{4})(\d{2})(\d{2})|m(\d{4})(\d{2}))$/;

/** The bucket a table name stands for; undefined for any other table. */
export function parseBucketTable(name: string): BucketTable | undefined {
  const m = NAME.exec(name);
  if (!m) return undefined;
  const kind = m[1] as BucketKind;
  const at = m[2]
    ? Date.UTC(Number(m[2]), Number(m[3]) - 1, Number(m[4]))
    : Date.UTC(Number(m[5]), Number(m[6]) - 1, 1);
  const table = bucketTable(kind, at);
  return table.name === name ? table : undefined;
}

/** The tables of `kind`, among `names`, that overlap [fromMs, toMs), oldest first. */
export function tablesBetween(
  names: Iterable<string>,
  kind: BucketKind,
  fromMs: number,
  toMs: number,
): BucketTable[] {
  return [...names]
    .map(parseBucketTable)
    .filter(
      (b): b is BucketTable => b !== undefined && b.kind === kind && b.endMs > fromMs && b.startMs < toMs,
    )
    .sort((a, b) => a.startMs - b.startMs);
}
