// `calle policy push | status | rollback`: the operator's side of the coordinator's policy REST API
// (cloud/http/policy-api.ts). The file is parsed here too, so a syntax error points at the line of
// the operator's own file before anything is sent; the coordinator then checks the content and
// answers with every field problem, which is printed as `<file>: <field>: <reason>`.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { PolicyAcksJson, PolicyJson, ProblemJson } from '../cloud/http/policy-api.js';
import type { RolloutJson } from '../cloud/http/rollout-api.js';
import { parsePolicyText } from '../cloud/policies/policy-document.js';

export const POLICY_USAGE = `Usage:
  calle policy push FILE [--staged STAGES [--window MS] [--stage-timeout MS]] [--coordinator URL]
      Publishes the policy in FILE (JSON or YAML, schema cloud/policies/policy.schema.json):
      the coordinator checks it, gives it the next version and signs it. With --staged (e.g.
      1,10%,100%) it goes out stage by stage, each stage gated on its edges' acks and on no new
      critical alarm for --window ms (default 60000); a refusal, an alarm or a stage slower than
      --stage-timeout ms (default 600000) rolls it back by itself.
  calle policy rollout status [ID] | halt ID | resume ID | rollback ID [--coordinator URL]
      A staged rollout's stages (default: the newest), or the operator's hand on it.
  calle policy status [VERSION] [--coordinator URL]
      Each targeted edge's verdict on VERSION (default: the newest): applied, refused with the
      edge's reason, or pending.
  calle policy rollback --to VERSION [--coordinator URL]
      Publishes VERSION's content again as a new, higher version (edges never go back).
  --coordinator defaults to http://127.0.0.1:8090 (calle cloud's --http).`;

export interface CommandIo {
  out(line: string): void;
  err(line: string): void;
}

const consoleIo: CommandIo = { out: (l) => console.log(l), err: (l) => console.error(l) };

class Failure extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** Runs `calle policy …`; resolves to the process exit code. */
export async function runPolicyCommand(args: string[], io: CommandIo = consoleIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        coordinator: { type: 'string', default: 'http://127.0.0.1:8090' },
        to: { type: 'string' },
        staged: { type: 'string' },
        window: { type: 'string' },
        'stage-timeout': { type: 'string' },
      },
    });
  } catch (err) {
    io.err(`calle policy: ${(err as Error).message}`);
    io.err(POLICY_USAGE);
    return 2;
  }
  const [sub, ...rest] = parsed.positionals;
  const base = parsed.values.coordinator.replace(/\/+$/, '');
  try {
    switch (sub) {
      case 'push':
        if (rest.length !== 1) throw new Failure('calle policy push: give exactly one FILE', 2);
        if (parsed.values.staged !== undefined)
          return await pushStaged(base, rest[0]!, io, {
            stages: parsed.values.staged,
            ...msArg('--window', parsed.values.window, 'windowMs'),
            ...msArg('--stage-timeout', parsed.values['stage-timeout'], 'stageTimeoutMs'),
          });
        return await push(base, rest[0]!, io);
      case 'rollout':
        return await rolloutCommand(base, rest, io);
      case 'status':
        if (rest.length > 1) throw new Failure('calle policy status: at most one VERSION', 2);
        return await status(base, rest[0] === undefined ? undefined : versionArg('VERSION', rest[0]), io);
      case 'rollback':
        if (parsed.values.to === undefined || rest.length > 0)
          throw new Failure('calle policy rollback: --to VERSION is required', 2);
        return await rollback(base, versionArg('--to', parsed.values.to), io);
      case undefined:
      default:
        throw new Failure(
          sub === undefined ? 'calle policy: which command?' : `calle policy: unknown command '${sub}'`,
          2,
        );
    }
  } catch (err) {
    if (!(err instanceof Failure)) throw err;
    io.err(err.message);
    if (err.exitCode === 2) io.err(POLICY_USAGE);
    return err.exitCode;
  }
}

function versionArg(name: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1)
    throw new Failure(`calle policy: ${name} '${value}' is not a version number`, 2);
  return n;
}

function msArg(name: string, value: string | undefined, key: string): Record<string, number> {
  if (value === undefined) return {};
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n))
    throw new Failure(`calle policy: ${name} '${value}' is not a whole number of milliseconds`, 2);
  return { [key]: n };
}

async function pushStaged(base: string, file: string, io: CommandIo, options: Record<string, unknown>) {
  const document = readDocument(file, io);
  if (document === undefined) return 1;
  const res = await call(base, '/api/rollouts', { method: 'POST', body: { policy: document, ...options } });
  if (res.status === 400) {
    const body = (await res.json()) as ProblemJson;
    for (const p of body.problems ?? [{ field: '', reason: body.message }])
      io.err(`${p.field.startsWith('policy') ? file + ': ' : ''}${p.field || '(rollout)'}: ${p.reason}`);
    return 1;
  }
  const r = (await expectOk(res, 201)) as RolloutJson;
  io.out(
    `rollout ${r.id}: policy ${r.version} published to stage 1 of ${r.stages.length} ` +
      `(${r.stages.map((s) => s.edges).join(' → ')} edges); follow it with calle policy rollout status ${r.id}`,
  );
  return 0;
}

async function rolloutCommand(base: string, rest: string[], io: CommandIo): Promise<number> {
  const [action, idText, ...extra] = rest;
  if (extra.length > 0) throw new Failure('calle policy rollout: too many arguments', 2);
  if (action === 'status') {
    let path = idText === undefined ? undefined : `/api/rollouts/${versionArg('ID', idText)}`;
    if (!path) {
      const list = (await expectOk(await call(base, '/api/rollouts'), 200)) as RolloutJson[];
      if (list.length === 0) {
        io.out('no rollout yet');
        return 0;
      }
      path = `/api/rollouts/${list[0]!.id}`;
    }
    const res = await call(base, path);
    if (res.status === 404) throw new Failure(`calle policy rollout: rollout ${idText} does not exist`, 1);
    printRollout((await expectOk(res, 200)) as RolloutJson, io);
    return 0;
  }
  if (action === 'halt' || action === 'resume' || action === 'rollback') {
    if (idText === undefined) throw new Failure(`calle policy rollout ${action}: give the rollout ID`, 2);
    const id = versionArg('ID', idText);
    const res = await call(base, `/api/rollouts/${id}/${action}`, { method: 'POST', body: {} });
    if (res.status === 404) throw new Failure(`calle policy rollout: rollout ${id} does not exist`, 1);
    printRollout((await expectOk(res, 200)) as RolloutJson, io);
    return 0;
  }
  throw new Failure(
    `calle policy rollout: unknown command '${action ?? ''}' (status, halt, resume, rollback)`,
    2,
  );
}

function printRollout(r: RolloutJson, io: CommandIo): void {
  io.out(
    `rollout ${r.id}: policy ${r.version} ${r.state.replace('_', ' ')}, stage ${r.stage} of ${r.stages.length}` +
      (r.reason ? ` — ${r.reason}` : '') +
      (r.rollbackVersion !== null
        ? ` (rolled back as policy ${r.rollbackVersion}, content of ${r.rollbackTo})`
        : ''),
  );
  for (const s of r.stages)
    io.out(
      `  stage ${s.stage}: ${s.edges} edge(s), ` +
        (s.released
          ? `${s.applied} applied, ${s.refused} refused, ${s.pending.length} pending` +
            (s.pending.length > 0
              ? ` (${s.pending.slice(0, 5).join(', ')}${s.pending.length > 5 ? ', …' : ''})`
              : '')
          : 'not released'),
    );
}

/** Reads and parses FILE; prints the problems and returns undefined when it does not parse. */
function readDocument(file: string, io: CommandIo): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Failure(`${file}: cannot read: ${(err as Error).message}`, 1);
  }
  const parsed = parsePolicyText(text);
  if (!parsed.ok) {
    for (const p of parsed.problems) io.err(`${file}: ${p.reason}`);
    return undefined;
  }
  return parsed.value;
}

async function push(base: string, file: string, io: CommandIo): Promise<number> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Failure(`${file}: cannot read: ${(err as Error).message}`, 1);
  }
  const parsed = parsePolicyText(text);
  if (!parsed.ok) {
    for (const p of parsed.problems) io.err(`${file}: ${p.reason}`);
    return 1;
  }
  const res = await call(base, '/api/policies', { method: 'POST', body: parsed.value });
  if (res.status === 400) {
    const body = (await res.json()) as ProblemJson;
    for (const p of body.problems ?? []) io.err(`${file}: ${p.field || '(policy)'}: ${p.reason}`);
    return 1;
  }
  const published = (await expectOk(res, 201)) as PolicyJson;
  io.out(
    `policy ${published.version} published, signed by key ${published.keyId} (${published.signatureAlg}), ` +
      `for ${describeTarget(published.policy.target)}`,
  );
  return 0;
}

async function status(base: string, version: number | undefined, io: CommandIo): Promise<number> {
  if (version === undefined) {
    const list = (await expectOk(await call(base, '/api/policies'), 200)) as PolicyJson[];
    if (list.length === 0) {
      io.out('no policy published yet');
      return 0;
    }
    version = list[0]!.version;
  }
  const acksRes = await call(base, `/api/policies/${version}/acks`);
  if (acksRes.status === 404)
    throw new Failure(`calle policy status: version ${version} was never published`, 1);
  const standing = (await expectOk(acksRes, 200)) as PolicyAcksJson;
  const policyRes = await call(base, `/api/policies/${version}`);
  const policy = policyRes.status === 200 ? ((await policyRes.json()) as PolicyJson) : undefined;
  const applied = standing.acks.filter((a) => a.applied).length;
  const refused = standing.acks.length - applied;
  io.out(
    `policy ${version}` +
      (policy
        ? ` (issued ${policy.issuedAt}, key ${policy.keyId}, for ${describeTarget(policy.policy.target)})`
        : ' (never published here)') +
      `: ${applied} applied, ${refused} refused, ${standing.pending.length} pending`,
  );
  const width = Math.max(
    4,
    ...standing.acks.map((a) => a.edgeId.length),
    ...standing.pending.map((p) => p.length),
  );
  for (const a of standing.acks)
    io.out(
      `  ${a.edgeId.padEnd(width)}  ${a.applied ? 'applied' : 'refused'}  ${a.at}${a.applied ? '' : `  ${a.reason}`}`,
    );
  for (const p of standing.pending) io.out(`  ${p.padEnd(width)}  pending`);
  return 0;
}

async function rollback(base: string, to: number, io: CommandIo): Promise<number> {
  const res = await call(base, '/api/policies/rollback', { method: 'POST', body: { to } });
  if (res.status === 404) throw new Failure(`calle policy rollback: version ${to} was never published`, 1);
  const published = (await expectOk(res, 201)) as PolicyJson;
  io.out(`policy ${published.version} published with the content of ${to}, signed by key ${published.keyId}`);
  return 0;
}

async function call(base: string, path: string, init?: { method: string; body: unknown }): Promise<Response> {
  try {
    return await fetch(`${base}${path}`, {
      method: init?.method ?? 'GET',
      ...(init ? { body: JSON.stringify(init.body), headers: { 'content-type': 'application/json' } } : {}),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new Failure(
      `cannot reach the coordinator at ${base}: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
      1,
    );
  }
}

async function expectOk(res: Response, expected: number): Promise<unknown> {
  if (res.status === expected) return res.json();
  const text = await res.text();
  let message = text;
  try {
    message = (JSON.parse(text) as ProblemJson).message ?? text;
  } catch {
    // not JSON: show it as it came
  }
  throw new Failure(`coordinator answered ${res.status}: ${message}`, 1);
}

function describeTarget(target: unknown): string {
  const t = (target ?? {}) as {
    allEdges?: boolean;
    districts?: string[];
    tags?: string[];
    edgeIds?: string[];
  };
  if (t.allEdges) return 'all edges';
  const parts = [
    t.districts?.length ? `districts ${t.districts.join(', ')}` : '',
    t.tags?.length ? `tags ${t.tags.join(', ')}` : '',
    t.edgeIds?.length ? `edges ${t.edgeIds.join(', ')}` : '',
  ].filter((p) => p !== '');
  return parts.join('; ') || 'no edge';
}
