// The rig every fault test stands on: a real nats-server (its own process, killable), the
// coordinator (restartable on the same ports and database), and one edge made of the real edge
// parts (SQLite outbox, NATS link, outbox publisher) whose NATS traffic goes through a TcpProxy,
// plus a light gRPC edge for policies under the same edge id. Not a test file itself.
import type { ExecutionContext } from 'ava';
import { join } from 'node:path';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { startCoordinator, type Coordinator } from '../../cloud/coordinator.js';
import type { EdgeStatusJson } from '../../cloud/http/status-api.js';
import { LightEdge } from '../../cloud/rollouts/light-edge.js';
import { tempDir, testLogger, waitFor } from '../../cloud/testing/harness.js';
import { LocalNatsServer } from '../../deploy/nats/local-server.js';
import { openDatabase } from '../../common/sqlite/open-database.js';
import { Outbox } from '../../edge/store/outbox.js';
import { NatsLink } from '../../edge/sync/nats-link.js';
import { OutboxPublisher } from '../../edge/sync/outbox-publisher.js';
import { TELEMETRY_STREAM } from '../../proto/nats-subjects.js';
import { TcpProxy } from './tcp-proxy.js';
import { EDGE_MIGRATIONS } from '../../edge/store/migrations.js';

export const EDGE_ID = 'edge-fault';
const lighting = (levelPct: number) => ({ steps: [{ at: 'sunset', levelPct }], presenceLevelPct: levelPct });

export interface FaultRig {
  readonly nats: LocalNatsServer;
  readonly natsProxy: TcpProxy;
  readonly grpcProxy: TcpProxy;
  readonly outbox: Outbox;
  readonly policyEdge: LightEdge;
  coordinator: Coordinator;
  /** Stops the coordinator and starts it again on the same ports and database. */
  restartCoordinator(downMs?: number): Promise<void>;
  /** Records one tick of 5 readings; returns the highest seq so far. */
  produce(): number;
  /** Records a tick every `everyMs` until the returned stop() is called. */
  produceEvery(everyMs: number): () => void;
  /** A JetStream manager on a direct (unproxied) connection. */
  admin(): Promise<JetStreamManager>;
  streamMessages(): Promise<number>;
  /** Publishes a policy for the edge; returns its version. */
  publishPolicy(level: number): Promise<number>;
  /** Waits for the outbox to drain and checks exactly-once storage; returns the edge's row. */
  expectExactlyOnce(t: ExecutionContext, timeoutMs?: number): Promise<EdgeStatusJson>;
  /** Waits for the edge to apply `version` and the coordinator to record the ack. */
  expectPolicy(t: ExecutionContext, version: number, timeoutMs?: number): Promise<void>;
}

export async function faultRig(t: ExecutionContext): Promise<FaultRig> {
  const dir = tempDir(t);
  const { log } = testLogger(t);
  const nats = await LocalNatsServer.start({ storeDir: join(dir, 'nats') });
  t.teardown(async () => nats.close());

  const dbPath = join(dir, 'coordinator.db');
  const start = async (grpcPort = 0, httpPort = 0) =>
    startCoordinator({
      dbPath,
      natsServers: [nats.url],
      grpcHost: '127.0.0.1',
      grpcPort,
      httpHost: '127.0.0.1',
      httpPort,
      log: log.child({ side: 'coordinator' }),
      enrolment: 'open', // the fault tests are about delivery, not enrolment
    });
  let coordinator = await start();
  t.teardown(async () => coordinator.close());
  const grpcPort = coordinator.grpcPort;
  const httpPort = Number(new URL(coordinator.httpUrl).port);

  const natsProxy = await TcpProxy.start('127.0.0.1', nats.port);
  t.teardown(async () => natsProxy.close());
  const grpcProxy = await TcpProxy.start('127.0.0.1', grpcPort);
  t.teardown(async () => grpcProxy.close());

  const edgeLog = log.child({ side: 'edge' });
  const edgeDb = openDatabase(join(dir, 'edge.db'), EDGE_MIGRATIONS);
  t.teardown(() => edgeDb.close());
  const outbox = new Outbox({ db: edgeDb, edgeId: EDGE_ID, log: edgeLog });
  const link = new NatsLink({
    servers: [`nats://127.0.0.1:${natsProxy.port}`],
    edgeId: EDGE_ID,
    log: edgeLog,
  });
  t.teardown(async () => link.close());
  const publisher = new OutboxPublisher({
    outbox,
    connection: () => link.connection,
    edgeId: EDGE_ID,
    log: edgeLog,
    ackTimeoutMs: 1_000,
    idleMs: 50,
  });
  publisher.start();
  t.teardown(async () => publisher.stop());

  const policyEdge = await LightEdge.start({
    target: `127.0.0.1:${grpcProxy.port}`,
    edgeId: EDGE_ID,
    retryMs: 100,
    deadlineMs: 2_000,
  });
  t.teardown(() => policyEdge.close());

  let adminNc: NatsConnection | undefined;
  t.teardown(async () => adminNc?.close());
  const admin = async (): Promise<JetStreamManager> => {
    adminNc ??= await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    return jetstreamManager(adminNc);
  };

  let tick = 0;
  const produce = (): number => {
    tick++;
    outbox.record(
      Array.from({ length: 5 }, (_, i) => ({
        deviceId: `lum-${i}`,
        metric: 'level.pct',
        value: tick,
        timeMs: Date.now(),
      })),
    );
    return outbox.stats().highestSeq;
  };

  const rig: FaultRig = {
    nats,
    natsProxy,
    grpcProxy,
    outbox,
    policyEdge,
    coordinator,
    async restartCoordinator(downMs = 500) {
      await rig.coordinator.close();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      coordinator = await start(grpcPort, httpPort);
      rig.coordinator = coordinator;
    },
    produce,
    produceEvery(everyMs) {
      const timer = setInterval(produce, everyMs);
      t.teardown(() => clearInterval(timer));
      return () => clearInterval(timer);
    },
    admin,
    async streamMessages() {
      return (await (await admin()).streams.info(TELEMETRY_STREAM)).state.messages;
    },
    async publishPolicy(level) {
      const bundle = await rig.coordinator.publish({
        target: { edgeIds: [EDGE_ID] },
        lighting: lighting(level),
      });
      return Number(bundle.version);
    },
    async expectExactlyOnce(t2, timeoutMs = 12_000) {
      const produced = outbox.stats().highestSeq;
      await waitFor(() => outbox.stats().pending === 0, timeoutMs, 'the outbox to drain');
      let row: EdgeStatusJson | undefined;
      await waitFor(
        async () => {
          const edges = (await (
            await fetch(`${rig.coordinator.httpUrl}/api/edges`)
          ).json()) as EdgeStatusJson[];
          row = edges.find((e) => e.id === EDGE_ID);
          return row?.received === produced && row.highestSeq === produced;
        },
        timeoutMs,
        `the coordinator to store ${produced} readings`,
      );
      // Stored once each: as many rows as seqs produced, every seq 1..produced present, none missing.
      t2.like(row, { received: produced, highestSeq: produced, gaps: 0 });
      return row!;
    },
    async expectPolicy(t2, version, timeoutMs = 10_000) {
      await waitFor(() => policyEdge.applied === version, timeoutMs, `the edge to apply policy ${version}`);
      await waitFor(
        async () =>
          (await rig.coordinator.policyAcks(version)).some((a) => a.edgeId === EDGE_ID && a.applied),
        timeoutMs,
        `the coordinator to record the ack of ${version}`,
      );
      t2.is(policyEdge.applied, version);
    },
  };
  return rig;
}

/** Shortens the telemetry stream's duplicate window (the coordinator sets 24 h at start). */
export async function setDuplicateWindow(rig: FaultRig, ms: number): Promise<void> {
  const jsm = await rig.admin();
  const info = await jsm.streams.info(TELEMETRY_STREAM);
  await jsm.streams.update(TELEMETRY_STREAM, { ...info.config, duplicate_window: nanos(ms) });
}
