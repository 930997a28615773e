// A flood of unsigned garbage on the command subject costs at most a handful of audit rows a
// minute, and the count of what was refused is never lost (issue 13, finding 8).
import test, { type ExecutionContext } from 'ava';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { v1 } from '../../proto/index.js';
import { AuditLog, type AuditEntry } from '../../common/audit/audit-log.js';
import { openDatabase } from '../../common/sqlite/open-database.js';
import { tempDir, testLogger } from '../../common/testing/temp-dir.js';
import { signCommand } from '../../common/signing/command-signature.js';
import { keyIdOf } from '../../common/signing/policy-signature.js';
import { CommandReceiver } from './command-receiver.js';
import {
  REFUSAL_WINDOW_MS,
  RefusalLimiter,
  SUPPRESSED_ACTION,
  UNSIGNED_REFUSALS_PER_WINDOW,
} from './refusal-limiter.js';
import { EDGE_MIGRATIONS } from '../store/migrations.js';

const NIGHT = Date.parse('2025-01-15T22:00:00Z');
const EDGE = 'centro-atocha-01';

function receiver(t: ExecutionContext) {
  const db = openDatabase(join(tempDir(t), 'edge.db'), EDGE_MIGRATIONS);
  t.teardown(() => db.close());
  let now = NIGHT;
  const log = testLogger();
  const audit = new AuditLog({ db, log, now: () => now });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const r = new CommandReceiver({
    edgeId: EDGE,
    pinnedKeys: [{ key: publicKey, keyId: keyIdOf(publicKey), file: 'test' }],
    allowed: ['diagnostics.ping'],
    db,
    actions: {
      overrideLighting: () => ({ ok: false, reason: 'x' }),
      clearLightingOverride: () => ({ ok: false }),
    },
    audit,
    log,
    now: () => now,
  });
  t.teardown(() => r.close());
  const ping = (commandId: string) =>
    v1.SignedCommand.encode(
      signCommand(
        {
          commandId,
          edgeId: EDGE,
          type: 'diagnostics.ping',
          paramsJson: '{}',
          actor: 'ana',
          issuedMs: now,
          expiresMs: now + 60_000,
        },
        privateKey,
      ),
    ).finish();
  return { r, audit, ping, advance: (ms: number) => (now += ms), stranger: generateKeyPairSync('ed25519') };
}

test('refusal limiter — a flood of unsigned commands: the first ten a minute audited, the rest one summary row with the count', (t) => {
  const { r, audit, ping, advance } = receiver(t);
  const garbage = new Uint8Array([0xff, 0xff, 0x01]);
  for (let i = 0; i < 500; i++) {
    const reply = r.handle(garbage);
    t.false(reply.done);
    advance(10); // 500 in 5 s
  }
  t.is(audit.stats().rows, UNSIGNED_REFUSALS_PER_WINDOW, 'ten rows, not five hundred');
  t.true(
    audit.recent(20).every((row) => row.action === 'command.refused' && row.actor === 'unauthenticated'),
  );

  // A signed command in the middle of the flood is still audited on its own.
  t.true(r.handle(ping('real-1')).done);
  t.is(audit.recent(1)[0]!.action, 'command.diagnostics.ping');

  // The next window: its first refusal closes the last window with a summary row, then is audited.
  advance(REFUSAL_WINDOW_MS);
  r.handle(garbage);
  const [latest, summary] = audit.recent(2);
  t.is(summary!.action, SUPPRESSED_ACTION);
  t.like(JSON.parse(summary!.afterJson!), {
    count: 490,
    firstMs: NIGHT + 10 * UNSIGNED_REFUSALS_PER_WINDOW,
    lastMs: NIGHT + 4_990,
  });
  t.regex(
    (JSON.parse(summary!.afterJson!) as { lastReason: string }).lastReason,
    /^message: not a calle\.v1\.SignedCommand/,
  );
  t.is(latest!.action, 'command.refused');
  t.is(audit.stats().rows, UNSIGNED_REFUSALS_PER_WINDOW + 3);
  t.true(audit.verify().ok);
});

test('refusal limiter — forged signatures count as unsigned; close() writes the pending summary', (t) => {
  const { r, audit, stranger } = receiver(t);
  const forged = v1.SignedCommand.encode(
    signCommand(
      {
        commandId: 'f',
        edgeId: EDGE,
        type: 'diagnostics.ping',
        paramsJson: '{}',
        actor: 'mallory',
        issuedMs: NIGHT,
        expiresMs: NIGHT + 60_000,
      },
      stranger.privateKey,
    ),
  ).finish();
  for (let i = 0; i < 25; i++) r.handle(forged);
  t.is(audit.stats().rows, UNSIGNED_REFUSALS_PER_WINDOW);
  r.close();
  const summary = audit.recent(1)[0]!;
  t.is(summary.action, SUPPRESSED_ACTION);
  t.like(JSON.parse(summary.afterJson!), { count: 15 });
  t.regex((JSON.parse(summary.afterJson!) as { lastReason: string }).lastReason, /^key_id: /);
});

test('refusal limiter — a window with no further traffic is summarised by its timer', async (t) => {
  const rows: AuditEntry[] = [];
  const limiter = new RefusalLimiter({
    write: (e) => rows.push(e),
    target: 'edge:e1',
    now: Date.now,
    perWindow: 2,
    windowMs: 50,
  });
  const start = Date.now();
  t.deepEqual(
    [1, 2, 3, 4].map(() => limiter.admit(start, 'garbage')),
    [true, true, false, false],
  );
  t.is(rows.length, 0);
  await sleep(150);
  t.is(rows.length, 1);
  t.like(rows[0], {
    action: SUPPRESSED_ACTION,
    target: 'edge:e1',
    after: { count: 2, lastReason: 'garbage' },
  });
  limiter.flush();
  t.is(rows.length, 1, 'nothing more to say');
});
