// Offline cold boot (issue 4; ETSI EN 303 645 §5.9: keep working locally without a network): the
// node starts with no uplink at all, or with uplinks that refuse connections, and runs the last
// policy it applied, or its built-in defaults when it never had one.
import { signInWithSetupToken } from './console/testing/console-fixture.js';
import test, { type ExecutionContext } from 'ava';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { EdgeConfig } from './config/edge-config.js';
import { loadEdgeConfig } from './config/load-config.js';
import { startEdgeNode, type EdgeNodeHandle } from './edge-node.js';
import { openDatabase } from '../common/sqlite/open-database.js';
import { PolicyStore } from './store/policy-store.js';
import { tempDir, testLogger } from '../common/testing/temp-dir.js';
import { signBundle } from '../common/signing/policy-signature.js';
import { withDesignLighting } from './test-support/design-lighting.js';
import { EDGE_MIGRATIONS } from './store/migrations.js';

const EXAMPLE = fileURLToPath(new URL('./examples/madrid-street.json', import.meta.url));
/** A winter night in Madrid: the lighting schedule decides, not daylight. */
const NIGHT_MS = Date.parse('2025-01-15T22:00:00Z');

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The example street with a temp store, console on port 0, readings every second, at night. */
async function boot(
  t: ExecutionContext,
  store: string,
  uplinks: Partial<EdgeConfig>,
): Promise<EdgeNodeHandle> {
  const example = withDesignLighting(loadEdgeConfig(EXAMPLE));
  const config: EdgeConfig = {
    ...example,
    store: { path: store },
    console: { host: '127.0.0.1', port: 0 },
    telemetry: { intervalS: 1 },
    ...uplinks,
  };
  const t0 = Date.now();
  const node = await startEdgeNode(config, testLogger(), { now: () => NIGHT_MS + (Date.now() - t0) });
  t.teardown(async () => node.close());
  return node;
}

test('offline boot — no reachable uplink: runs the stored policy, keeps readings, answers the console', async (t) => {
  const dir = tempDir(t);
  const store = join(dir, 'edge.db');
  // The node runs only what the pinned coordinator key signed, at boot as well (edge/trust).
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const coordinatorKey = join(dir, 'policy-signing.pub');
  writeFileSync(coordinatorKey, publicKey.export({ type: 'spki', format: 'pem' }));
  const db = openDatabase(store, EDGE_MIGRATIONS);
  const policy = { version: 7, lighting: { steps: [{ at: 'sunset', levelPct: 40 }] } };
  new PolicyStore(db).save(signBundle(policy, privateKey), NIGHT_MS);
  db.close();

  // Uplinks configured, as in the street, but nothing answers: the cabinet's router is down.
  const node = await boot(t, store, {
    nats: { servers: [`nats://127.0.0.1:${await closedPort()}`] },
    coordinator: { grpc: `127.0.0.1:${await closedPort()}` },
    trust: { coordinatorKey },
  });
  t.is(node.site.policyVersion, 7);
  const lum = await until('lum-01 on the policy', () =>
    node.site.devices().find((d) => d.id === 'lum-01' && d.state.level === 40),
  );
  t.is(lum.reason, 'schedule: sunset+0 → 40 %', 'the luminaire says the stored policy decided');

  const first = node.outbox.stats();
  await until('more readings queued', () => node.outbox.stats().highestSeq > first.highestSeq + 1);
  t.true(node.outbox.stats().pending > first.pending, 'with no uplink the outbox only grows');

  // The console requires a session: sign in as the first engineer with the one-time setup token.
  const cookie = await signInWithSetupToken(node.consoleUrl, node.consoleSetupToken);
  const status = (await (
    await fetch(`${node.consoleUrl}/api/status`, { headers: { cookie } })
  ).json()) as Record<string, unknown>;
  t.like(status, { policyVersion: 7, uplink: { nats: 'disconnected', coordinator: 'disconnected' } });
  // Signing in added audit rows of its own; the restore is the one about the policy.
  t.like(
    node.audit.recent(20).find((r) => r.action === 'policy.restored'),
    { actor: 'system', action: 'policy.restored', target: 'policy:7' },
  );
  t.like(node.audit.verify(), { ok: true });
});

test('offline boot — empty store and no uplinks: built-in defaults, lights on at night, signals on the plan', async (t) => {
  const node = await boot(t, join(tempDir(t), 'fresh', 'edge.db'), {});
  t.is(node.site.policyVersion, 0);
  const view = (id: string) => node.site.devices().find((d) => d.id === id);
  const lum = await until('lum-01 lit', () => view('lum-01')?.state.level === 100 && view('lum-01'));
  t.is(lum.reason, 'default: sunset+0 → 100 %');
  const signal = await until(
    'a signal on the fixed-time plan',
    () => view('sig-ns')?.reason?.startsWith('plan: stage') && view('sig-ns')!.reason,
  );
  t.regex(signal, /^plan: stage \d\/\d /);

  const first = node.outbox.stats().highestSeq;
  await until('readings queued', () => node.outbox.stats().highestSeq > first + 1);
  t.is(node.audit.stats().rows, 0, 'nothing happened that needs an audit row');
});
