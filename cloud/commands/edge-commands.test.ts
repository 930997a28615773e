// Signed commands from the coordinator to one edge over a real nats-server: the coordinator's
// CommandSender and the edge's CommandReceiver acting on a real EdgeSite (simulated equipment).
import { connect } from '@nats-io/transport-node';
import test, { type ExecutionContext } from 'ava';
import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalNatsServer } from '../../deploy/nats/local-server.js';
import { v1, type calle } from '../../proto/index.js';
import { commandSubject } from '../../proto/nats-subjects.js';
import { AuditLog } from '../../common/audit/audit-log.js';
import { CommandIds } from '../../edge/commands/command-ids.js';
import { CommandReceiver } from '../../edge/commands/command-receiver.js';
import { DEFAULT_ALLOWED_COMMANDS } from '../../common/commands/command-types.js';
import { loadEdgeConfig } from '../../edge/config/load-config.js';
import { SimulatedDriver } from '../../edge/devices/simulated-driver.js';
import { EdgeSite } from '../../edge/site/edge-site.js';
import { openDatabase } from '../../common/sqlite/open-database.js';
import { tempDir, testLogger } from '../../common/testing/temp-dir.js';
import { signCommand } from '../../common/signing/command-signature.js';
import { keyIdOf } from '../../common/signing/policy-signature.js';
import { ed25519Signer } from '../keys/policy-signer.js';
import {
  CommandSender,
  CommandRequestError,
  type CommandRequest,
  type CommandResult,
} from './command-sender.js';
import { EDGE_MIGRATIONS } from '../../edge/store/migrations.js';

const EXAMPLE = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../edge/examples/madrid-street.json',
);
const NIGHT = Date.parse('2025-01-15T22:00:00Z');
const EDGE = 'centro-atocha-01';

async function rig(t: ExecutionContext, allowed: readonly string[] = DEFAULT_ALLOWED_COMMANDS) {
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
  const db = openDatabase(path.join(tempDir(t), 'edge.db'), EDGE_MIGRATIONS);
  t.teardown(() => db.close());
  const audit = new AuditLog({ db, log, now: () => now });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const receiver = new CommandReceiver({
    edgeId: EDGE,
    pinnedKeys: [{ key: publicKey, keyId: keyIdOf(publicKey), file: 'test' }],
    allowed,
    db,
    actions: site,
    audit,
    log,
    now: () => now,
  });
  const edgeNc = await connect({ servers: nats.url });
  t.teardown(async () => edgeNc.close());
  receiver.listen(edgeNc);
  t.teardown(() => receiver.close());
  await edgeNc.flush();
  const coordNc = await connect({ servers: nats.url });
  t.teardown(async () => coordNc.close());
  const records: [CommandRequest, CommandResult][] = [];
  const sender = new CommandSender({
    connection: () => coordNc,
    signer: ed25519Signer(privateKey),
    log,
    now: () => now,
    timeoutMs: 2_000,
    record: (req, res) => records.push([req, res]),
  });
  return {
    nats,
    site,
    db,
    audit,
    sender,
    records,
    privateKey,
    coordNc,
    setNow: (ms: number) => (now = ms),
    run: (s: number) => {
      for (let i = 0; i < s; i++) {
        now += 1000;
        site.tick();
      }
    },
  };
}

test('edge commands — a signed lighting override is carried out, audited at the edge, and recorded at the coordinator', async (t) => {
  const r = await rig(t);
  const res = await r.sender.send({
    edgeId: EDGE,
    type: 'lighting.override',
    params: { group: 'atocha-west', levelPct: 40, durationS: 600 },
    actor: 'ana',
  });
  t.is(res.outcome, 'done', res.reason);
  t.is(res.result?.expiresMs, NIGHT + 600_000);
  r.run(2);
  t.regex(r.site.lightingGroups().find((g) => g.id === 'atocha-west')!.reason, /override by coordinator:ana/);
  const row = r.audit.recent(5).find((a) => a.action === 'command.lighting.override');
  t.truthy(row, 'an audit row at the edge');
  t.is(row!.actor, 'coordinator:ana');
  t.regex(row!.afterJson ?? '', new RegExp(res.commandId));
  t.is(r.records.length, 1);
  t.is(r.records[0]![1].commandId, res.commandId);
  t.true(r.audit.verify().ok);
});

test('edge commands — refusals name the field: bad parameters, a type the edge does not allow, another edge, an offline edge', async (t) => {
  const r = await rig(t);
  const bad = await r.sender.send({
    edgeId: EDGE,
    type: 'lighting.override',
    params: { group: 'atocha-west', levelPct: 140 },
    actor: 'ana',
  });
  t.is(bad.outcome, 'refused');
  t.is(bad.reason, 'params.levelPct: must be a number from 0 to 100');
  const flash = await r.sender.send({
    edgeId: EDGE,
    type: 'intersection.flash',
    params: { intersection: 'atocha-x' },
    actor: 'ana',
  });
  t.is(flash.outcome, 'refused');
  t.regex(flash.reason, /^type: intersection\.flash is not allowed on this edge/);
  const offline = await r.sender.send({
    edgeId: 'another-edge',
    type: 'diagnostics.ping',
    params: {},
    actor: 'ana',
  });
  t.is(offline.outcome, 'no-answer', 'nobody listens on that edge subject');
  await t.throwsAsync(r.sender.send({ edgeId: EDGE, type: 'reboot', params: {}, actor: 'ana' }), {
    instanceOf: CommandRequestError,
    message: /^type: "reboot" is not a command type/,
  });
  await t.throwsAsync(
    r.sender.send({ edgeId: EDGE, type: 'diagnostics.ping', params: {}, actor: 'ana', ttlS: 3600 }),
    { message: /^ttlS: must be in \(0, 600\] seconds/ },
  );
  // Refusals are audited too, and nothing changed on the street.
  t.is(r.audit.recent(10).filter((a) => a.action === 'command.refused').length, 2);
  t.notRegex(r.site.lightingGroups().find((g) => g.id === 'atocha-west')!.reason, /override/);
});

test('edge commands — a replayed, expired, foreign-key or misaddressed command does nothing', async (t) => {
  const r = await rig(t);
  const ask = async (
    signed: calle.v1.SignedCommand,
    type = 'diagnostics.ping',
  ): Promise<calle.v1.CommandReply> =>
    v1.CommandReply.decode(
      (
        await r.coordNc.request(commandSubject(EDGE, type), v1.SignedCommand.encode(signed).finish(), {
          timeout: 2000,
        })
      ).data,
    );
  const command = (over: Partial<calle.v1.IEdgeCommand> = {}): calle.v1.IEdgeCommand => ({
    commandId: `c-${Math.random()}`,
    edgeId: EDGE,
    type: 'diagnostics.ping',
    paramsJson: '{}',
    actor: 'mallory',
    issuedMs: NIGHT,
    expiresMs: NIGHT + 60_000,
    ...over,
  });
  const once = signCommand(command({ commandId: 'once' }), r.privateKey);
  t.true((await ask(once)).done);
  const replay = await ask(once);
  t.false(replay.done);
  t.is(replay.reason, 'command_id: once was already carried out (a replay)');

  const expired = await ask(signCommand(command({ expiresMs: NIGHT - 1 }), r.privateKey));
  t.is(expired.reason, 'expires_ms: expired 1 ms ago');
  const tooLong = await ask(signCommand(command({ expiresMs: NIGHT + 3_600_000 }), r.privateKey));
  t.regex(tooLong.reason, /^expires_ms: valid for 3600000 ms, more than the 600000 ms allowed/);
  const future = await ask(
    signCommand(command({ issuedMs: NIGHT + 120_000, expiresMs: NIGHT + 180_000 }), r.privateKey),
  );
  t.regex(future.reason, /^issued_ms: 120000 ms in the future/);
  const elsewhere = await ask(signCommand(command({ edgeId: 'centro-other-02' }), r.privateKey));
  t.regex(elsewhere.reason, /^edge_id: the command is for "centro-other-02"/);

  const { privateKey: stranger } = generateKeyPairSync('ed25519');
  const forged = await ask(signCommand(command(), stranger));
  t.regex(forged.reason, /^key_id: signed by key "[0-9a-f]{32}", but this edge trusts only/);
  const tampered = signCommand(command({ commandId: 'tampered' }), r.privateKey);
  tampered.command = v1.EdgeCommand.encode({
    ...v1.EdgeCommand.decode(tampered.command),
    actor: 'admin',
  }).finish();
  t.is((await ask(tampered)).reason, 'signature: does not match the command bytes');
  const garbage = v1.CommandReply.decode(
    (await r.coordNc.request(commandSubject(EDGE, 'x'), new Uint8Array([0xff, 0xff]), { timeout: 2000 }))
      .data,
  );
  t.regex(garbage.reason, /^message: not a calle\.v1\.SignedCommand/);
});

test('edge commands — a command id stays used across a restart until it expires', (t) => {
  const file = path.join(tempDir(t), 'restart.db');
  const first = openDatabase(file, EDGE_MIGRATIONS);
  t.true(new CommandIds(first).claim('c1', NIGHT + 60_000, NIGHT));
  first.close();
  const again = openDatabase(file, EDGE_MIGRATIONS);
  t.teardown(() => again.close());
  const ids = new CommandIds(again);
  t.false(ids.claim('c1', NIGHT + 60_000, NIGHT + 1000), 'still used after the restart');
  t.true(ids.claim('c2', NIGHT + 200_000, NIGHT + 61_000), 'a new id');
  t.true(
    ids.claim('c1', NIGHT + 200_000, NIGHT + 61_000),
    'pruned once expired: reusable, and useless, since it expired',
  );
});
