// The container and Kubernetes files cannot run here (no Docker engine, no cluster), so they are
// checked for what would break them in the field: YAML that parses, references that resolve,
// pods that run unprivileged with limits, and an embedded NATS configuration that nats-server
// itself accepts.
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-explicit-any --
   these tests walk untyped YAML documents; a schema type for every Kubernetes kind would be longer than the checks. */
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { tempDir } from '../common/testing/temp-dir.js';

const DEPLOY = fileURLToPath(new URL('.', import.meta.url));
const ROOT = resolve(DEPLOY, '..');

type Doc = Record<string, any>;

function loadYaml(file: string): Doc[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  for (const d of docs)
    if (d.errors.length) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`);
  return docs.map((d) => d.toJS() as Doc).filter(Boolean);
}

const k8s = (): Doc[] =>
  readdirSync(join(DEPLOY, 'k8s'))
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => loadYaml(join(DEPLOY, 'k8s', f)));

test('manifests — every Kubernetes object is named, namespaced and complete', (t) => {
  const docs = k8s();
  t.true(docs.length >= 6);
  for (const d of docs) {
    const what = `${d.kind}/${d.metadata?.name}`;
    t.truthy(d.apiVersion, what);
    t.truthy(d.kind, what);
    t.truthy(d.metadata?.name, what);
    if (d.kind !== 'Namespace') t.is(d.metadata.namespace, 'calle', what);
  }
});

test('manifests — every pod runs unprivileged, read-only, with a memory limit and a pinned image', (t) => {
  const workloads = k8s().filter((d) => ['Deployment', 'StatefulSet'].includes(d.kind));
  t.true(workloads.length >= 2);
  for (const w of workloads) {
    const pod = w.spec.template.spec;
    t.true(pod.securityContext?.runAsNonRoot, `${w.metadata.name}: runAsNonRoot`);
    const inits = (pod.initContainers ?? []) as Doc[];
    for (const c of [...(pod.containers as Doc[]), ...inits]) {
      const init = inits.includes(c);
      const where = `${w.metadata.name}/${c.name}`;
      t.regex(c.image, /:[\w.-]+$/, `${where}: image pinned to a tag`);
      t.notRegex(c.image, /:latest$/, where);
      t.truthy(c.resources?.limits?.memory, `${where}: memory limit`);
      t.false(c.securityContext?.allowPrivilegeEscalation, where);
      t.true(c.securityContext?.readOnlyRootFilesystem, where);
      t.deepEqual(c.securityContext?.capabilities?.drop, ['ALL'], where);
      if (!init) t.truthy(c.readinessProbe && c.livenessProbe, `${where}: probes`);
    }
  }
});

test('manifests — services select workloads, and config maps and secrets referenced exist or are documented', (t) => {
  const docs = k8s();
  const labels = docs
    .filter((d) => d.spec?.template?.metadata?.labels)
    .map((d) => d.spec.template.metadata.labels as Record<string, string>);
  for (const svc of docs.filter((d) => d.kind === 'Service')) {
    const sel = svc.spec.selector as Record<string, string>;
    t.true(
      labels.some((l) => Object.entries(sel).every(([k, v]) => l[k] === v)),
      `Service ${svc.metadata.name} selects nothing`,
    );
  }
  const configMaps = new Set(docs.filter((d) => d.kind === 'ConfigMap').map((d) => d.metadata.name));
  const text = readdirSync(join(DEPLOY, 'k8s'))
    .map((f) => readFileSync(join(DEPLOY, 'k8s', f), 'utf8'))
    .join('\n');
  for (const w of docs.filter((d) => d.spec?.template)) {
    for (const v of w.spec.template.spec.volumes ?? []) {
      if (v.configMap) t.true(configMaps.has(v.configMap.name), `configMap ${v.configMap.name}`);
    }
    for (const c of w.spec.template.spec.containers)
      for (const e of c.env ?? [])
        if (e.valueFrom?.secretKeyRef) {
          // Secrets are created by the operator; the command that creates them must name each key.
          t.true(
            text.includes(`--from-literal=${e.valueFrom.secretKeyRef.key}=`),
            `secret key ${e.valueFrom.secretKeyRef.key} documented`,
          );
        }
  }
});

test('manifests — the NATS configuration inside the ConfigMap passes nats-server -t', async (t) => {
  const dir = tempDir(t);
  const cm = k8s().find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'calle-nats-config')!;
  for (const [name, body] of Object.entries(cm.data as Record<string, string>))
    writeFileSync(join(dir, name), body);
  const env = {
    ...process.env,
    POD_NAME: 'calle-nats-0',
    CALLE_COORDINATOR_PASSWORD: 'a',
    CALLE_SYS_PASSWORD: 'b',
    CALLE_ROUTE_PASSWORD: 'c',
    CALLE_ROUTE_0: 'nats-route://route:c@calle-nats-0.calle-nats:6222',
    CALLE_ROUTE_1: 'nats-route://route:c@calle-nats-1.calle-nats:6222',
    CALLE_ROUTE_2: 'nats-route://route:c@calle-nats-2.calle-nats:6222',
  };
  const out = await new Promise<{ code: number; text: string }>((res) =>
    execFile('nats-server', ['-t', '-c', join(dir, 'nats.conf')], { env }, (err, so, se) =>
      res({ code: err ? 1 : 0, text: so + se }),
    ),
  );
  t.is(out.code, 0, out.text);
});

test('manifests — compose file parses and mounts files that exist', (t) => {
  const file = join(DEPLOY, 'docker', 'compose.yaml');
  const [compose] = loadYaml(file);
  t.deepEqual(Object.keys(compose!.services).sort(), ['coordinator', 'nats']);
  for (const svc of Object.values(compose!.services as Record<string, Doc>))
    for (const v of (svc.volumes ?? []) as string[]) {
      const src = v.split(':')[0]!;
      if (src.startsWith('.')) t.true(existsSync(resolve(dirname(file), src)), `${v}: source exists`);
    }
  t.true(
    existsSync(
      resolve(
        dirname(file),
        compose!.services.coordinator.build.context,
        compose!.services.coordinator.build.dockerfile,
      ),
    ),
  );
});

test('manifests — the Dockerfile is multi-stage, copies what exists, and runs as non-root', (t) => {
  const text = readFileSync(join(DEPLOY, 'docker', 'Dockerfile'), 'utf8');
  const stages = text.split(/^FROM /m).slice(1);
  t.true(stages.length >= 2, 'multi-stage');
  t.notRegex(text, /^FROM \S+:latest/m);
  const final = stages.at(-1)!;
  const user = /^USER (\S+)/m.exec(final)?.[1];
  t.truthy(user);
  t.not(user, 'root');
  for (const m of text.matchAll(/^COPY (?!--from)(.+) \S+$/gm))
    for (const src of m[1]!.split(' ').filter((s) => !s.startsWith('--')))
      t.true(existsSync(join(ROOT, src)), `COPY ${src}: exists in the repository`);
});

test('manifests — two coordinator replicas, each with its replica id, its own volume and the signing key', (t) => {
  const sts = k8s().find((d) => d.kind === 'StatefulSet' && d.metadata.name === 'calle-coordinator')!;
  t.is(sts.spec.replicas, 2);
  const args = sts.spec.template.spec.containers[0].args as string[];
  const flag = (name: string): string | undefined => args[args.indexOf(name) + 1];
  t.is(flag('--replica-id'), '$(POD_NAME)');
  t.is(flag('--kv-replicas'), '3');
  t.is(flag('--signing-key'), '/keys/policy-signing.key');
  t.is(sts.spec.volumeClaimTemplates[0].metadata.name, 'data');
  // The Secret the key comes from is created by the operator with the command in the header.
  const secret = (sts.spec.template.spec.volumes as Doc[]).find((v) => v.secret)!.secret.secretName as string;
  t.regex(
    readFileSync(join(DEPLOY, 'k8s', 'coordinator.yaml'), 'utf8'),
    new RegExp(`create secret generic ${secret} `),
  );
});
