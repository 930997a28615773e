// `calle demo` runs NATS as production does and keeps its secrets private (issue 13, findings 8
// and 9): a stranger on the machine can neither connect to the demo's broker (to forge readings,
// invent edges or answer commands) nor read the databases, key files or demo.log (which holds the
// setup codes), while the demo edge's telemetry still reaches the coordinator.
import { connect } from '@nats-io/transport-node';
import test from 'ava';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from '../common/testing/temp-dir.js';
import { runDemo } from './demo.js';

test('demo security — its NATS lets no stranger in, the edge still delivers, and every state file is private', async (t) => {
  process.env.CALLE_LOG_LEVEL ??= 'warn';
  const stateDir = join(tempDir(t, 'calle-demo-'), 'state');
  const demo = await runDemo({ stateDir, telemetryIntervalS: 1 });
  t.teardown(async () => demo.close());

  // The stranger: no credentials, or the coordinator's name with a guessed password.
  await t.throwsAsync(connect({ servers: demo.natsUrl, reconnect: false }), {
    message: /Authorization Violation/i,
  });
  await t.throwsAsync(
    connect({ servers: demo.natsUrl, reconnect: false, user: 'coordinator', pass: 'demo' }),
    {
      message: /Authorization Violation/i,
    },
  );

  // The demo edge, with its own nkey, is ingested all the same.
  const deadline = Date.now() + 30_000;
  let received = 0;
  while (received === 0 && Date.now() < deadline) {
    const edges = (await (await fetch(`${demo.coordinatorUrl}/api/edges`)).json()) as { received: number }[];
    received = edges[0]?.received ?? 0;
    if (received === 0) await sleep(200);
  }
  t.true(received > 0, 'telemetry reached the coordinator');

  const modes = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      // nats-server's own store: inside the 0700 folder, its modes are the server's business.
      if (e.isDirectory() && e.name === 'nats') continue;
      modes.set(relative(stateDir, path), (statSync(path).mode & 0o777).toString(8));
      if (e.isDirectory()) walk(path);
    }
  };
  walk(stateDir);
  t.is((statSync(stateDir).mode & 0o777).toString(8), '700');
  for (const must of ['demo.log', 'coordinator.db', 'dashboard.db', 'edge.db', 'keys/policy-signing.key'])
    t.true(modes.has(must), `${must} exists`);
  for (const [file, mode] of modes) {
    // The public half of the signing key is public; everything else is the demo's own.
    const expected = file.endsWith('.pub')
      ? '644'
      : statSync(join(stateDir, file)).isDirectory()
        ? '700'
        : '600';
    t.is(mode, expected, file);
  }
});
