// Guard test (issue 13): who may publish, subscribe and request what on the hub, asked of a real
// nats-server running hub.conf with an accounts file rendered by renderAccountsFile. Every cell is
// the server's own verdict, seen from both sides: an allowed publish reaches a subscriber and draws
// no error, a denied one draws a "Permissions Violation" and reaches nobody; an allowed
// subscription receives what the coordinator publishes there, a denied one is refused and receives
// nothing; an allowed request gets its answer. Then the attack that once worked: a captured
// cabinet listening on the inboxes while the coordinator ingests another edge's telemetry.
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import test, { type ExecutionContext } from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { coordinatorConnectionOptions } from '../../cloud/nats/coordinator-nats.js';
import { natsAuthFromFlags } from '../../cloud/nats/nats-credentials.js';
import { TelemetryIngest } from '../../cloud/ingest/telemetry-ingest.js';
import { SqliteStore } from '../../cloud/store/sqlite/sqlite-store.js';
import { publishBatch, testLogger, waitFor } from '../../cloud/testing/harness.js';
import { tempDir } from '../../common/testing/temp-dir.js';
import { connectEdge, startHub, type RunningHub } from './testing/hub-fixture.js';

type Verdict = 'allowed' | 'denied';
type Op = 'publish' | 'subscribe' | 'request';

/**
 * The matrix for an edge X whose neighbour is Y; the coordinator may do every row. Subscribe rows
 * give the filter and the subject the coordinator then publishes to feed it.
 */
const rows = (x: string, y: string): { op: Op; subject: string; feed?: string; edge: Verdict }[] => [
  { op: 'publish', subject: `calle.telemetry.${x}`, edge: 'allowed' },
  { op: 'publish', subject: `calle.events.${x}`, edge: 'allowed' },
  { op: 'publish', subject: `calle.telemetry.${y}`, edge: 'denied' },
  { op: 'publish', subject: `calle.events.${y}`, edge: 'denied' },
  { op: 'publish', subject: `calle.cmd.${x}.diagnostics.ping`, edge: 'denied' },
  { op: 'publish', subject: `calle.cmd.${y}.diagnostics.ping`, edge: 'denied' },
  { op: 'publish', subject: '_INBOX.probe', edge: 'denied' },
  { op: 'publish', subject: `_INBOX.edge.${x}.probe`, edge: 'denied' },
  { op: 'publish', subject: `_INBOX.edge.${y}.probe`, edge: 'denied' },
  { op: 'publish', subject: '_INBOX.coordinator.probe', edge: 'denied' },
  { op: 'publish', subject: '$JS.probe', edge: 'denied' },
  { op: 'publish', subject: '$JS.API.STREAM.NAMES', edge: 'denied' },
  { op: 'publish', subject: '$JS.ACK.CALLE_TELEMETRY.ingest.1.1.1.1.0', edge: 'denied' },
  { op: 'publish', subject: '$KV.calle_registry.probe', edge: 'denied' },
  { op: 'publish', subject: '$SYS.probe', edge: 'denied' },
  { op: 'publish', subject: 'anything.else', edge: 'denied' },

  { op: 'subscribe', subject: `calle.cmd.${x}.>`, feed: `calle.cmd.${x}.diagnostics.ping`, edge: 'allowed' },
  { op: 'subscribe', subject: `_INBOX.edge.${x}.>`, feed: `_INBOX.edge.${x}.probe`, edge: 'allowed' },
  { op: 'subscribe', subject: `calle.cmd.${y}.>`, feed: `calle.cmd.${y}.diagnostics.ping`, edge: 'denied' },
  { op: 'subscribe', subject: `calle.telemetry.${x}`, edge: 'denied' },
  { op: 'subscribe', subject: `calle.telemetry.${y}`, edge: 'denied' },
  { op: 'subscribe', subject: `calle.events.${y}`, edge: 'denied' },
  { op: 'subscribe', subject: '_INBOX.>', feed: '_INBOX.coordinator.probe', edge: 'denied' },
  { op: 'subscribe', subject: `_INBOX.edge.${y}.>`, feed: `_INBOX.edge.${y}.probe`, edge: 'denied' },
  { op: 'subscribe', subject: '_INBOX.coordinator.>', feed: '_INBOX.coordinator.probe', edge: 'denied' },
  { op: 'subscribe', subject: '$JS.>', feed: '$JS.probe', edge: 'denied' },
  { op: 'subscribe', subject: '$JS.API.>', feed: '$JS.API.probe', edge: 'denied' },
  { op: 'subscribe', subject: '$JS.ACK.>', feed: '$JS.ACK.probe', edge: 'denied' },
  { op: 'subscribe', subject: '$KV.>', feed: '$KV.calle_registry.probe', edge: 'denied' },
  { op: 'subscribe', subject: '$SYS.>', feed: '$SYS.probe', edge: 'denied' },
  { op: 'subscribe', subject: '>', feed: 'anything.else', edge: 'denied' },

  // Requests: the edge's own subjects are answered into its own inbox (as JetStream acks are).
  { op: 'request', subject: `calle.telemetry.${x}`, edge: 'allowed' },
  { op: 'request', subject: `calle.events.${x}`, edge: 'allowed' },
  { op: 'request', subject: `calle.telemetry.${y}`, edge: 'denied' },
  { op: 'request', subject: `calle.cmd.${x}.diagnostics.ping`, edge: 'denied' },
  { op: 'request', subject: `calle.cmd.${y}.diagnostics.ping`, edge: 'denied' },
  { op: 'request', subject: '$JS.API.INFO', edge: 'denied' },
];

/** Permission violations the server reported on a connection, as "publish subject"/"subscription subject". */
function violations(nc: NatsConnection): string[] {
  const seen: string[] = [];
  void (async () => {
    for await (const s of nc.status())
      if (s.type === 'error' && s.error.name === 'PermissionViolationError') {
        const e = s.error as unknown as { operation: string; subject: string };
        seen.push(`${e.operation} ${e.subject}`);
      }
  })();
  return seen;
}

interface Identity {
  readonly name: string;
  readonly nc: NatsConnection;
  /** Whose matrix: the edge id X, or undefined for the coordinator (allowed everything). */
  readonly edge: string | undefined;
  readonly other: string;
}

async function setup(t: ExecutionContext) {
  const dir = tempDir(t);
  const hub = await startHub(t, dir, ['edge-a', 'edge-b']);
  const coordinator = await connectCoordinator(t, hub, dir);
  return { dir, hub, coordinator };
}

async function connectCoordinator(
  t: ExecutionContext,
  hub: RunningHub,
  dir: string,
): Promise<NatsConnection> {
  const passwordFile = join(dir, `coordinator-${Math.random().toString(36).slice(2)}.password`);
  writeFileSync(passwordFile, `${hub.coordinatorPassword}\n`, { mode: 0o600 });
  const auth = natsAuthFromFlags({ 'nats-user': 'coordinator', 'nats-password-file': passwordFile });
  const nc = await connect(coordinatorConnectionOptions({ servers: [hub.nats.url], auth }, 'coordinator'));
  t.teardown(async () => {
    if (!nc.isClosed()) await nc.close();
  });
  return nc;
}

/** Runs every row for one identity and returns "op subject: verdict" lines, expected vs seen. */
async function runMatrix(
  id: Identity,
  feeder: NatsConnection,
  responders: ReadonlyMap<string, NatsConnection>,
): Promise<{ expected: string[]; seen: string[] }> {
  const x = id.edge ?? 'edge-a';
  const table = rows(x, id.other);
  const errors = violations(id.nc);
  const expected = table.map((r) => `${r.op} ${r.subject}: ${id.edge ? r.edge : 'allowed'}`);

  // Publishes: an observer (the feeder, allowed everything) listens on each exact subject.
  const published = table.filter((r) => r.op === 'publish');
  const heard = new Set<string>();
  const observers = published.map((r) =>
    feeder.subscribe(r.subject, { callback: (_e, m) => void heard.add(m.subject) }),
  );
  await feeder.flush();
  for (const r of published) id.nc.publish(r.subject, 'probe');
  await id.nc.flush();
  await sleep(300);
  // Done listening before the feeder publishes anything itself below.
  for (const o of observers) o.unsubscribe();
  await feeder.flush();

  // Subscriptions: subscribe, let the server answer, then the feeder publishes into each.
  const subscribed = table.filter((r) => r.op === 'subscribe');
  const got = new Set<string>();
  for (const r of subscribed)
    id.nc.subscribe(r.subject, { callback: (err) => void (err ?? got.add(r.subject)) });
  await id.nc.flush();
  await sleep(200);
  for (const r of subscribed) feeder.publish(r.feed ?? r.subject, 'probe');
  await feeder.flush();

  // Requests: a responder allowed to subscribe the subject answers.
  const requested = table.filter((r) => r.op === 'request');
  for (const r of requested) {
    const responder = r.subject.startsWith('calle.cmd.') ? responders.get(r.subject.split('.')[2]!)! : feeder;
    if (r.subject.startsWith('$JS.API')) continue; // JetStream itself answers
    responder.subscribe(r.subject, { callback: (_e, m) => void m.respond('answer') });
    await responder.flush();
  }
  const answered = await Promise.all(
    requested.map(async (r) =>
      id.nc.request(r.subject, 'probe', { timeout: 1_000 }).then(
        () => true,
        () => false,
      ),
    ),
  );
  await id.nc.flush();
  await sleep(300);

  const seen = table.map((r) => {
    let ok: boolean;
    if (r.op === 'publish') {
      ok = heard.has(r.subject) && !errors.includes(`publish ${r.subject}`);
      if (!ok && heard.has(r.subject)) return `${r.op} ${r.subject}: delivered despite a violation`;
    } else if (r.op === 'subscribe') {
      const refused = errors.includes(`subscription ${r.subject}`);
      ok = got.has(r.subject) && !refused;
      if (!ok && got.has(r.subject)) return `${r.op} ${r.subject}: delivered despite a violation`;
      if (!ok && !refused) return `${r.op} ${r.subject}: nothing delivered, but no violation either`;
    } else ok = answered[requested.indexOf(r)]!;
    return `${r.op} ${r.subject}: ${ok ? 'allowed' : 'denied'}`;
  });
  return { expected, seen };
}

test('nats permission matrix — each edge only its own subjects and inbox; the coordinator everything', async (t) => {
  const { hub, coordinator } = await setup(t);
  const a = await connectEdge(t, hub, 'edge-a');
  const b = await connectEdge(t, hub, 'edge-b');
  const responders = new Map([
    ['edge-a', a],
    ['edge-b', b],
  ]);
  const identities: Identity[] = [
    { name: 'edge-a', nc: a, edge: 'edge-a', other: 'edge-b' },
    { name: 'edge-b', nc: b, edge: 'edge-b', other: 'edge-a' },
  ];
  for (const id of identities) {
    // A fresh feeder per identity, so one identity's subscriptions never answer another's probes.
    const feeder = await connectCoordinator(t, hub, tempDir(t));
    const { expected, seen } = await runMatrix(id, feeder, responders);
    t.deepEqual(seen, expected, id.name);
  }
  // The coordinator, on its own connection: commands are answered by the edges into its inbox.
  const feeder = await connectCoordinator(t, hub, tempDir(t));
  const { expected, seen } = await runMatrix(
    { name: 'coordinator', nc: coordinator, edge: undefined, other: 'edge-b' },
    feeder,
    responders,
  );
  t.deepEqual(seen, expected, 'coordinator');
});

test('nats permission matrix — an edge on the shared default inbox gets no answer: its own inbox is the only one', async (t) => {
  const { hub, coordinator } = await setup(t);
  coordinator.subscribe('calle.telemetry.edge-a', { callback: (_e, m) => void m.respond('ack') });
  await coordinator.flush();
  const lazy = await connectEdge(t, hub, 'edge-a', { inboxPrefix: undefined });
  const errors = violations(lazy);
  await t.throwsAsync(lazy.request('calle.telemetry.edge-a', 'x', { timeout: 1_000 }));
  await waitFor(() => errors.some((e) => /^subscription _INBOX\.[^.]+\.\*$/.test(e)), 5_000, 'the refusal');
});

test('nats permission matrix — strangers, wrong passwords and unknown nkeys are not let in', async (t) => {
  const { hub } = await setup(t);
  const url = hub.nats.url;
  await t.throwsAsync(connect({ servers: url, reconnect: false }), { message: /Authorization Violation/i });
  await t.throwsAsync(connect({ servers: url, reconnect: false, user: 'coordinator', pass: 'wrong' }), {
    message: /Authorization Violation/i,
  });
  await t.throwsAsync(connect({ servers: url, reconnect: false, user: 'sys', pass: 'guess' }), {
    message: /Authorization Violation/i,
  });
  const { createUser } = await import('@nats-io/nkeys');
  const { nkeyAuthenticator } = await import('@nats-io/transport-node');
  await t.throwsAsync(
    connect({ servers: url, reconnect: false, authenticator: nkeyAuthenticator(createUser().getSeed()) }),
    { message: /Authorization Violation/i },
  );
});

test('nats permission matrix — attack: a captured cabinet listening on every inbox reads nothing of another edge’s telemetry and cannot NAK it', async (t) => {
  const { dir, hub } = await setup(t);
  const passwordFile = join(dir, 'ingest.password');
  writeFileSync(passwordFile, hub.coordinatorPassword, { mode: 0o600 });
  const db = new SqliteStore(join(dir, 'coordinator.db'));
  const ingest = TelemetryIngest.start({
    servers: [hub.nats.url],
    auth: natsAuthFromFlags({ 'nats-user': 'coordinator', 'nats-password-file': passwordFile }),
    store: db.telemetry,
    log: testLogger(t).log,
    retryMs: 200,
  });
  t.teardown(async () => {
    await ingest.close();
    db.closeNow();
  });
  await ingest.ready;

  const attacker = await connectEdge(t, hub, 'edge-b');
  const refused = violations(attacker);
  const stolen: string[] = [];
  for (const s of ['_INBOX.>', '_INBOX.coordinator.>', '$JS.ACK.>', 'calle.telemetry.>', '>'])
    attacker.subscribe(s, { callback: (err, m) => void (err ?? stolen.push(m.subject)) });
  await attacker.flush();

  const victim = await connectEdge(t, hub, 'edge-a');
  const js = jetstream(victim);
  for (let i = 0; i < 5; i++) await publishBatch(js, 'edge-a', [3 * i + 1, 3 * i + 2, 3 * i + 3]);
  // The attacker answers deliveries it would have seen, and forges one on the durable's subject.
  attacker.publish('$JS.ACK.CALLE_TELEMETRY.ingest.1.1.1.1.0', '-NAK');
  await attacker.flush();
  await waitFor(
    async () => (await db.telemetry.stats('edge-a'))?.readingsReceived === 15,
    10_000,
    'ingest of 15 readings',
  );
  await sleep(300);

  t.deepEqual(stolen, [], 'nothing delivered to the attacker');
  t.true(refused.includes('subscription _INBOX.>'), refused.join('; '));
  t.true(refused.includes('subscription _INBOX.coordinator.>'), refused.join('; '));
  t.true(refused.includes('publish $JS.ACK.CALLE_TELEMETRY.ingest.1.1.1.1.0'), refused.join('; '));
  t.like(await db.telemetry.stats('edge-a'), {
    readingsReceived: 15,
    duplicates: 0,
    gaps: 0,
    highestContiguousSeq: 15,
  });
});
