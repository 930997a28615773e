// The shape of the coordinator's replicated state: the KV keys and the JSON stored under them.
// JSON rather than protobuf: entries are small, rare next to telemetry, read by operators with
// `nats kv get` when something goes wrong, and their shape follows the SQLite rows they mirror.
// Policy bundles travel as base64 of their protobuf bytes, exactly as signed (a re-encoding could
// change the bytes an edge verifies).
import type { PolicyAckRow } from '../store/coordinator-store.js';
import type { RolloutRecord } from '../rollouts/rollout-store.js';

export const BUCKETS = {
  /** Fleet registry: key = edge id. */
  edges: 'calle_edges',
  /**
   * Published policies: key = `v.<version>`, created once with kv.create (the version allocator);
   * afterwards only its bundle is rewritten, by compare-and-set, when the policy is re-signed.
   */
  policies: 'calle_policies',
  /**
   * Edges' verdicts, compacted: key = edge id, value = its latest verdict (AckEntry, with the
   * version). One key per edge, never one per edge and version: those grew without bound (5 M keys
   * after 100 versions at 50,000 edges, issue #16) and every replica re-read them at every start.
   * A new bucket name: the former `calle_acks` (keys `<version>.<edge id>`) is no longer read and
   * may be deleted once every replica runs this version.
   */
  acks: 'calle_edge_acks',
  /** Rollout records: key = `r.<id>`, changed only by compare-and-set on the key's revision. */
  rollouts: 'calle_rollouts',
  /** Leases: key = the lease's name (`rollouts`). */
  leases: 'calle_leases',
  /** Enrolment: key = edge id, the whole record with its tokens (enrolment-bucket.ts); CAS only. */
  enrolment: 'calle_enrolment',
} as const;

export type BucketName = keyof typeof BUCKETS;

/** One edge's registry row as every replica stores it (cloud/store/coordinator-db.ts, edges table). */
export interface EdgeEntry {
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

export interface PolicyEntry {
  /** calle.v1.PolicyBundle, protobuf, base64: the signed bytes. */
  readonly bundle: string;
  readonly createdMs: number;
  /**
   * The staged rollout delivering this version, written in the same KV entry as the version so
   * that no replica can announce the version to its Watch streams before it knows the gate.
   */
  readonly rollout?: RolloutRecord;
  /** The rollout (id) this version rolls back: it must not count as superseding that rollout. */
  readonly rollbackOf?: number;
}

/** An edge's latest verdict, under its id. */
export type AckEntry = Omit<PolicyAckRow, 'edgeId'>;

export const policyKey = (version: number): string => `v.${version}`;
export const rolloutKey = (id: number): string => `r.${id}`;

/** The number in `v.<n>` or `r.<n>`, or undefined for a key of another shape. */
export function numberOfKey(key: string, prefix: 'v' | 'r'): number | undefined {
  const m = /^([vr])\.(\d{1,15})$/.exec(key);
  return m && m[1] === prefix ? Number(m[2]) : undefined;
}

const text = new TextEncoder();
const untext = new TextDecoder();

export const encodeEntry = (value: unknown): Uint8Array => text.encode(JSON.stringify(value));

/** Parses an entry's JSON; `what` names the bucket and key in the error. */
export function decodeEntry<T>(bytes: Uint8Array, what: string): T {
  try {
    return JSON.parse(untext.decode(bytes)) as T;
  } catch (err) {
    throw new Error(`${what}: not a JSON entry (${(err as Error).message})`, { cause: err });
  }
}
