// The coordinator's store, one interface over two backends (issue 16):
//   sqlite    (cloud/store/sqlite)   the embedded default: one coordinator, one file (`--db FILE`);
//   postgres  (cloud/store/postgres) `--db postgres://…`: several coordinator replicas share it and
//             keep no state of their own.
// Every method is asynchronous, because PostgreSQL is a network round trip; the SQLite backend
// answers from synchronous better-sqlite3 calls (its writes still share one fsync through the
// group committer, group-committer.ts). Every write is one transaction and a promise settles only
// after its commit, so a caller may ack a NATS message or answer an rpc once it resolves.
//
// The interface is cut by concept (registry, telemetry, policies, rollouts, series); each backend
// implements each part in a file of its own, and one conformance suite (store-conformance.ts) runs
// against both.
import type { RolloutRecord, RolloutRecordStore } from '../rollouts/rollout-store.js';
import type { SeriesStore } from './series-types.js';
import type {
  AckOutcome,
  AlarmRow,
  EdgeHeartbeat,
  EdgeRecord,
  EdgeRegistration,
  EdgeStatusRow,
  EdgeView,
  EventRow,
  FleetEdge,
  IngestItem,
  IngestItemResult,
  IngestStats,
  PolicyAckRow,
  RefreshVerdict,
  StoredPolicy,
} from './store-types.js';

export type * from './store-types.js';

/** The fleet registry: what each edge says about itself (Register, Heartbeat). */
export interface RegistryStore {
  /** Creates the edge or updates its details; registered_ms keeps the first registration. */
  register(r: EdgeRegistration): Promise<void>;
  /** Records a heartbeat. Resolves false if the edge is not registered. */
  heartbeat(h: EdgeHeartbeat): Promise<boolean>;
  get(id: string): Promise<EdgeRecord | undefined>;
  /** Registered edges, then edges that only ever sent data (district null), by id. */
  listStatus(): Promise<EdgeStatusRow[]>;
  /** Registered edges with what a policy target matches on (the rollout gate), by id. */
  listRegistered(): Promise<EdgeView[]>;
  /** The dashboard's fleet list: by district, then id. */
  fleet(): Promise<FleetEdge[]>;
}

/** Ingested telemetry and events, with the per-edge delivery accounting. */
export interface TelemetryStore {
  /**
   * Stores many messages in ONE transaction: a message whose rows fail to insert is reported as
   * failed alone, the others commit. Rows already held (by (edge, seq)), including ones earlier in
   * the same call, count as duplicates. Rejects only if the transaction as a whole fails; then
   * nothing was stored.
   */
  ingestMany(items: readonly IngestItem[]): Promise<IngestItemResult[]>;
  stats(edgeId: string): Promise<IngestStats | undefined>;
  /** Raw reading rows held for the edge (every day table still kept; a scan): tests and tools. */
  countReadings(edgeId: string): Promise<number>;
  listEvents(edgeId: string): Promise<EventRow[]>;
  /** Critical events raised active since `sinceMs` (the rollout gate), oldest first. */
  criticalAlarmsSince(sinceMs: number): Promise<AlarmRow[]>;
  /** Alarms whose latest event per (edge, device, code) is active, at warning or above. */
  activeAlarms(): Promise<AlarmRow[]>;
}

/** What storing a new version holds: the signed bundle and, for a staged rollout, its record. */
export interface NewPolicy {
  readonly bundle: Uint8Array;
  readonly rollout?: RolloutRecord;
  /** The rollout this version rolls back. */
  readonly rollbackOf?: number;
}

/** Signed policy bundles and the edges' verdicts on them. */
export interface PolicyStore {
  /**
   * Stores `make(version)` under the next free version, with its rollout record if it carries one,
   * in one transaction; two coordinators can never take the same version. `make` may be called
   * again with a higher version if another coordinator took the first (it must be pure).
   */
  storeNext(make: (version: number) => NewPolicy, createdMs: number): Promise<number>;
  /** Highest stored version, 0 if none. */
  latestVersion(): Promise<number>;
  /** Stored versions above `version`, oldest first. */
  after(version: number): Promise<StoredPolicy[]>;
  get(version: number): Promise<StoredPolicy | undefined>;
  /**
   * Replaces a stored bundle with its re-signed copy if it is one (same version and content, later
   * expiry; cloud/policies/refreshed-bundles.ts), checked on the row as it is inside the write.
   */
  replaceRefreshed(version: number, bundle: Uint8Array): Promise<RefreshVerdict>;
  /** Records an edge's verdict (one per edge and version; a later one replaces it). */
  recordAck(ack: PolicyAckRow): Promise<AckOutcome>;
  ack(version: number, edgeId: string): Promise<PolicyAckRow | undefined>;
  /** Every verdict on one version, by edge id. */
  acks(version: number): Promise<PolicyAckRow[]>;
}

export interface CoordinatorStore {
  /** Which backend this is, for logs and the start line. */
  readonly backend: 'sqlite' | 'postgres';
  readonly registry: RegistryStore;
  readonly telemetry: TelemetryStore;
  readonly policies: PolicyStore;
  readonly rollouts: RolloutRecordStore;
  readonly series: SeriesStore;
  /** Waits for writes in flight, then closes. Safe to call twice. */
  close(): Promise<void>;
}
