// The deployment files, checked by the tools that will read them in the field: systemd's own
// verifier for the units, nats-server's own parser for every NATS configuration, and the hub's
// per-edge permissions exercised against a running server.
import { jetstreamManager } from '@nats-io/jetstream';
import { createUser } from '@nats-io/nkeys';
import { connect, nkeyAuthenticator } from '@nats-io/transport-node';
import test from 'ava';
import { execFile } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../common/testing/temp-dir.js';
import { renderAccountsFile } from './nats/accounts-file.js';
import { LocalNatsServer } from './nats/local-server.js';

const DEPLOY = fileURLToPath(new URL('.', import.meta.url));
const NATS_ENV = {
  CALLE_COORDINATOR_PASSWORD: 'coord-secret',
  CALLE_SYS_PASSWORD: 'sys-secret',
  CALLE_ROUTE_PASSWORD: 'routeSecret',
  CALLE_ROUTE_A: 'nats-route://route:routeSecret@nats-a:6222',
  CALLE_ROUTE_B: 'nats-route://route:routeSecret@nats-b:6222',
  CALLE_ROUTE_C: 'nats-route://route:routeSecret@nats-c:6222',
  CALLE_EDGE_ID: 'centro-atocha-01',
};

async function run(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...process.env, ...env }, timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
  });
}

const confFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? confFiles(join(dir, e.name))
      : e.name.endsWith('.conf') && !e.name.startsWith('accounts')
        ? [join(dir, e.name)]
        : [],
  );

test('deploy — every NATS configuration passes nats-server -t', async (t) => {
  const files = confFiles(join(DEPLOY, 'nats'));
  t.true(files.length >= 5, files.join(', ')); // hub, 3 cluster nodes, cabinet leaf
  for (const file of files) {
    const { code, out } = await run('nats-server', ['-t', '-c', file], NATS_ENV);
    t.is(code, 0, `${file}: ${out}`);
  }
});

test('deploy — the example accounts file is what provisioning renders for the demo edge', (t) => {
  const example = readFileSync(join(DEPLOY, 'nats', 'accounts.example.conf'), 'utf8');
  const nkey = /nkey: (U[A-Z2-7]{55})/.exec(example)?.[1];
  t.truthy(nkey);
  t.is(renderAccountsFile([{ edgeId: 'centro-atocha-01', nkey: nkey! }]), example);
  t.throws(() => renderAccountsFile([{ edgeId: 'bad.id', nkey: nkey! }]), { message: /edge id/ });
});

test('deploy — on the hub an edge may publish its own subjects and nothing else', async (t) => {
  const dir = tempDir(t);
  const edge = createUser();
  writeFileSync(
    join(dir, 'accounts.conf'),
    renderAccountsFile([{ edgeId: 'e1', nkey: edge.getPublicKey() }]),
  );
  // The shipped hub.conf, with the monitoring port and the store dir left to the launcher's
  // flags (a free port, a temp dir), and the accounts file of this test.
  const hub = readFileSync(join(DEPLOY, 'nats', 'hub.conf'), 'utf8')
    .replace(/^http: .*$/m, '')
    .replace(/^\s*store_dir: .*$/m, '')
    .replace('include ./accounts.example.conf', 'include ./accounts.conf');
  writeFileSync(join(dir, 'hub.conf'), hub);
  const nats = await LocalNatsServer.start({
    configFile: join(dir, 'hub.conf'),
    storeDir: join(dir, 'js'),
    env: NATS_ENV,
  });
  t.teardown(async () => nats.close());

  const coordinator = await connect({
    port: nats.port,
    user: 'coordinator',
    pass: NATS_ENV.CALLE_COORDINATOR_PASSWORD,
  });
  t.teardown(async () => coordinator.close());
  const jsm = await jetstreamManager(coordinator);
  await jsm.streams.add({ name: 'T', subjects: ['calle.telemetry.>'] });

  const errors: string[] = [];
  const nc = await connect({ port: nats.port, authenticator: nkeyAuthenticator(edge.getSeed()) });
  t.teardown(async () => nc.close());
  void (async () => {
    for await (const s of nc.status()) if (s.type === 'error') errors.push(String(s.error));
  })();
  nc.publish('calle.telemetry.e1', 'mine');
  nc.publish('calle.telemetry.e2', 'not mine');
  await nc.flush();
  await new Promise((r) => setTimeout(r, 300));
  t.is((await jsm.streams.info('T')).state.messages, 1, 'only the edge’s own subject reached the stream');
  t.true(
    errors.some((e) => /permissions violation/i.test(e) && e.includes('calle.telemetry.e2')),
    errors.join('; '),
  );
  await t.throwsAsync(connect({ port: nats.port, user: 'coordinator', pass: 'wrong' }));
});

test('deploy — the systemd units pass systemd-analyze verify', async (t) => {
  const dir = tempDir(t);
  // verify checks that ExecStart exists; point it at a stand-in for the installed calle.
  const calle = join(dir, 'calle');
  writeFileSync(calle, '#!/bin/sh\nexit 0\n');
  chmodSync(calle, 0o755);
  for (const unit of readdirSync(join(DEPLOY, 'systemd')).filter((f) => f.endsWith('.service'))) {
    const text = readFileSync(join(DEPLOY, 'systemd', unit), 'utf8').replaceAll('/usr/bin/calle', calle);
    writeFileSync(join(dir, unit), text);
    const { code, out } = await run('systemd-analyze', ['verify', join(dir, unit)]);
    t.is(code, 0, `${unit}: ${out}`);
    t.notRegex(out, new RegExp(`${unit}.*(unknown|invalid|ignoring)`, 'i'), out);
  }
});
