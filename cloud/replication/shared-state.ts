// Which implementation of the replication interface (store-writes.ts) a coordinator runs, decided
// once from its store and options:
//   one SQLite coordinator      the store itself; it alone writes, it always leads;
//   SQLite replicas (--replica-id)  JetStream KV (coordinator-replica.ts): the state lives in KV
//                               buckets and each replica's file is a mirror of them;
//   PostgreSQL (--db postgres://)   the shared database itself: versions by primary key, rollout
//                               records by compare-and-set, the lead by a lease row (pg-lease.ts),
//                               and a NOTIFY so the others announce what one wrote (pg-notices.ts).
// The KV mirror is not used with PostgreSQL: it would copy into each coordinator what they
// already share, and telemetry, the bulk, never went through it.
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { EnrolmentStore } from '../enrolment/enrolment-store.js';
import type { CoordinatorNatsAuth } from '../nats/nats-credentials.js';
import type { CoordinatorStore } from '../store/coordinator-store.js';
import { PgLease } from '../store/postgres/pg-lease.js';
import { PgNotices } from '../store/postgres/pg-notices.js';
import { PgStore } from '../store/postgres/pg-store.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { CoordinatorReplica, type ReplicaStatus, type ReplicationOptions } from './coordinator-replica.js';
import type { MirrorSink } from './state-mirror.js';
import { StoreWrites, type SharedWrites } from './store-writes.js';

export interface SharedState {
  readonly writes: SharedWrites;
  /** This coordinator's id and whether it leads; undefined for a lone SQLite coordinator. */
  readonly status: ReplicaStatus | undefined;
  /** The KV machinery of SQLite replicas (enrolment spending, the mirror), if that is the mode. */
  readonly replica: CoordinatorReplica | undefined;
  /** Reports the stored state to `sink`, then keeps it told; resolves when the coordinator may serve. */
  start(sink: MirrorSink): Promise<void>;
  close(): Promise<void>;
}

export interface SharedStateOptions {
  readonly store: CoordinatorStore;
  readonly url: string;
  readonly replication: ReplicationOptions | undefined;
  readonly natsServers: readonly string[];
  readonly natsAuth: CoordinatorNatsAuth | undefined;
  readonly enrolment: EnrolmentStore;
  readonly tickMs: number;
  readonly log: Logger;
}

export async function openSharedState(o: SharedStateOptions): Promise<SharedState> {
  const log = o.log.child({ module: 'shared-state' });
  if (o.store instanceof PgStore) {
    const self = o.replication?.replicaId ?? `${hostname()}-${process.pid}`;
    const lease = new PgLease({
      pool: o.store.pool,
      name: 'rollouts',
      holder: self,
      ttlMs: o.replication?.leaseTtlMs ?? Math.max(300, 3 * o.tickMs),
      log,
    });
    const writes: StoreWrites = new StoreWrites({
      store: o.store,
      log,
      isLeader: () => lease.isLeader,
      notices: { send: async (n) => notices.send(n) },
    });
    const notices = new PgNotices({
      url: o.url,
      pool: o.store.pool,
      self,
      log,
      onNotice: async (notice) => writes.catchUp(notice),
    });
    return {
      writes,
      status: {
        id: self,
        get isLeader() {
          return lease.isLeader;
        },
      },
      replica: undefined,
      async start(sink) {
        await writes.start(sink);
        await notices.start();
        lease.start(Math.max(100, Math.floor(o.tickMs)));
        await lease.renew();
      },
      async close() {
        await lease.stop();
        await notices.close();
      },
    };
  }
  if (o.replication) {
    if (!(o.store instanceof SqliteStore))
      throw new Error('replication: KV replicas keep their copy in SQLite');
    const replica = await CoordinatorReplica.connect({
      servers: o.natsServers,
      auth: o.natsAuth,
      options: o.replication,
      db: o.store,
      enrolment: o.enrolment,
      tickMs: o.tickMs,
      log: o.log.child({ module: 'replication', replica: o.replication.replicaId }),
    });
    return {
      writes: replica.shared,
      status: replica.status,
      replica,
      start: async (sink) => replica.start(sink, o.tickMs),
      close: async () => replica.close(),
    };
  }
  const writes = new StoreWrites({ store: o.store, log });
  return {
    writes,
    status: undefined,
    replica: undefined,
    start: async (sink) => writes.start(sink),
    // eslint-disable-next-line @typescript-eslint/require-await -- nothing of its own to close
    close: async () => undefined,
  };
}
