// The policy path end to end with real processes' parts on real sockets: `calle policy` → the
// coordinator's REST API → signed, stored → gRPC Watch → the edge verifies against its pinned key →
// the site applies it → a luminaire's level and reason change → the ack is visible at the
// coordinator. Then the attacks: tampered, unsigned, replayed and foreign-key bundles, each refused
// with its reason at both ends while the street stays on the last good policy.
import test, { type ExecutionContext } from 'ava';
import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCoordinator, type Coordinator } from '../cloud/coordinator.js';
import { ed25519Signer, ephemeralSigner, type PolicySigner } from '../cloud/keys/policy-signer.js';
import { initKeyPair, loadSigningKey } from '../cloud/keys/signing-key.js';
import { loadEdgeConfig } from '../edge/config/load-config.js';
import { startEdgeNode, type EdgeNodeHandle } from '../edge/edge-node.js';
import { tempDir, testLogger } from '../common/testing/temp-dir.js';
import { canonicalBundle } from '../common/signing/policy-signature.js';
import { v1, type calle } from '../proto/index.js';
import { eventSubject } from '../proto/nats-subjects.js';
import { DEMO_SITE } from './demo.js';
import { runPolicyCommand } from './policy-command.js';

type Mode = 'honest' | 'tamper' | 'unsigned' | 'replay' | 'other-key';

/** Stands in for a compromised path between the coordinator's key and the edge. */
class PathUnderAttack implements PolicySigner {
  mode: Mode = 'honest';
  readonly honestlySigned: calle.v1.PolicyBundle[] = [];
  readonly #honest: PolicySigner;
  readonly #other = ephemeralSigner();

  constructor(honest: PolicySigner) {
    this.#honest = honest;
  }

  get keyId(): string {
    return this.#honest.keyId;
  }

  sign(bundle: calle.v1.IPolicyBundle): calle.v1.PolicyBundle {
    switch (this.mode) {
      case 'honest': {
        const signed = this.#honest.sign(bundle);
        this.honestlySigned.push(signed);
        return signed;
      }
      case 'tamper': {
        const signed = this.#honest.sign(bundle);
        signed.lighting!.steps![0]!.levelPct = 0; // lights out, after the signature was made
        return signed;
      }
      case 'unsigned':
        return canonicalBundle(bundle);
      case 'replay':
        return this.honestlySigned[0]!; // an old, genuinely signed bundle recorded off the wire
      case 'other-key':
        return this.#other.sign(bundle);
    }
  }
}

async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** A longitude where it is the middle of the night now, so the lighting schedule is in force. */
function midnightLongitude(nowMs = Date.now()): number {
  const utcHours = (nowMs % 86_400_000) / 3_600_000;
  return ((((-15 * utcHours + 180) % 360) + 360) % 360) - 180;
}

interface Pair {
  coordinator: Coordinator;
  edge: EdgeNodeHandle;
  path: PathUnderAttack;
  dir: string;
  cli: (...args: string[]) => Promise<{ code: number; out: string[]; err: string[] }>;
}

async function startPair(t: ExecutionContext): Promise<Pair> {
  const dir = tempDir(t, 'calle-policy-');
  const keys = initKeyPair(join(dir, 'keys'));
  const path = new PathUnderAttack(ed25519Signer(loadSigningKey(keys.privateFile)));
  const coordinator = await startCoordinator({
    dbPath: join(dir, 'coordinator.db'),
    natsServers: ['nats://127.0.0.1:1'], // no broker: this test is about the control plane
    grpcHost: '127.0.0.1',
    grpcPort: 0,
    httpHost: '127.0.0.1',
    httpPort: 0,
    signer: path,
    log: testLogger(),
    enrolment: 'open', // light edges register without enrolment
  });
  t.teardown(async () => coordinator.close());

  const site = loadEdgeConfig(DEMO_SITE);
  const edge = await startEdgeNode(
    {
      ...site,
      edge: { ...site.edge, latitude: 0, longitude: midnightLongitude() },
      store: { path: join(dir, 'edge.db') },
      coordinator: { grpc: `127.0.0.1:${coordinator.grpcPort}` },
      trust: { coordinatorKey: keys.publicFile },
      console: { host: '127.0.0.1', port: 0 },
    },
    testLogger(),
  );
  t.teardown(async () => edge.close());

  const cli = async (...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runPolicyCommand([...args, '--coordinator', coordinator.httpUrl], {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
    });
    return { code, out, err };
  };
  return { coordinator, edge, path, dir, cli };
}

const luminaireReason = (edge: EdgeNodeHandle): string =>
  edge.site.devices().find((d) => d.kind === 'luminaire')?.reason ?? '';

/** The events the edge raised (no broker here, so they wait in its outbox). */
const edgeEvents = (edge: EdgeNodeHandle): calle.v1.Event[] =>
  edge.outbox
    .peek(10_000)
    .filter((r) => r.subject === eventSubject('centro-atocha-01'))
    .map((r) => v1.Event.decode(r.payload));

test('policy command — a YAML policy pushed with `calle policy push` reaches the edge, changes the lights and is acked; status and rollback work', async (t) => {
  const { coordinator, edge, dir, cli } = await startPair(t);
  await until('the edge to light by its built-in default', () =>
    /default: /.test(luminaireReason(edge)) ? true : undefined,
  );

  const file = join(dir, 'dim.yaml');
  writeFileSync(
    file,
    'target:\n  districts: [centro]\nlighting:\n  steps:\n    - at: sunset\n      levelPct: 60\n  presenceLevelPct: 60\n',
  );
  const push = await cli('push', file);
  t.is(push.code, 0, push.err.join('\n'));
  t.regex(
    push.out[0] ?? '',
    new RegExp(
      `^policy 1 published, signed by key ${coordinator.keyId} \\(ed25519\\), for districts centro$`,
    ),
  );

  await until('the edge to apply policy 1', () => (edge.site.policyVersion === 1 ? true : undefined));
  await until('a luminaire to follow the schedule', () =>
    /schedule: sunset\+0 → 60 %/.test(luminaireReason(edge)) ? true : undefined,
  );
  const lum = edge.site.devices().find((d) => d.kind === 'luminaire');
  t.regex(lum?.reason ?? '', /schedule: sunset\+0 → 60 %/);

  const status = await until('the ack', async () => {
    const s = await cli('status');
    return s.out.some((l) => /centro-atocha-01\s+applied/.test(l)) ? s : undefined;
  });
  t.regex(
    status.out[0] ?? '',
    /^policy 1 \(issued .*, for districts centro\): 1 applied, 0 refused, 0 pending$/,
  );

  // A bad file is refused by the coordinator with the field named, and nothing is published.
  const bad = join(dir, 'bad.yaml');
  writeFileSync(
    bad,
    'target: { allEdges: true }\ntraffic: { cycleS: 90, minGreenS: 7, yellowS: 2, allRedS: 2 }\n',
  );
  const refused = await cli('push', bad);
  t.is(refused.code, 1);
  t.deepEqual(refused.err, [`${bad}: traffic.yellowS: 2 is below the minimum 3`]);

  // Brighter, then back: the rollback is a new version (3) carrying version 1's content.
  writeFileSync(
    file,
    'target: { edgeIds: [centro-atocha-01] }\nlighting: { steps: [{ at: sunset, levelPct: 90 }], presenceLevelPct: 90 }\n',
  );
  t.is((await cli('push', file)).code, 0);
  await until('policy 2', () => (/→ 90 %/.test(luminaireReason(edge)) ? true : undefined));
  const rollback = await cli('rollback', '--to', '1');
  t.deepEqual(rollback.out, [`policy 3 published with the content of 1, signed by key ${coordinator.keyId}`]);
  await until('policy 3', () =>
    edge.site.policyVersion === 3 && /→ 60 %/.test(luminaireReason(edge)) ? true : undefined,
  );
  t.like(await coordinator.policyAcks(3), [{ edgeId: 'centro-atocha-01', applied: true }]);
});

test('policy command — tampered, unsigned, replayed and foreign-key bundles are refused with the reason at both ends; the street stays on the last good policy', async (t) => {
  const { coordinator, edge, path, cli } = await startPair(t);
  const lighting = (levelPct: number) => ({
    steps: [{ at: 'sunset', levelPct }],
    presenceLevelPct: levelPct,
  });
  await coordinator.publish({ target: { allEdges: true }, lighting: lighting(60) }); // v1
  await coordinator.publish({ target: { allEdges: true }, lighting: lighting(50) }); // v2
  await until('policy 2 applied', () => (edge.site.policyVersion === 2 ? true : undefined));

  const attacks: [Mode, number, RegExp][] = [
    ['tamper', 3, /^signature: does not match the content; the bundle was changed after it was signed$/],
    ['unsigned', 4, /^signature: the bundle is unsigned$/],
    // The replayed bundle says version 1 (it is the genuine v1), so the edge's verdict is on 1.
    ['replay', 1, /^version: 1 is older than 2, the newest this edge has trusted; refused as a replay/],
    ['other-key', 6, /^key_id: signed by key "[0-9a-f]{32}", but this edge trusts only [0-9a-f]{32}$/],
  ];
  for (const [mode, ackedVersion, reason] of attacks) {
    path.mode = mode;
    await coordinator.publish({ target: { allEdges: true }, lighting: lighting(10) });
    const ack = await until(`the edge's verdict on the ${mode} bundle`, async () =>
      (await coordinator.policyAcks(ackedVersion)).find((a) => !a.applied),
    );
    t.regex(ack.reason, reason, `coordinator side, ${mode}`);
    const event = edgeEvents(edge).find(
      (e) => e.code === 'POLICY_UNTRUSTED' && reason.test(e.message.replace(/^policy \d+ refused: /, '')),
    );
    t.truthy(event, `edge side, ${mode}`);
    t.is(event?.severity, v1.Severity.SEVERITY_CRITICAL);
    t.is(edge.site.policyVersion, 2, `${mode}: nothing applied`);
  }
  await until('the lights to follow policy 2', () =>
    /→ 50 %/.test(luminaireReason(edge)) ? true : undefined,
  );
  t.is(edge.site.policyVersion, 2);

  // The operator sees the refusal with `calle policy status`.
  const status = await cli('status', '3');
  t.regex(status.out[0] ?? '', /: 0 applied, 1 refused, 0 pending$/);
  t.regex(status.out[1] ?? '', /centro-atocha-01\s+refused\s+\S+\s+signature: does not match/);

  // An honest bundle after all that is applied as usual.
  path.mode = 'honest';
  const good = await coordinator.publish({ target: { allEdges: true }, lighting: lighting(40) });
  await until('the honest policy', () =>
    edge.site.policyVersion === Number(good.version) ? true : undefined,
  );
  t.is(good.version, 7);
});

test('policy command — misuse is exit 2 with the usage; an unreachable coordinator is exit 1 naming the address', async (t) => {
  const run = async (...args: string[]) => {
    const err: string[] = [];
    const code = await runPolicyCommand(args, { out: () => {}, err: (l) => err.push(l) });
    return { code, err: err.join('\n') };
  };
  t.like(await run('push'), { code: 2 });
  t.regex((await run('rollback')).err, /--to VERSION is required[\s\S]*Usage:/);
  t.regex((await run('status', 'latest')).err, /VERSION 'latest' is not a version number/);
  t.regex((await run('frobnicate')).err, /unknown command 'frobnicate'/);
  // A port that was just free: nothing listens there.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  const down = await run('status', '--coordinator', `http://127.0.0.1:${port}`);
  t.is(down.code, 1);
  t.is(down.err, `cannot reach the coordinator at http://127.0.0.1:${port}: ECONNREFUSED`);
});
