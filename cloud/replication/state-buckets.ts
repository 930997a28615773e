// The JetStream KV buckets that hold the coordinator's shared state, created on first start and
// bound on every later one. File storage: the buckets are the record of the fleet registry,
// policies, acks, rollouts and enrolment once replication is on; each replica's SQLite file is a
// materialised copy (state-mirror.ts) that can be rebuilt from them.
//
// replicas: 1 on a single nats-server (it refuses more), 3 on the production cluster so that a
// bucket survives one broker. REFERENCE §6 applies here as to the ingest streams: JetStream acks a
// put before fsync by default (sync_interval 2 min), so a power cut of every broker at once can
// lose the last puts; run the cluster with `jetstream { sync_interval: always }` where that matters.
//
// history: 1 everywhere. Compare-and-set works on the key's last revision, and every reader wants
// only the latest value of each key; a policy key is rewritten only with a re-signed copy of the
// same content (policy-refresher.ts), so no version's content is ever lost.
// No per-key TTL: nats-server 2.9 lacks it (leases carry their expiry in the value instead).
import { StorageType } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { BUCKETS, type BucketName } from './state-entries.js';

export type StateBuckets = Readonly<Record<BucketName, KV>>;

export interface StateBucketOptions {
  /** Copies of each bucket in the cluster; default 1 (a single nats-server). */
  readonly replicas?: number;
}

/** Creates (or binds to) every bucket. Throws if NATS has no JetStream or refuses the settings. */
export async function openStateBuckets(
  nc: NatsConnection,
  { replicas = 1 }: StateBucketOptions = {},
): Promise<StateBuckets> {
  if (!Number.isSafeInteger(replicas) || replicas < 1 || replicas > 5)
    throw new Error(`replication.bucketReplicas: ${replicas} must be a whole number from 1 to 5`);
  const kvm = new Kvm(nc);
  const open = async (name: string): Promise<KV> =>
    kvm.create(name, { storage: StorageType.File, history: 1, replicas });
  const [edges, policies, acks, rollouts, leases, enrolment] = await Promise.all([
    open(BUCKETS.edges),
    open(BUCKETS.policies),
    open(BUCKETS.acks),
    open(BUCKETS.rollouts),
    open(BUCKETS.leases),
    open(BUCKETS.enrolment),
  ]);
  return { edges, policies, acks, rollouts, leases, enrolment };
}
