// Every command type and every outcome leaves an audit row, at the edge (its hash-chained log,
// edge/commands) and at the coordinator (the dashboard's log, cloud/commands/command-audit.ts),
// over a real nats-server with a real EdgeSite (simulated equipment). Issue 13, finding 4: the
// log refused hyphenated actions, so "command.lighting.clear-override" at the edge and
// "command.no-answer" at the coordinator were silently never written.
import { connect } from '@nats-io/transport-node';
import test, { type ExecutionContext } from 'ava';
import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalNatsServer } from '../../deploy/nats/local-server.js';
import { v1, type calle } from '../../proto/index.js';
import { commandSubject } from '../../proto/nats-subjects.js';
import { AuditLog } from '../../common/audit/audit-log.js';
import { CommandReceiver } from '../../edge/commands/command-receiver.js';
import { COMMAND_TYPES, DEFAULT_ALLOWED_COMMANDS } from '../../common/commands/command-types.js';
import { loadEdgeConfig } from '../../edge/config/load-config.js';
import { SimulatedDriver } from '../../edge/devices/simulated-driver.js';
import { EdgeSite } from '../../edge/site/edge-site.js';
import { openDatabase } from '../../common/sqlite/open-database.js';
import { tempDir, testLogger } from '../../common/testing/temp-dir.js';
import { signCommand } from '../../common/signing/command-signature.js';
import { keyIdOf } from '../../common/signing/policy-signature.js';
import { openDashboardStore } from '../dashboard/dashboard-store.js';
import { ed25519Signer } from '../keys/policy-signer.js';
import { commandAuditRecorder } from './command-audit.js';
import { COMMAND_OUTCOMES, CommandSender, type CommandResult } from './command-sender.js';
import { EDGE_MIGRATIONS } from '../../edge/store/migrations.js';

const EXAMPLE = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../edge/examples/madrid-street.json',
);
const NIGHT = Date.parse('2025-01-15T22:00:00Z');
/** Accepts every command type. */
const EDGE = 'centro-atocha-01';
/** Same site, default allow list (no signal commands). */
const STRICT_EDGE = 'centro-atocha-02';
const X = 'atocha-x-magdalena';

async function rig(t: ExecutionContext) {
  const nats = await LocalNatsServer.start();
  t.teardown(async () => nats.close());
  const log = testLogger();
  let now = NIGHT;
  const site = new EdgeSite({
    config: loadEdgeConfig(EXAMPLE),
    sink: { record: () => {}, raise: () => {} },
    log,
    now: () => now,
    tickMs: 0,
    drivers: [new SimulatedDriver({ log, seed: 3 })],
  });
  site.start();
  await site.whenStarted();
  t.teardown(async () => site.stop());
  const dir = tempDir(t);
  const db = openDatabase(path.join(dir, 'edge.db'), EDGE_MIGRATIONS);
  t.teardown(() => db.close());
  const audit = new AuditLog({ db, log, now: () => now });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  // "the action failed": an action that throws, for a group named "boom".
  const actions = {
    overrideLighting: (group: string, level: number, durationS: number | undefined, actor: string) => {
      if (group === 'boom') throw new Error('driver bus fault');
      return site.overrideLighting(group, level, durationS, actor);
    },
    clearLightingOverride: (group: string, actor: string) => site.clearLightingOverride(group, actor),
    flashIntersection: (id: string, actor: string) => site.flashIntersection(id, actor),
    restoreIntersection: (id: string, actor: string) => site.restoreIntersection(id, actor),
  };
  const edgeNc = await connect({ servers: nats.url });
  t.teardown(async () => edgeNc.close());
  for (const [edgeId, allowed] of [
    [EDGE, Object.keys(COMMAND_TYPES)],
    [STRICT_EDGE, DEFAULT_ALLOWED_COMMANDS],
  ] as const) {
    const receiver = new CommandReceiver({
      edgeId,
      pinnedKeys: [{ key: publicKey, keyId: keyIdOf(publicKey), file: 'test' }],
      allowed,
      db,
      actions,
      audit,
      log,
      now: () => now,
    });
    receiver.listen(edgeNc);
    t.teardown(() => receiver.close());
  }
  await edgeNc.flush();
  const coordNc = await connect({ servers: nats.url });
  t.teardown(async () => coordNc.close());
  const dashboard = openDashboardStore({ file: path.join(dir, 'dashboard.db'), log, now: () => now });
  t.teardown(() => dashboard.close());
  const senderOptions = {
    signer: ed25519Signer(privateKey),
    log,
    now: () => now,
    timeoutMs: 1_000,
    record: commandAuditRecorder(dashboard.audit),
  };
  return {
    site,
    audit,
    dashboard,
    privateKey,
    coordNc,
    sender: new CommandSender({ ...senderOptions, connection: () => coordNc }),
    offlineSender: new CommandSender({ ...senderOptions, connection: () => undefined }),
    run: (s: number) => {
      for (let i = 0; i < s * 10; i++) {
        now += 100;
        site.tick();
      }
    },
  };
}

type Rig = Awaited<ReturnType<typeof rig>>;

/** Sends raw signed bytes on a command subject, as only a forger or a broken coordinator would. */
async function askRaw(
  r: Rig,
  type: string,
  bytes: Uint8Array,
  edgeId = EDGE,
): Promise<calle.v1.CommandReply> {
  // 10 s: the answer is what is tested, not its speed (2 s timed out once under a full-suite load).
  const msg = await r.coordNc.request(commandSubject(edgeId, type), bytes, { timeout: 10_000 });
  return v1.CommandReply.decode(msg.data);
}

const command = (over: Partial<calle.v1.IEdgeCommand> = {}): calle.v1.IEdgeCommand => ({
  commandId: `c-${Math.random()}`,
  edgeId: EDGE,
  type: 'diagnostics.ping',
  paramsJson: '{}',
  actor: 'ana',
  issuedMs: NIGHT,
  expiresMs: NIGHT + 60_000,
  ...over,
});

test('command audit — every command type carried out leaves a row at the edge and a command.done row at the coordinator', async (t) => {
  const r = await rig(t);
  const params: Record<string, Record<string, unknown>> = {
    'diagnostics.ping': {},
    'lighting.override': { group: 'atocha-west', levelPct: 30, durationS: 600 },
    'lighting.clear-override': { group: 'atocha-west' },
    'intersection.flash': { intersection: X },
    'intersection.restore': { intersection: X },
  };
  t.deepEqual(Object.keys(params).sort(), Object.keys(COMMAND_TYPES).sort(), 'every type is exercised');
  const results: CommandResult[] = [];
  for (const [type, p] of Object.entries(params)) {
    results.push(await r.sender.send({ edgeId: EDGE, type, params: p, actor: 'ana' }));
    // A flash drains the running stage before the restore is accepted.
    if (type === 'intersection.flash') r.run(60);
  }
  for (const res of results) {
    t.is(res.outcome, 'done', `${res.type}: ${res.reason}`);
    const edgeRow = r.audit.recent(50).find((a) => a.afterJson?.includes(res.commandId));
    t.is(edgeRow?.action, `command.${res.type}`, `edge row for ${res.type}`);
    const coordRow = r.dashboard.audit.recent(50).find((a) => a.afterJson?.includes(res.commandId));
    t.is(coordRow?.action, 'command.done', `coordinator row for ${res.type}`);
  }
  t.true(r.audit.verify().ok);
  t.true(r.dashboard.audit.verify().ok);
  t.is(r.audit.stats().writeFailures, 0);
});

test('command audit — every refusal and failure at the edge leaves a row with its reason', async (t) => {
  const r = await rig(t);
  const sign = (over: Partial<calle.v1.IEdgeCommand>) =>
    v1.SignedCommand.encode(signCommand(command(over), r.privateKey)).finish();
  const replayed = sign({ commandId: 'once' });
  const tampered = signCommand(command(), r.privateKey);
  tampered.command = v1.EdgeCommand.encode({
    ...v1.EdgeCommand.decode(tampered.command),
    actor: 'x',
  }).finish();
  const { privateKey: stranger } = generateKeyPairSync('ed25519');
  const cases: [name: string, type: string, bytes: Uint8Array, reason: RegExp, edgeId?: string][] = [
    ['replayed (first use)', 'diagnostics.ping', replayed, /^$/],
    ['replayed', 'diagnostics.ping', replayed, /^command_id: once was already carried out/],
    ['expired', 'diagnostics.ping', sign({ expiresMs: NIGHT - 1 }), /^expires_ms: expired/],
    [
      'issued in the future',
      'diagnostics.ping',
      sign({ issuedMs: NIGHT + 120_000, expiresMs: NIGHT + 180_000 }),
      /^issued_ms: /,
    ],
    ['valid too long', 'diagnostics.ping', sign({ expiresMs: NIGHT + 3_600_000 }), /^expires_ms: valid for/],
    ['wrong edge', 'diagnostics.ping', sign({ edgeId: 'centro-other-09' }), /^edge_id: /],
    ['no id', 'diagnostics.ping', sign({ commandId: '' }), /^command_id: empty/],
    ['actor too long', 'diagnostics.ping', sign({ actor: 'a'.repeat(300) }), /^actor: 300 characters/],
    ['unknown type', 'reboot', sign({ type: 'reboot' }), /^type: "reboot" is not a command/],
    ['bad params JSON', 'diagnostics.ping', sign({ paramsJson: '{' }), /^params_json: not JSON/],
    [
      'bad parameter',
      'lighting.override',
      sign({ type: 'lighting.override', paramsJson: '{"group":"atocha-west","levelPct":140}' }),
      /^params\.levelPct: /,
    ],
    [
      'not allowed',
      'intersection.flash',
      sign({ edgeId: STRICT_EDGE, type: 'intersection.flash', paramsJson: `{"intersection":"${X}"}` }),
      /^type: intersection\.flash is not allowed/,
      STRICT_EDGE,
    ],
    [
      'refused by the site',
      'lighting.clear-override',
      sign({ type: 'lighting.clear-override', paramsJson: '{"group":"nowhere"}' }),
      /./,
    ],
    [
      'the action failed',
      'lighting.override',
      sign({ type: 'lighting.override', paramsJson: '{"group":"boom","levelPct":10}' }),
      /^the action failed: driver bus fault/,
    ],
    ['bad signature', 'diagnostics.ping', v1.SignedCommand.encode(tampered).finish(), /^signature: /],
    [
      'unknown key',
      'diagnostics.ping',
      v1.SignedCommand.encode(signCommand(command(), stranger)).finish(),
      /^key_id: /,
    ],
    ['not a command', 'diagnostics.ping', new Uint8Array([0xff, 0xff]), /^message: not a calle\.v1/],
  ];
  for (const [name, type, bytes, reason, edgeId] of cases) {
    const before = r.audit.stats().rows;
    const reply = await askRaw(r, type, bytes, edgeId);
    t.regex(reply.reason, reason, name);
    t.is(r.audit.stats().rows, before + 1, `${name}: one audit row`);
    const row = r.audit.recent(1)[0]!;
    const after = JSON.parse(row.afterJson ?? '{}') as { refused?: string };
    if (reply.done) t.is(after.refused, undefined, name);
    else t.is(after.refused, reply.reason, `${name}: the row carries the reason`);
    t.regex(row.action, /^command\./, name);
  }
  t.true(r.audit.verify().ok);
  t.is(r.audit.stats().writeFailures, 0);
});

test('command audit — every outcome at the coordinator leaves a row: done, refused, no answer (offline edge, no NATS)', async (t) => {
  const r = await rig(t);
  const results = [
    await r.sender.send({ edgeId: EDGE, type: 'diagnostics.ping', params: {}, actor: 'ana' }),
    await r.sender.send({
      edgeId: STRICT_EDGE,
      type: 'intersection.flash',
      params: { intersection: X },
      actor: 'ana',
    }),
    await r.sender.send({ edgeId: 'centro-gone-07', type: 'diagnostics.ping', params: {}, actor: 'ana' }),
    await r.offlineSender.send({
      edgeId: EDGE,
      type: 'lighting.clear-override',
      params: { group: 'x' },
      actor: 'ana',
    }),
  ];
  t.deepEqual(
    results.map((res) => res.outcome),
    ['done', 'refused', 'no-answer', 'no-answer'],
  );
  t.deepEqual([...new Set(results.map((res) => res.outcome))].sort(), [...COMMAND_OUTCOMES].sort());
  const rows = r.dashboard.audit.recent(10).reverse();
  t.deepEqual(
    rows.map((a) => [a.action, a.target, a.actor]),
    [
      ['command.done', `edge:${EDGE}`, 'ana'],
      ['command.refused', `edge:${STRICT_EDGE}`, 'ana'],
      ['command.no-answer', 'edge:centro-gone-07', 'ana'],
      ['command.no-answer', `edge:${EDGE}`, 'ana'],
    ],
  );
  results.forEach((res, i) => t.true(rows[i]!.afterJson?.includes(res.commandId), res.outcome));
  t.true(r.dashboard.audit.verify().ok);
  t.is(r.dashboard.audit.stats().writeFailures, 0);
});
