// The part of the coordinator's store that keeps telemetry over time (issue 16): raw readings in
// day tables, 15-minute and hourly rollups (series-rollup.ts), each series' latest readings, and
// retention by data class (retention.ts). Written by ingest, in the transaction that stores the
// readings; read by the dashboard's KPIs and the NGSI-LD APIs.
import type { RetentionPolicy } from './retention.js';
import type { LatestRow, Resolution, RollupRow } from './series-rollup.js';

export type { LatestRow, Resolution, RollupRow };

export interface RollupQuery {
  readonly resolution: Resolution;
  /** Buckets starting at or after this time… */
  readonly fromMs: number;
  /** …and before this one. */
  readonly toMs: number;
  readonly metrics?: readonly string[];
  readonly edgeId?: string;
  readonly deviceId?: string;
}

/** What one retention pass removed. */
export interface PruneReport {
  /** Bucket tables (or partitions) dropped whole. */
  readonly dropped: readonly string[];
  readonly eventsDeleted: number;
}

export interface SeriesStore {
  /** Rollup rows, ordered by edge, device, metric and bucket. */
  rollups(q: RollupQuery): Promise<RollupRow[]>;
  /** Every series' newest reading and the one before it. */
  latest(): Promise<LatestRow[]>;
  /** Drops what `policy` no longer keeps at `nowMs`. */
  prune(nowMs: number, policy: RetentionPolicy): Promise<PruneReport>;
}
