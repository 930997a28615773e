// Test helpers for cloud/: real nats-server, real SQLite files, real gRPC sockets, each opened for
// one test and closed in its teardown. Not a test file itself (ava only runs *.test.ts).
import * as grpc from '@grpc/grpc-js';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { ExecutionContext } from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { LocalNatsServer } from '../../deploy/nats/local-server.js';
import { encodeMessage, v1, type calle } from '../../proto/index.js';
import { messageId, telemetrySubject } from '../../proto/nats-subjects.js';

/** A temp directory removed when the test ends. */
export function tempDir(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'calle-cloud-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A logger whose JSON lines are kept for assertions (and printed if the test fails). */
export function testLogger(t: ExecutionContext): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n'))
        if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const log = pino({ level: 'debug' }, sink);
  t.teardown(() => {
    if (!t.passed) for (const l of lines.slice(-40)) t.log(JSON.stringify(l));
  });
  return { log, lines };
}

/** A private nats-server with JetStream on a free port, stopped when the test ends. */
export async function startNats(t: ExecutionContext): Promise<LocalNatsServer> {
  const server = await LocalNatsServer.start();
  t.teardown(async () => server.close());
  return server;
}

/** A plain client playing the edge's part, closed when the test ends. */
export async function edgeClient(
  t: ExecutionContext,
  url: string,
): Promise<{ nc: NatsConnection; js: JetStreamClient }> {
  const nc = await connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
  t.teardown(async () => {
    if (!nc.isClosed()) await nc.close();
  });
  return { nc, js: jetstream(nc) };
}

/** Readings with consecutive seqs, as the edge would batch them. */
export function readings(seqs: readonly number[], deviceId = 'lum-07'): calle.v1.Reading.$Properties[] {
  return seqs.map((seq) => ({
    seq,
    deviceId,
    metric: 'level.pct',
    value: seq * 10,
    timeMs: 1_700_000_000_000 + seq,
  }));
}

/** Publishes a TelemetryBatch the way the edge does: msg id "<edge>:<first seq>" unless given. */
export async function publishBatch(
  js: JetStreamClient,
  edgeId: string,
  seqs: readonly number[],
  msgID = messageId(edgeId, seqs[0] ?? 0),
): Promise<{ duplicate: boolean }> {
  const data = encodeMessage(v1.TelemetryBatch, { edgeId, readings: readings(seqs) });
  const ack = await js.publish(telemetrySubject(edgeId), data, { msgID });
  return { duplicate: ack.duplicate };
}

/** Polls `check` until it returns true, or fails after `timeoutMs`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Calls a unary method of a generic grpc-js client and returns a promise of the answer. */
export async function unary<Res>(client: grpc.Client, method: string, request: object): Promise<Res> {
  const fn = (
    client as unknown as Record<
      string,
      (r: object, cb: (e: grpc.ServiceError | null, v: Res) => void) => void
    >
  )[method];
  if (!fn) throw new Error(`no method ${method}`);
  return new Promise<Res>((resolve, reject) => {
    fn.call(client, request, (err, value) => {
      if (err) reject(err);
      else resolve(value);
    });
  });
}

/** Closes a grpc-js client when the test ends. */
export function closeClientAfter<C extends grpc.Client>(t: ExecutionContext, client: C): C {
  t.teardown(() => client.close());
  return client;
}
