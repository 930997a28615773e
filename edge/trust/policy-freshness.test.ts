// Policy freshness end to end (TUF freeze attack): a real coordinator and a real edge node over
// gRPC, each on a clock the test moves. The edge's policy expires → it keeps running it, raises
// POLICY_STALE, shows it in the console and asks again; the coordinator re-signs → the alarm
// clears. An expired bundle is refused at arrival; a stale stored policy survives a restart.
import test, { type ExecutionContext } from 'ava';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCoordinator, type Coordinator } from '../../cloud/coordinator.js';
import { ed25519Signer, type PolicySigner } from '../../cloud/keys/policy-signer.js';
import { initKeyPair, loadSigningKey } from '../../cloud/keys/signing-key.js';
import { testLogger as capturingLogger } from '../../cloud/testing/harness.js';
import { v1, type calle } from '../../proto/index.js';
import { eventSubject } from '../../proto/nats-subjects.js';
import type { EdgeConfig } from '../config/edge-config.js';
import { loadEdgeConfig } from '../config/load-config.js';
import { signInWithSetupToken } from '../console/testing/console-fixture.js';
import { startEdgeNode, type EdgeNodeHandle } from '../edge-node.js';
import { openDatabase } from '../../common/sqlite/open-database.js';
import { PolicyStore } from '../store/policy-store.js';
import { withDesignLighting } from '../test-support/design-lighting.js';
import { tempDir, testLogger } from '../../common/testing/temp-dir.js';
import { EDGE_MIGRATIONS } from '../store/migrations.js';

// At design class all night: the reasons asserted below are the schedule's alone (no constant
// light output, no adaptive class in the example's groups).
const SITE = withDesignLighting(
  loadEdgeConfig(new URL('../examples/madrid-street.json', import.meta.url).pathname),
);
const DAY = 86_400_000;

async function until<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** A longitude where it is the middle of the night now, so the lighting schedule is in force. */
function midnightLongitude(nowMs = Date.now()): number {
  const utcHours = (nowMs % DAY) / 3_600_000;
  return ((((-15 * utcHours + 180) % 360) + 360) % 360) - 180;
}

const events = (edge: EdgeNodeHandle, code: string): calle.v1.Event[] =>
  edge.outbox
    .peek(10_000)
    .filter((r) => r.subject === eventSubject(SITE.edge.id))
    .map((r) => v1.Event.decode(r.payload))
    .filter((e) => e.code === code);

const luminaire = (edge: EdgeNodeHandle) => edge.site.devices().find((d) => d.id === 'lum-01');

async function consoleJson(
  edge: EdgeNodeHandle,
  cookie: string,
  path: string,
): Promise<Record<string, unknown>> {
  return (await (await fetch(`${edge.consoleUrl}${path}`, { headers: { cookie } })).json()) as Record<
    string,
    unknown
  >;
}

function edgeConfig(dir: string, extra: Partial<EdgeConfig>): EdgeConfig {
  return {
    ...SITE,
    // Whole days added to either clock keep the time of day: still night here.
    edge: { ...SITE.edge, latitude: 0, longitude: midnightLongitude() },
    store: { path: join(dir, 'edge.db') },
    console: { host: '127.0.0.1', port: 0 },
    ...extra,
  };
}

async function startPair(t: ExecutionContext) {
  const dir = tempDir(t, 'calle-freshness-');
  const keys = initKeyPair(join(dir, 'keys'));
  const signer: PolicySigner = ed25519Signer(loadSigningKey(keys.privateFile));
  // Each side has its own clock, moved by whole days: the edge's to let its policy expire, the
  // coordinator's to make its policy due for re-signing (or to sign one that is already expired).
  const offsets = { edge: 0, coordinator: 0 };
  const { log, lines } = capturingLogger(t);
  const coordinator: Coordinator = await startCoordinator({
    dbPath: join(dir, 'coordinator.db'),
    natsServers: ['nats://127.0.0.1:1'], // no broker: this is about the control plane
    grpcHost: '127.0.0.1',
    grpcPort: 0,
    httpHost: '127.0.0.1',
    httpPort: 0,
    signer,
    log,
    enrolment: 'open',
    policyNow: () => Date.now() + offsets.coordinator,
    policyRefreshEveryMs: 50,
  });
  t.teardown(async () => coordinator.close());
  const edge = await startEdgeNode(
    edgeConfig(dir, {
      coordinator: { grpc: `127.0.0.1:${coordinator.grpcPort}` },
      trust: { coordinatorKey: keys.publicFile },
    }),
    testLogger(),
    { now: () => Date.now() + offsets.edge, policyCheckEveryMs: 25 },
  );
  t.teardown(async () => edge.close());
  const watches = () => lines.filter((l) => l.msg === 'watching policies').length;
  return { coordinator, edge, offsets, watches, lines };
}

test('policy freshness — expiry passes: the edge keeps the policy, raises POLICY_STALE, shows it and asks again; a re-signed bundle clears it', async (t) => {
  const { coordinator, edge, offsets, watches, lines } = await startPair(t);
  const published = await coordinator.publish({
    target: { districts: ['centro'] },
    lighting: { steps: [{ at: 'sunset', levelPct: 60 }], presenceLevelPct: 60 },
  });
  const expiresMs = Number(published.expiresMs);
  await until('v1 on the lights', () => luminaire(edge)?.reason === 'schedule: sunset+0 → 60 %');
  const cookie = await signInWithSetupToken(edge.consoleUrl, edge.consoleSetupToken);
  t.like(await consoleJson(edge, cookie, '/api/status'), {
    policyVersion: 1,
    policyExpiresMs: expiresMs,
    policyStale: false,
  });
  t.is(events(edge, 'POLICY_STALE').length, 0);
  const watchesBefore = watches();

  // Eight days later by the edge's clock, and no refresh came (the coordinator's clock stands still).
  offsets.edge = 8 * DAY;
  const [raised] = await until('POLICY_STALE', () => {
    const e = events(edge, 'POLICY_STALE');
    return e.length > 0 && e;
  });
  t.like(raised, { severity: v1.Severity.SEVERITY_WARNING, active: true });
  t.is(
    raised!.message,
    `policy 1 expired at ${new Date(expiresMs).toISOString()} (1 d 0 h ago); still running it, asking the coordinator for a fresh signature`,
  );
  // Never dark, never the defaults: the lights still follow policy 1.
  const tickAfter = edge.site.lastTickMs ?? 0;
  await until('a control tick after the expiry', () => (edge.site.lastTickMs ?? 0) > tickAfter);
  t.is(edge.site.policyVersion, 1);
  t.is(luminaire(edge)?.reason, 'schedule: sunset+0 → 60 %');
  t.like(await consoleJson(edge, cookie, '/api/status'), { policyVersion: 1, policyStale: true });
  t.like(await consoleJson(edge, cookie, '/api/policies'), { active: 1, expiresMs, stale: true });
  // It asked again: its Watch stream was re-opened, carrying the expiry it holds.
  await until('the watch re-opened', () => watches() > watchesBefore);
  t.true(lines.some((l) => l.msg === 'watching policies' && l.from === 1));

  // The coordinator's clock reaches the re-signing age: it re-signs v1, the Watch carries it over.
  offsets.coordinator = 8 * DAY;
  const [cleared] = await until('POLICY_STALE cleared', () => {
    const e = events(edge, 'POLICY_STALE').filter((x) => !x.active);
    return e.length > 0 && e;
  });
  t.regex(cleared!.message, /^policy 1 is fresh again, valid until /);
  t.like(await consoleJson(edge, cookie, '/api/status'), { policyVersion: 1, policyStale: false });
  t.like(
    edge.audit.recent(50).find((r) => r.action === 'policy.refreshed'),
    {
      actor: 'coordinator',
      target: 'policy:1',
    },
  );
  t.true(
    (await coordinator.policyAcks(1)).every((a) => a.applied),
    'the refresh is acked as applied, as v1 is',
  );
  t.is(events(edge, 'POLICY_UNTRUSTED').length, 0);
  t.is(events(edge, 'POLICY_APPLIED').length, 1, 'a refresh is not a new policy');
  t.like(edge.audit.verify(), { ok: true });

  // A bundle that has expired by the time it arrives is refused, and the edge keeps its policy.
  offsets.coordinator = -20 * DAY; // signed 20 days ago by the edge's clock (+8 d): expired
  await coordinator.publish({
    target: { districts: ['centro'] },
    lighting: { steps: [{ at: 'sunset', levelPct: 10 }] },
  });
  const refusal = await until('v2 refused', async () => (await coordinator.policyAcks(2))[0]);
  t.false(refusal.applied);
  t.regex(
    refusal.reason,
    /^expires_ms: expired at .*; refused, an expired policy may be one an attacker held back/,
  );
  t.is(edge.site.policyVersion, 1);
  t.is(luminaire(edge)?.reason, 'schedule: sunset+0 → 60 %');
});

test('policy freshness — a restart with a stale stored policy keeps running it and raises POLICY_STALE again', async (t) => {
  const dir = tempDir(t, 'calle-freshness-');
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const coordinatorKey = join(dir, 'policy-signing.pub');
  writeFileSync(coordinatorKey, publicKey.export({ type: 'spki', format: 'pem' }));
  const signer = ed25519Signer(privateKey);
  const expiresMs = Date.now() - 2 * DAY;
  const stale = signer.sign({
    version: 7,
    issuedMs: expiresMs - 7 * DAY,
    expiresMs,
    target: { allEdges: true },
    lighting: { steps: [{ at: 'sunset', levelPct: 40 }] },
  });
  const db = openDatabase(join(dir, 'edge.db'), EDGE_MIGRATIONS);
  new PolicyStore(db).save(stale, Date.now()); // what an earlier run applied, before the link froze
  db.close();

  for (const run of [1, 2]) {
    const edge = await startEdgeNode(edgeConfig(dir, { trust: { coordinatorKey } }), testLogger());
    try {
      t.is(edge.site.policyVersion, 7, `run ${run}: the stored policy runs`);
      const raised = events(edge, 'POLICY_STALE').filter((e) => e.active);
      t.is(raised.length, run, `run ${run}: raised at this start (the outbox holds the earlier run's too)`);
      t.regex(
        raised.at(-1)!.message,
        new RegExp(`^policy 7 expired at ${new Date(expiresMs).toISOString()} \\(2 d 0 h ago\\)`),
      );
      await until(
        'lum-01 on the stored policy',
        () => luminaire(edge)?.reason === 'schedule: sunset+0 → 40 %',
      );
      if (run === 1) {
        const cookie = await signInWithSetupToken(edge.consoleUrl, edge.consoleSetupToken);
        t.like(await consoleJson(edge, cookie, '/api/status'), {
          policyVersion: 7,
          policyExpiresMs: expiresMs,
          policyStale: true,
        });
      }
    } finally {
      await edge.close();
    }
  }
});
