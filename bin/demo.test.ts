// The whole path, as `npm start` runs it: a real nats-server with JetStream, the coordinator
// (gRPC on a socket, SQLite), and one edge with the simulated Madrid street.
import test, { type ExecutionContext } from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { signInWithSetupToken } from '../edge/console/testing/console-fixture.js';
import { tempDir } from '../common/testing/temp-dir.js';
import { runDemo, type RunningDemo } from './demo.js';

interface EdgeStatus {
  id: string;
  received: number;
  events: number;
  highestSeq: number;
  gaps: number;
  duplicates: number;
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function coordinatorView(demo: RunningDemo): Promise<EdgeStatus | undefined> {
  const res = await fetch(`${demo.coordinatorUrl}/api/edges`);
  const edges = (await res.json()) as EdgeStatus[];
  return edges[0]; // the demo runs one edge
}

async function start(t: ExecutionContext): Promise<RunningDemo> {
  process.env.CALLE_LOG_LEVEL ??= 'warn';
  const demo = await runDemo({ stateDir: tempDir(t, 'calle-demo-'), telemetryIntervalS: 1 });
  t.teardown(async () => demo.close());
  return demo;
}

test('demo — a broker crash: the edge keeps controlling and queueing, then the backlog drains with nothing lost or doubled', async (t) => {
  const demo = await start(t);
  const { outbox, site } = demo.edge;

  await until(
    'first telemetry at the coordinator',
    async () => ((await coordinatorView(demo))?.received ?? 0) > 0 || undefined,
  );

  // What the street reports is readable as FIWARE NGSI-LD entities at the coordinator.
  const lights = await until('Streetlight entities', async () => {
    const res = await fetch(
      `${demo.coordinatorUrl}/ngsi-ld/v1/entities?type=Streetlight&limit=100&options=keyValues`,
    );
    const body = (await res.json()) as Array<{ id: string; type: string; illuminanceLevel?: number }>;
    return res.ok && body.length === 40 ? body : undefined;
  });
  t.true(lights.every((e) => e.type === 'Streetlight' && e.id.startsWith('urn:ngsi-ld:Streetlight:')));

  await demo.nats.stop('SIGKILL');
  const seqAtCut = outbox.stats().highestSeq;
  let changesDuringCut = 0;
  const unsubscribe = site.onChange((changed) => (changesDuringCut += changed.length));
  // Long enough for several telemetry batches and several signal state changes.
  await sleep(4_000);
  unsubscribe();
  t.true(outbox.stats().highestSeq > seqAtCut + 10, 'the edge went on producing readings');
  t.true(outbox.stats().pending >= 3, 'and queued them in the outbox');
  t.true(changesDuringCut > 0, 'control went on: devices changed state with the broker down');

  await demo.nats.start();
  // The edge produces every second, so look for a moment where all it has produced is stored.
  const final = await until('the backlog to drain', async () => {
    const view = await coordinatorView(demo);
    const s = outbox.stats();
    return view && s.pending === 0 && view.highestSeq === s.highestSeq ? view : undefined;
  });
  t.is(final.gaps, 0);
  t.is(final.received + final.events, final.highestSeq, 'every sequence number stored exactly once');
});

test('demo — a policy pushed from the coordinator is applied by the edge, stored, and acknowledged; a bad one is refused and changes nothing', async (t) => {
  const demo = await start(t);
  const { site } = demo.edge;
  // The console requires a session: the demo's first engineer signs in with the setup token.
  const cookie = await signInWithSetupToken(demo.consoleUrl, demo.edge.consoleSetupToken);
  await until('console shows the coordinator link up', async () => {
    const status = (await (await fetch(`${demo.consoleUrl}/api/status`, { headers: { cookie } })).json()) as {
      uplink: { coordinator: string };
    };
    return status.uplink.coordinator === 'connected' || undefined;
  });

  const good = await demo.coordinator.publish({
    target: { allEdges: true },
    lighting: {
      steps: [
        { at: 'sunset', offsetMin: 0, levelPct: 80 },
        { at: '00:30', levelPct: 40 },
      ],
      presenceLevelPct: 80,
      presenceHoldS: 60,
    },
    traffic: { cycleS: 90, minGreenS: 7, yellowS: 4, allRedS: 2 },
  });
  const version = Number(good.version);
  await until('the edge to apply it', () => (site.policyVersion === version ? true : undefined));
  const acks = await until('the ack', async () => {
    const rows = await demo.coordinator.policyAcks(version);
    return rows.length > 0 ? rows : undefined;
  });
  t.true(acks[0]!.applied);

  const bad = await demo.coordinator.publish({
    target: { allEdges: true },
    traffic: { cycleS: 90, minGreenS: 7, yellowS: 2, allRedS: 2 },
  });
  const refused = await until('the refusal', async () => {
    const rows = await demo.coordinator.policyAcks(Number(bad.version));
    return rows.length > 0 ? rows[0] : undefined;
  });
  t.false(refused.applied);
  t.regex(refused.reason, /yellow/i);
  t.is(site.policyVersion, version, 'the refused policy changed nothing');
});

test('demo — `calle command` through the coordinator: a signed override reaches the edge, is carried out and audited at both ends', async (t) => {
  const demo = await start(t);
  const { runCommandCommand } = await import('./command-command.js');
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
  const edgeId = 'centro-atocha-01';
  // The edge subscribes once its NATS link is up: retry the harmless ping until it answers.
  await until('the edge answers commands', async () => {
    const code = await runCommandCommand(
      [edgeId, 'diagnostics.ping', '--actor', 'ana', '--coordinator', demo.coordinatorUrl],
      io,
    );
    return code === 0 || undefined;
  });
  const code = await runCommandCommand(
    [
      edgeId,
      'lighting.override',
      'group=atocha-west',
      'levelPct=35',
      'durationS=300',
      '--actor',
      'ana',
      '--coordinator',
      demo.coordinatorUrl,
    ],
    io,
  );
  t.is(code, 0, err.join('\n'));
  t.regex(
    out.at(-1) ?? '',
    /^centro-atocha-01: lighting\.override done \(command [0-9a-f-]{36}\) \{"group":"atocha-west","expiresMs":\d+\}$/,
  );
  // The site decides at its next tick.
  await until('the override in force', () =>
    /override by coordinator:ana/.test(
      demo.edge.site.lightingGroups().find((g) => g.id === 'atocha-west')!.reason,
    )
      ? true
      : undefined,
  );
  t.truthy(
    demo.edge.audit
      .recent(20)
      .find((a) => a.action === 'command.lighting.override' && a.actor === 'coordinator:ana'),
  );
  // A signal command is not in the demo edge's allow-list: refused by the edge, exit 1, reason shown.
  const flash = await runCommandCommand(
    [
      edgeId,
      'intersection.flash',
      'intersection=atocha-x',
      '--actor',
      'ana',
      '--coordinator',
      demo.coordinatorUrl,
    ],
    io,
  );
  t.is(flash, 1);
  t.regex(
    err.at(-1) ?? '',
    /intersection\.flash refused .*: type: intersection\.flash is not allowed on this edge/,
  );
  // The coordinator's side of the trail: the operators' audit log, one row per attempt.
  const rows = demo.coordinator.audit.recent(50).filter((a) => a.actor === 'ana');
  t.truthy(rows.find((a) => a.action === 'command.done' && /lighting\.override/.test(a.afterJson ?? '')));
  t.truthy(rows.find((a) => a.action === 'command.refused' && /intersection\.flash/.test(a.afterJson ?? '')));
  t.true(demo.coordinator.audit.verify().ok);
});
