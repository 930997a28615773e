// The rows the coordinator's store takes and gives, whatever the backend (SQLite or PostgreSQL,
// coordinator-store.ts). Plain data: no method here touches a database.

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

export interface EdgeRecord {
  readonly id: string;
  readonly district: string;
  readonly tags: readonly string[];
  readonly softwareVersion: string;
  readonly registeredMs: number;
  readonly lastSeenMs: number | null;
  readonly policyVersion: number;
}

/** What the rollout gate needs of a registered edge: enough to match a policy target. */
export interface EdgeView {
  readonly id: string;
  readonly district: string;
  readonly tags: string[];
}

/** One edge as the operators' dashboard lists it. */
export interface FleetEdge {
  readonly id: string;
  /** Registered district; "" for an edge that only ever sent data. */
  readonly district: string;
  readonly tags: readonly string[];
  readonly softwareVersion: string;
  readonly lastSeenMs: number | null;
  /** Outbox rows waiting on the edge, from its last heartbeat. */
  readonly outboxPending: number;
  /** Version from the last heartbeat, or the highest version it acked as applied if newer. */
  readonly policyVersion: number;
  readonly devicesUnavailable: number;
  readonly readingsReceived: number;
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

/** An alarm raised by an edge (an event at warning or above whose latest state is active). */
export interface AlarmRow {
  readonly edgeId: string;
  readonly deviceId: string;
  readonly code: string;
  /** calle.v1.Severity: 2 warning, 3 critical. */
  readonly severity: number;
  readonly message: string;
  readonly timeMs: number;
}

export interface StoredPolicy {
  readonly version: number;
  readonly bundle: Uint8Array;
  /** The rollout this version rolls back (it must not supersede that rollout), if it does. */
  readonly rollbackOf?: number | null;
}

export interface PolicyAckRow {
  readonly edgeId: string;
  readonly version: number;
  readonly applied: boolean;
  readonly reason: string;
  readonly timeMs: number;
}

/**
 * What recording an edge's verdict found, decided inside the writing transaction so that it sees
 * every row committed before it: an edge that is not registered is never recorded; an "applied"
 * for a version never published is not either (a refusal of one is: it is how an operator learns
 * that an edge was handed a forged bundle).
 */
export type AckOutcome =
  | 'recorded'
  /** A refusal of a version never published, recorded. */
  | 'recorded-unpublished'
  | 'unknown-edge'
  /** An "applied" for a version never published: not recorded. */
  | 'unknown-version';

/** What replacing a stored bundle by its re-signed copy gave (cloud/policies/refresh-rule.ts). */
export type RefreshVerdict =
  | { readonly replaced: true }
  /** conflict: the bundle is not a copy of the stored version at all (another version or content). */
  | { readonly replaced: false; readonly reason: string; readonly conflict: boolean };

/**
 * A change to the fleet registry or the acks, reported to the change listener (the KV replication
 * of SQLite replicas copies them to the other replicas). Reported inside the writing transaction,
 * which may still roll back: a listener should read the committed row later.
 */
export type RegistryChange =
  | { readonly kind: 'edge'; readonly id: string; readonly heartbeat: boolean }
  | { readonly kind: 'ack'; readonly edgeId: string; readonly version: number };
