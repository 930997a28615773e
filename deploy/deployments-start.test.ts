// Guard test (issue 13): the documented deployments start and ingest. No Docker engine or cluster
// runs here, so the services of deploy/docker/compose.yaml and the pods of deploy/k8s/*.yaml run
// as processes: a real nats-server with the configuration files the manifests mount, with the
// environment they set (secrets generated here), and `calle cloud` with the exact arguments and
// files they pass. Container paths are remapped to temp dirs, service host names to 127.0.0.1 and
// ports to free ones; nothing else is changed. Provisioning's step is done as in the field: the
// mounted accounts file is rendered for the test's edge. Then that edge publishes one reading and
// the coordinator must have ingested it. The documented deployments once looped on Authorization
// Violation (credentials in a URL, which the NATS client ignores), which this catches.
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-explicit-any --
   the manifests are untyped YAML documents. */
import { jetstream } from '@nats-io/jetstream';
import { createUser, type KeyPair } from '@nats-io/nkeys';
import { connect, nkeyAuthenticator } from '@nats-io/transport-node';
import test, { type ExecutionContext } from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { ensureKeyPair } from '../cloud/keys/signing-key.js';
import { publishBatch } from '../cloud/testing/harness.js';
import { tempDir } from '../common/testing/temp-dir.js';
import { edgeInboxPrefix } from '../proto/nats-subjects.js';
import { renderAccountsFile } from './nats/accounts-file.js';
import { newNatsPassword } from './nats/nats-password.js';

type Doc = Record<string, any>;
const DEPLOY = fileURLToPath(new URL('.', import.meta.url));
const CALLE = fileURLToPath(new URL('../bin/calle.ts', import.meta.url));
const EDGE = 'edge-guard-01';

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** Container paths → host paths, longest mount first; `host:port` of services → 127.0.0.1:free. */
class Remap {
  readonly #mounts: [string, string][] = [];
  readonly #hosts = new Map<string, string>();

  mount(containerPath: string, hostPath: string): void {
    this.#mounts.push([containerPath, hostPath]);
    this.#mounts.sort((a, b) => b[0].length - a[0].length);
  }

  /** `name:port` (a service, or 0.0.0.0 for a listener) answers at `127.0.0.1:to`. */
  host(name: string, port: number, to: number): void {
    this.#hosts.set(`${name}:${port}`, `127.0.0.1:${to}`);
  }

  apply(text: string): string {
    let out = text;
    for (const [from, to] of this.#hosts) out = out.split(from).join(to);
    for (const [from, to] of this.#mounts)
      out = out.replace(
        new RegExp(`(?<![\\w/.-])${from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=/|\\b|$)`, 'g'),
        to,
      );
    return out;
  }
}

interface Running {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

/** Starts a process and resolves once `ready` matches its output; stopped when the test ends. */
async function run(
  t: ExecutionContext,
  cmd: string,
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
  timeoutMs = 60_000,
): Promise<Running> {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000).then(() => child.kill('SIGKILL'))]);
    }
  });
  const collect = (c: Buffer): void => {
    out += c.toString();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const deadline = Date.now() + timeoutMs;
  while (!ready.test(out)) {
    if (child.exitCode !== null)
      throw new Error(`${cmd} ${args.join(' ')} exited ${child.exitCode}:\n${out}`);
    if (Date.now() > deadline)
      throw new Error(`${cmd} ${args.join(' ')} not ready in ${timeoutMs} ms:\n${out}`);
    await sleep(50);
  }
  return { child, output: () => out, exited };
}

/** `calle cloud` as the image runs it (ENTRYPOINT node dist/bin/calle.js), from source here. */
async function runCoordinator(
  t: ExecutionContext,
  args: string[],
  env: Record<string, string> = {},
): Promise<string> {
  const running = await run(
    t,
    process.execPath,
    ['--import=tsx', CALLE, ...args],
    { CALLE_LOG_LEVEL: 'info', ...env },
    /"msg":"coordinator: running"/,
  );
  const line = running
    .output()
    .split('\n')
    .find((l) => l.includes('"coordinator: running"'))!;
  return (JSON.parse(line) as { http: string }).http;
}

/** The test's edge: provisioned (its nkey in the accounts file), publishes one batch, checks ingest. */
async function edgeDeliversOneReading(natsUrl: string, coordinatorHttp: string, kp: KeyPair): Promise<void> {
  const nc = await connect({
    servers: natsUrl,
    authenticator: nkeyAuthenticator(kp.getSeed()),
    inboxPrefix: edgeInboxPrefix(EDGE),
  });
  try {
    const js = jetstream(nc, { timeout: 2_000 });
    // The coordinator creates the stream once logged in; until then there is nothing to publish to.
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        await publishBatch(js, EDGE, [1]);
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await sleep(250);
      }
    }
  } finally {
    await nc.close();
  }
  const deadline = Date.now() + 30_000;
  for (;;) {
    const edges = (await (await fetch(`${coordinatorHttp}/api/edges`)).json()) as {
      id: string;
      received: number;
    }[];
    if (edges.find((e) => e.id === EDGE)?.received === 1) return;
    if (Date.now() > deadline)
      throw new Error(`the coordinator never ingested the reading: ${JSON.stringify(edges)}`);
    await sleep(250);
  }
}

function provisionedAccounts(kp: KeyPair): string {
  return renderAccountsFile([{ edgeId: EDGE, nkey: kp.getPublicKey() }]);
}

/** Copies a file to its remapped place, creating folders. */
function place(from: string, to: string, mode?: number): void {
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
  if (mode !== undefined) chmodSync(to, mode);
}

test('deployments — docker compose: the nats and coordinator services start as compose.yaml runs them and ingest a reading', async (t) => {
  const dir = tempDir(t, 'calle-compose-');
  const composeFile = join(DEPLOY, 'docker', 'compose.yaml');
  const compose = parse(readFileSync(composeFile, 'utf8')) as Doc;
  // The .env the operator writes (.env.example's keys), with fresh secrets.
  const keys = ensureKeyPair(join(dir, 'signing'));
  const dotenv: Record<string, string> = {
    CALLE_COORDINATOR_PASSWORD: newNatsPassword(),
    CALLE_SYS_PASSWORD: newNatsPassword(),
    CALLE_SIGNING_KEY: keys.privateFile,
  };
  for (const line of readFileSync(join(DEPLOY, 'docker', '.env.example'), 'utf8').split('\n'))
    if (/^[A-Z_]+=/.test(line)) t.truthy(dotenv[line.split('=')[0]!], `${line}: set by the test`);
  const interpolate = (v: string): string =>
    v.replace(/\$\{([A-Z_]+)(?::\?[^}]*)?\}/g, (_m, name: string) => {
      if (dotenv[name] === undefined) throw new Error(`compose variable ${name} unset`);
      return dotenv[name];
    });
  const kp = createUser();
  const remap = new Remap();
  const natsPort = await freePort();

  // --- nats: its bind mounts under a root of its own, named volumes as folders -----------------
  const nats = compose.services.nats as Doc;
  const natsRoot = join(dir, 'nats');
  for (const v of nats.volumes as string[]) {
    const [src, dst] = interpolate(v).split(':') as [string, string];
    const host = join(natsRoot, dst);
    if (src.startsWith('.')) place(join(DEPLOY, 'docker', src), host);
    else mkdirSync(host, { recursive: true });
    remap.mount(dst, host);
  }
  // Provisioning: the accounts file hub.conf includes holds the test's edge.
  const hubConf = remap.apply((nats.command as string[])[1]!);
  const included = /include \.\/(\S+)/.exec(readFileSync(hubConf, 'utf8'))![1]!;
  writeFileSync(join(dirname(hubConf), included), provisionedAccounts(kp));
  const published = (nats.ports as string[]).map((p) => Number(p.split(':').at(-1)!.split(' ')[0]));
  remap.host('0.0.0.0', published[0]!, natsPort);
  remap.host('nats', published[0]!, natsPort);
  remap.host('127.0.0.1', 8222, await freePort());
  writeFileSync(hubConf, remap.apply(readFileSync(hubConf, 'utf8')));
  const natsEnv = Object.fromEntries(
    Object.entries(nats.environment as Record<string, string>).map(([k, v]) => [k, interpolate(v)]),
  );
  await run(
    t,
    'nats-server',
    (nats.command as string[]).map((a) => remap.apply(a)),
    natsEnv,
    /Server is ready/,
  );

  // --- coordinator: its volumes, its secrets as compose writes them, its command ---------------
  const coord = compose.services.coordinator as Doc;
  const coordRoot = join(dir, 'coordinator');
  for (const v of coord.volumes as string[]) {
    const [src, dst] = interpolate(v).split(':') as [string, string];
    if (src.startsWith('/')) remap.mount(dst, src);
    else {
      mkdirSync(join(coordRoot, dst), { recursive: true });
      remap.mount(dst, join(coordRoot, dst));
    }
  }
  for (const s of (coord.secrets ?? []) as Doc[]) {
    const spec = compose.secrets[s.source] as Doc;
    const target = String(s.target).startsWith('/') ? String(s.target) : `/run/secrets/${s.target}`;
    const host = join(coordRoot, target);
    mkdirSync(dirname(host), { recursive: true });
    writeFileSync(host, dotenv[spec.environment]!, { mode: Number(s.mode ?? 0o444) });
    chmodSync(host, Number(s.mode ?? 0o444));
    remap.mount(target, host);
  }
  for (const p of coord.ports as string[]) {
    const container = Number(p.split(':').at(-1));
    remap.host('0.0.0.0', container, await freePort());
  }
  const args = (coord.command as string[]).map((a) => remap.apply(interpolate(a)));
  const http = await runCoordinator(t, args);
  await edgeDeliversOneReading(`nats://127.0.0.1:${natsPort}`, http, kp);
});

test('deployments — Kubernetes: three NATS pods from nats.yaml and a coordinator pod from coordinator.yaml start and ingest a reading', async (t) => {
  const dir = tempDir(t, 'calle-k8s-');
  const docs = ['nats.yaml', 'coordinator.yaml'].flatMap((f) =>
    parseAllDocuments(readFileSync(join(DEPLOY, 'k8s', f), 'utf8')).map((d) => d.toJS() as Doc),
  );
  const find = (kind: string, name: string): Doc =>
    docs.find((d) => d.kind === kind && d.metadata.name === name)!;
  // The Secrets the operator creates (the headers' kubectl commands), with fresh values.
  const secrets: Record<string, Record<string, string>> = {
    'calle-nats': {
      'coordinator-password': newNatsPassword(),
      'sys-password': newNatsPassword(),
      'route-password': newNatsPassword(),
    },
    'calle-signing-key': {
      'policy-signing.key': readFileSync(ensureKeyPair(join(dir, 'signing')).privateFile, 'utf8'),
    },
  };
  /** Kubernetes expands $(VAR) in args and env values from the variables defined before. */
  const expand = (arg: string, env: Record<string, string>): string =>
    arg.replace(/\$\(([A-Z0-9_]+)\)/g, (_m, n: string) => env[n] ?? `$(${n})`);
  const envOf = (container: Doc, podName: string): Record<string, string> => {
    const env: Record<string, string> = {};
    for (const e of (container.env ?? []) as Doc[]) {
      const ref = e.valueFrom?.secretKeyRef;
      if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.name') env[e.name] = podName;
      else if (ref) env[e.name] = secrets[ref.name]![ref.key]!;
      else env[e.name] = expand(String(e.value), env);
    }
    return env;
  };
  const kp = createUser();

  // --- NATS: three pods of the StatefulSet, each with the ConfigMap mounted ---------------------
  const natsSts = find('StatefulSet', 'calle-nats');
  const config = find('ConfigMap', natsSts.spec.template.spec.volumes[0].configMap.name);
  const pods = Array.from({ length: natsSts.spec.replicas as number }, (_v, i) => `calle-nats-${i}`);
  const ports = new Map<string, Record<string, number>>();
  for (const pod of pods) {
    const p: Record<string, number> = {};
    for (const c of natsSts.spec.template.spec.containers[0].ports as Doc[]) p[c.name] = await freePort();
    ports.set(pod, p);
  }
  const clientUrls: string[] = [];
  for (const pod of pods) {
    const remap = new Remap();
    const root = join(dir, pod);
    const container = natsSts.spec.template.spec.containers[0] as Doc;
    for (const m of container.volumeMounts as Doc[]) {
      mkdirSync(join(root, m.mountPath), { recursive: true });
      remap.mount(m.mountPath, join(root, m.mountPath));
    }
    const mine = ports.get(pod)!;
    for (const c of container.ports as Doc[]) remap.host('0.0.0.0', c.containerPort, mine[c.name]!);
    for (const other of pods)
      for (const c of container.ports as Doc[])
        remap.host(`${other}.${natsSts.spec.serviceName}`, c.containerPort, ports.get(other)![c.name]!);
    const etc = join(root, '/etc/nats');
    for (const [name, body] of Object.entries(config.data as Record<string, string>))
      writeFileSync(join(etc, name), remap.apply(body));
    // Provisioning: the accounts file (the ConfigMap's accounts.conf) rendered for the test's edge.
    writeFileSync(join(etc, 'accounts.conf'), provisionedAccounts(kp));
    const args = (container.args as string[]).map((a) => remap.apply(a));
    // Host names travel in the env too (the route URLs).
    const env = Object.fromEntries(
      Object.entries(envOf(container, pod)).map(([k, v]) => [k, remap.apply(v)]),
    );
    const server = await run(t, 'nats-server', args, env, /Server is ready/);
    t.teardown(() => {
      if (!t.passed) t.log(`${pod}:\n${server.output().split('\n').slice(-25).join('\n')}`);
    });
    clientUrls.push(`nats://127.0.0.1:${mine.client}`);
  }
  // The pods' readiness probe (JetStream up) before the coordinator, as the StatefulSet's
  // consumers would see it; the coordinator's own start retries (a pod restart) cover the rest.
  const probe = natsSts.spec.template.spec.containers[0].readinessProbe.httpGet as Doc;
  for (const pod of pods) {
    const deadline = Date.now() + 60_000;
    while (
      (await fetch(`http://127.0.0.1:${ports.get(pod)!.monitor}${probe.path}`).catch(() => undefined))?.ok !==
      true
    ) {
      if (Date.now() > deadline) throw new Error(`${pod} never ready (${probe.path})`);
      await sleep(250);
    }
  }

  // --- coordinator pod calle-coordinator-0: its init container, then its container ------------
  const sts = find('StatefulSet', 'calle-coordinator');
  const podName = `${sts.metadata.name}-0`;
  const spec = sts.spec.template.spec as Doc;
  const root = join(dir, podName);
  const remap = new Remap();
  const volumes = new Map<string, string>();
  for (const v of spec.volumes as Doc[]) {
    const host = join(root, 'volumes', v.name);
    mkdirSync(host, { recursive: true });
    volumes.set(v.name, host);
    if (v.secret) {
      const data = secrets[v.secret.secretName]!;
      const items =
        (v.secret.items as Doc[] | undefined) ?? Object.keys(data).map((key) => ({ key, path: key }));
      // The kubelet writes defaultMode and adds group read for fsGroup: what the init container undoes.
      for (const item of items) writeFileSync(join(host, item.path), data[item.key]!, { mode: 0o440 });
    }
  }
  volumes.set('data', join(root, 'volumes', 'data'));
  mkdirSync(volumes.get('data')!, { recursive: true });
  const mountAll = (c: Doc): Remap => {
    const r = new Remap();
    for (const m of c.volumeMounts as Doc[]) r.mount(m.mountPath, volumes.get(m.name)!);
    return r;
  };
  for (const init of spec.initContainers as Doc[]) {
    const r = mountAll(init);
    const [cmd, ...rest] = init.command as string[];
    t.is(cmd, 'node', `${init.name}: a node one-liner`);
    const done = await run(
      t,
      process.execPath,
      rest.map((a) => r.apply(a)),
      {},
      /$/,
    );
    t.is(await done.exited, 0, `${init.name}: ${done.output()}`);
  }
  const container = spec.containers[0] as Doc;
  for (const m of container.volumeMounts as Doc[]) remap.mount(m.mountPath, volumes.get(m.name)!);
  for (const pod of pods) remap.host(`${pod}.calle-nats`, 4222, ports.get(pod)!.client!);
  for (const p of container.ports as Doc[]) remap.host('0.0.0.0', p.containerPort, await freePort());
  const env = envOf(container, podName);
  const args = (container.args as string[]).map((a) => remap.apply(expand(a, env)));
  // A pod that fails at start is restarted by the kubelet: so here, while the cluster settles.
  let http: string | undefined;
  for (let attempt = 1; !http; attempt++)
    try {
      http = await runCoordinator(t, args, env);
    } catch (err) {
      if (attempt === 5) throw err;
      await sleep(2_000);
    }
  await edgeDeliversOneReading(clientUrls[1]!, http, kp);
});
