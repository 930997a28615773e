// One coordinator replica's replication machinery, wired in the order it needs: a NATS connection,
// the state buckets, the mirror into this replica's SQLite, the write path, enrolment, the rollouts
// lease.
// Opt-in (CoordinatorOptions.replication): without it the coordinator keeps everything in its
// one SQLite file as before.
//
// A replicated coordinator does not start without NATS: its shared state lives there, and serving
// from a possibly stale local copy would tell edges registered on another replica that they are
// unknown. Once started it rides out NATS outages: reads keep answering from SQLite, copies of
// registry and ack writes are retried, publications and rollout changes fail until NATS is back.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { coordinatorConnectionOptions } from '../nats/coordinator-nats.js';
import type { CoordinatorNatsAuth } from '../nats/nats-credentials.js';
import type { EnrolmentStore } from '../enrolment/enrolment-store.js';
import type { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { EnrolmentBucket } from './enrolment-bucket.js';
import { LeaderLease } from './leader-lease.js';
import { MirrorProgress } from './mirror-progress.js';
import { ReplicatedEnrolment } from './replicated-enrolment.js';
import { ReplicatedWrites } from './replicated-writes.js';
import { openStateBuckets } from './state-buckets.js';
import { StateMirror, type MirrorSink } from './state-mirror.js';
import type { SharedWrites } from './store-writes.js';

export interface ReplicationOptions {
  /** This replica's id (`--replica-id`): unique among the replicas, stable across restarts. */
  readonly replicaId: string;
  /** Copies of each KV bucket (`--kv-replicas`): 1 on one nats-server, 3 on a cluster. */
  readonly bucketReplicas?: number;
  /** How long the rollouts lease holds after a renewal; default three rollout ticks (at least 300 ms). */
  readonly leaseTtlMs?: number;
}

export interface ReplicaStatus {
  readonly id: string;
  /** Whether this replica holds the rollouts lease (evaluates the gates) now. */
  readonly isLeader: boolean;
}

const REPLICA_ID = /^[A-Za-z0-9_-]{1,64}$/;

export class CoordinatorReplica {
  readonly writes: ReplicatedWrites;
  readonly mirror: StateMirror;
  readonly lease: LeaderLease;
  /** Token spending for EdgeAdmission (its `spender` option). */
  readonly enrolment: ReplicatedEnrolment;
  /** The replication interface (publisher, refresher and rollouts write through it). */
  readonly shared: SharedWrites;
  readonly status: ReplicaStatus;
  readonly #nc: NatsConnection;
  readonly #log: Logger;
  #closing: Promise<void> | undefined;

  private constructor(
    nc: NatsConnection,
    parts: {
      writes: ReplicatedWrites;
      mirror: StateMirror;
      lease: LeaderLease;
      enrolment: ReplicatedEnrolment;
    },
    log: Logger,
  ) {
    this.#nc = nc;
    this.#log = log;
    this.writes = parts.writes;
    this.mirror = parts.mirror;
    this.lease = parts.lease;
    this.enrolment = parts.enrolment;
    const lease = parts.lease;
    const writes = parts.writes;
    this.shared = {
      isLeader: () => lease.isLeader,
      update: async (id, change, retry) => writes.update(id, change, retry),
      publish: async (sign, meta) => writes.publish(sign, meta),
      refresh: async (version, bundle) => writes.refresh(version, bundle),
    };
    this.status = {
      id: lease.holder,
      get isLeader() {
        return lease.isLeader;
      },
    };
  }

  /** Connects to NATS and opens the buckets; throws (naming the option) if it cannot. */
  static async connect(args: {
    readonly servers: readonly string[];
    /** The coordinator's NATS credentials (cloud/nats); absent on a server without users. */
    readonly auth?: CoordinatorNatsAuth | undefined;
    readonly options: ReplicationOptions;
    readonly db: SqliteStore;
    /** The enrolment tables on `db`'s file (the mirror fills them). */
    readonly enrolment: EnrolmentStore;
    readonly tickMs: number;
    readonly log: Logger;
  }): Promise<CoordinatorReplica> {
    const { options, log } = args;
    if (!REPLICA_ID.test(options.replicaId))
      throw new Error(
        `replication.replicaId: ${JSON.stringify(options.replicaId)} must be 1-64 letters, digits, '-' or '_'`,
      );
    const connection = coordinatorConnectionOptions(args, `calle-coordinator-${options.replicaId}`);
    let nc: NatsConnection;
    try {
      nc = await connect({
        ...connection,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
      });
    } catch (err) {
      throw new Error(
        `replication: cannot connect to NATS ${args.servers.join(', ')} (${(err as Error).message}); a replicated coordinator keeps its state there and does not start without it`,
        { cause: err },
      );
    }
    try {
      const buckets = await openStateBuckets(nc, {
        ...(options.bucketReplicas !== undefined ? { replicas: options.bucketReplicas } : {}),
      });
      const mirror = new StateMirror({
        buckets,
        db: args.db,
        progress: new MirrorProgress(args.db.sqlite),
        enrolment: args.enrolment,
        log,
      });
      const enrolment = new ReplicatedEnrolment({
        bucket: new EnrolmentBucket(buckets.enrolment),
        mirror,
        store: args.enrolment,
        log,
      });
      const writes = new ReplicatedWrites({ buckets, mirror, db: args.db, log });
      const lease = new LeaderLease({
        kv: buckets.leases,
        name: 'rollouts',
        holder: options.replicaId,
        ttlMs: options.leaseTtlMs ?? Math.max(300, 3 * args.tickMs),
        log,
      });
      return new CoordinatorReplica(nc, { writes, mirror, lease, enrolment }, log);
    } catch (err) {
      await nc.close();
      throw err;
    }
  }

  /**
   * Brings this replica's store up to the buckets (resolves when it may serve), then starts
   * competing for the rollouts lease, renewed every `renewMs` (one rollout tick).
   */
  async start(sink: MirrorSink, renewMs: number): Promise<void> {
    await this.enrolment.adoptLocal();
    await this.mirror.start(sink);
    this.lease.start(renewMs);
    this.#log.info({ replica: this.lease.holder }, 'replica in step with the shared state');
  }

  /** Hands the lease back, stops copying and mirroring, closes NATS. Safe to call twice. */
  async close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.lease.stop();
      await this.writes.close();
      await this.enrolment.close();
      await this.mirror.close();
      await this.#nc.close();
    })();
    return this.#closing;
  }
}
