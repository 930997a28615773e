// The dashboard's JSON API, under /dashboard/api (dashboard.ts mounts it):
//   GET  overview                     edges by district with status, active alarms, rollouts
//   GET  kpis                         energy, signal delay estimate, containers due, per district
//   GET  policies                     recent versions; the newest one as YAML for the editor
//   POST policies/validate  {text}    field problems, and the diff against the current version
//   POST policies           {text}    publish a version (engineer)
//   POST rollouts           {text, stages?, windowMs?, stageTimeoutMs?}   staged rollout (engineer)
//   POST rollouts/:id/halt|resume|rollback                                 (technician)
//   GET  audit                        the dashboard's audit rows and the chain's verdict
// Every change is an audit row in the dashboard's log with who, what, before and after. HAZARD:
// the change commits in the coordinator's database and its row in the dashboard's file, two
// transactions; the row is written right after the change succeeds, so a crash in between (the
// same synchronous turn) loses the row, never invents one for a change that did not happen.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditLog } from '../../common/audit/audit-log.js';
import { rolloutJson, type RolloutJson } from '../http/rollout-api.js';
import {
  checkPolicyDocument,
  documentOf,
  parsePolicyText,
  POLICY_INVALID,
} from '../policies/policy-document.js';
import type { PolicyHistory } from '../policies/policy-history.js';
import type { PolicyDraft, PolicyPublisher } from '../policies/policy-publisher.js';
import { targetMatches } from '../policies/policy-target.js';
import type { FieldProblem } from '../../common/schema/json-schema.js';
import { RolloutError, RolloutErrors, type RolloutManager } from '../rollouts/rollout-manager.js';
import { rolloutTimingOf } from '../rollouts/rollout-bounds.js';
import { StageSpecError, stageSpecOf } from '../rollouts/rollout-plan.js';
import type { RolloutRecord } from '../rollouts/rollout-store.js';
import type { AlarmRow, CoordinatorStore, FleetEdge } from '../store/coordinator-store.js';
import type { calle } from '../../proto/index.js';
import { QUARTER_MS } from '../store/series-rollup.js';
import { buildKpis, KPI_METRICS, samplesOf, type FleetKpis } from './fleet-kpis.js';
import { diffLines, policyYaml, type DiffLine } from './policy-diff.js';

export interface DashboardApiOptions {
  readonly rollouts: RolloutManager;
  readonly store: CoordinatorStore;
  readonly publisher: PolicyPublisher;
  readonly history: PolicyHistory;
  readonly audit: AuditLog;
  /** An edge unheard of for longer than this is stale; default 30 s (three missed heartbeats). */
  readonly staleAfterMs?: number;
  /** KPI window; default 6 h in 24 buckets. */
  readonly kpiWindowMs?: number;
  /** How long one KPI computation is reused; default 5 s. */
  readonly kpiTtlMs?: number;
  readonly now?: () => number;
}

/** The answers, for the page and the tests. */
export interface EdgeViewJson extends FleetEdge {
  readonly status: 'online' | 'stale' | 'never';
  readonly alarms: { warning: number; critical: number };
}
export interface AlarmViewJson extends AlarmRow {
  readonly district: string;
}
export interface RolloutViewJson extends RolloutJson {
  /** acks: waiting for the stage's edges; window: quiet time after the last ack; else the state. */
  readonly gate: { readonly phase: string; readonly untilMs: number | null };
  readonly target: unknown;
}
export interface OverviewJson {
  readonly nowMs: number;
  readonly staleAfterMs: number;
  readonly latestVersion: number;
  readonly edges: readonly EdgeViewJson[];
  readonly alarms: readonly AlarmViewJson[];
  readonly rollouts: readonly RolloutViewJson[];
}
export interface ValidationJson {
  readonly ok: boolean;
  readonly problems: readonly FieldProblem[];
  readonly yaml?: string;
  readonly current?: { readonly version: number; readonly yaml: string } | null;
  readonly diff?: readonly DiffLine[];
}
export interface ErrorJson {
  readonly code: string;
  readonly message: string;
  readonly problems?: readonly FieldProblem[];
  readonly setupPending?: boolean;
}

const MAX_POLICY_TEXT = 256 * 1024;
const TEXT_BODY = {
  type: 'object',
  required: ['text'],
  properties: { text: { type: 'string', maxLength: MAX_POLICY_TEXT } },
} as const;

type Target = calle.v1.PolicyTarget.$Properties | null | undefined;
const sameTarget = (a: Target, b: Target): boolean => {
  const norm = (t: Target) =>
    JSON.stringify([
      t?.allEdges === true,
      ...[t?.districts, t?.tags, t?.edgeIds].map((l) => [...(l ?? [])].sort()),
    ]);
  return norm(a) === norm(b);
};

function gateOf(r: RolloutRecord) {
  if (r.state !== 'running') return { phase: r.state, untilMs: null };
  if (r.allAppliedMs === null) return { phase: 'acks', untilMs: r.stageStartedMs + r.stageTimeoutMs };
  return { phase: 'window', untilMs: r.allAppliedMs + r.windowMs };
}

/** Parses and checks the editor's text; problems name the field, syntax errors the line. */
function readDraft(text: string): { ok: true; draft: PolicyDraft } | { ok: false; problems: FieldProblem[] } {
  const parsed = parsePolicyText(text);
  return parsed.ok ? checkPolicyDocument(parsed.value) : parsed;
}

export function registerDashboardApi(scope: FastifyInstance, o: DashboardApiOptions): void {
  const now = o.now ?? Date.now;
  const staleAfterMs = o.staleAfterMs ?? 30_000;
  const windowMs = o.kpiWindowMs ?? 6 * 3_600_000;
  const kpiTtlMs = o.kpiTtlMs ?? 5_000;
  let kpiCache: { atMs: number; kpis: FleetKpis } | undefined;
  const actor = (request: FastifyRequest): string => request.fleetSession!.user;
  const noStore = (reply: FastifyReply): FastifyReply => reply.header('cache-control', 'no-store');
  const problem = (
    reply: FastifyReply,
    code: number,
    error: string,
    message: string,
    problems?: FieldProblem[],
  ) => {
    void reply.code(code);
    return { code: error, message, ...(problems ? { problems } : {}) };
  };
  const rolloutView = async (r: RolloutRecord): Promise<RolloutViewJson> => ({
    ...(await rolloutJson(r, o.store)),
    gate: gateOf(r),
    target: r.target,
  });
  /** The version a draft for `target` replaces: the newest for the same target, else the newest. */
  const currentFor = async (target: Target): Promise<calle.v1.PolicyBundle | undefined> => {
    const all = await o.history.list();
    return (all.find((p) => sameTarget(p.bundle.target, target)) ?? all[0])?.bundle;
  };

  scope.get('/api/overview', { config: { fleetPermission: 'fleet.view' } }, async (_request, reply) => {
    const t = now();
    const alarms = await o.store.telemetry.activeAlarms();
    const alarmsByEdge = new Map<string, { warning: number; critical: number }>();
    for (const a of alarms) {
      const n = alarmsByEdge.get(a.edgeId) ?? { warning: 0, critical: 0 };
      if (a.severity >= 3) n.critical++;
      else n.warning++;
      alarmsByEdge.set(a.edgeId, n);
    }
    const edges = (await o.store.registry.fleet()).map((e): EdgeViewJson => ({
      ...e,
      status: e.lastSeenMs === null ? 'never' : t - e.lastSeenMs <= staleAfterMs ? 'online' : 'stale',
      alarms: alarmsByEdge.get(e.id) ?? { warning: 0, critical: 0 },
    }));
    const districtOf = new Map(edges.map((e) => [e.id, e.district]));
    const body: OverviewJson = {
      nowMs: t,
      staleAfterMs,
      latestVersion: await o.history.latestVersion(),
      edges,
      alarms: alarms.map((a) => ({ ...a, district: districtOf.get(a.edgeId) ?? '' })),
      rollouts: await Promise.all((await o.rollouts.list()).reverse().map(rolloutView)),
    };
    return noStore(reply).send(body);
  });

  scope.get('/api/kpis', { config: { fleetPermission: 'fleet.view' } }, async (_request, reply) => {
    const t = now();
    if (!kpiCache || t - kpiCache.atMs >= kpiTtlMs) {
      const edges = await o.store.registry.fleet();
      const policies = await o.history.list();
      const policyOf = (district: string) => {
        const members = edges.filter((e) => e.district === district);
        const applies = (p: (typeof policies)[number]) =>
          members.some((e) => targetMatches(p.bundle.target, e));
        const traffic = policies.find((p) => p.bundle.traffic && applies(p))?.bundle.traffic;
        const waste = policies.find((p) => p.bundle.waste && applies(p))?.bundle.waste;
        return {
          ...(traffic?.cycleS ? { cycleS: traffic.cycleS } : {}),
          ...(waste?.collectAtFill ? { dueAtPct: Math.round(waste.collectAtFill * 1000) / 10 } : {}),
        };
      };
      kpiCache = {
        atMs: t,
        kpis: buildKpis({
          edges,
          // From the 15-minute rollups (fleet-kpis.ts): the bucket holding the window's start too.
          readings: samplesOf(
            await o.store.series.rollups({
              resolution: '15m',
              fromMs: t - windowMs - QUARTER_MS,
              toMs: t + 1,
              metrics: KPI_METRICS,
            }),
          ).filter((r) => r.timeMs >= t - windowMs),
          fromMs: t - windowMs,
          toMs: t,
          buckets: 24,
          policyOf,
        }),
      };
    }
    return noStore(reply).send(kpiCache.kpis);
  });

  scope.get('/api/policies', { config: { fleetPermission: 'fleet.view' } }, async (_request, reply) => {
    const list = await o.history.list();
    const newest = list[0];
    return noStore(reply).send({
      latest: newest ? { version: newest.version, yaml: policyYaml(newest.bundle) } : null,
      versions: list.slice(0, 20).map((p) => ({
        version: p.version,
        issuedAt: new Date(p.issuedMs).toISOString(),
        target: documentOf(p.bundle).target,
        applied: p.applied,
        refused: p.refused,
      })),
    });
  });

  scope.post<{ Body: { text: string } }>(
    '/api/policies/validate',
    { config: { fleetPermission: 'policy.validate' }, schema: { body: TEXT_BODY } },
    async (request, reply) => {
      const checked = readDraft(request.body.text);
      if (!checked.ok) return noStore(reply).send({ ok: false, problems: checked.problems });
      const yaml = policyYaml(checked.draft);
      const current = await currentFor(checked.draft.target);
      const currentYaml = current ? policyYaml(current) : '';
      return noStore(reply).send({
        ok: true,
        problems: [],
        yaml,
        current: current ? { version: Number(current.version), yaml: currentYaml } : null,
        diff: diffLines(currentYaml, yaml),
      });
    },
  );

  scope.post<{ Body: { text: string } }>(
    '/api/policies',
    { config: { fleetPermission: 'policy.publish' }, schema: { body: TEXT_BODY } },
    async (request, reply) => {
      const checked = readDraft(request.body.text);
      if (!checked.ok)
        return problem(
          reply,
          400,
          POLICY_INVALID,
          `the policy has ${checked.problems.length} problem(s)`,
          checked.problems,
        );
      const before = await currentFor(checked.draft.target);
      const bundle = await o.publisher.publish(checked.draft);
      const version = Number(bundle.version);
      o.audit.append({
        actor: actor(request),
        action: 'policy.published',
        target: `policy:${version}`,
        before: before ? { version: Number(before.version), policy: policyYaml(before) } : null,
        after: { version, policy: policyYaml(bundle) },
      });
      return reply.code(201).send({ version });
    },
  );

  scope.post<{ Body: { text: string; stages?: unknown; windowMs?: number; stageTimeoutMs?: number } }>(
    '/api/rollouts',
    {
      config: { fleetPermission: 'policy.publish' },
      schema: {
        body: {
          type: 'object',
          required: ['text'],
          properties: {
            text: { type: 'string', maxLength: MAX_POLICY_TEXT },
            stages: { type: 'string', maxLength: 200 },
            // Bounds in rolloutTimingOf, shared with /api/rollouts (issue 13, finding 9).
            windowMs: { type: 'integer' },
            stageTimeoutMs: { type: 'integer' },
          },
        },
      },
    },
    async (request, reply) => {
      const checked = readDraft(request.body.text);
      const problems: FieldProblem[] = checked.ok ? [] : checked.problems;
      let stages;
      try {
        stages = stageSpecOf(request.body.stages === '' ? undefined : request.body.stages);
      } catch (err) {
        if (!(err instanceof StageSpecError)) throw err;
        problems.push({ field: err.field, reason: err.message.slice(err.field.length + 2) });
      }
      const { timing, problems: timingProblems } = rolloutTimingOf(
        { windowMs: request.body.windowMs, stageTimeoutMs: request.body.stageTimeoutMs },
        o.rollouts.gateTickMs,
      );
      problems.push(...timingProblems);
      if (!checked.ok || problems.length > 0)
        return problem(reply, 400, POLICY_INVALID, `the rollout has ${problems.length} problem(s)`, problems);
      try {
        const r = await o.rollouts.start(checked.draft, {
          ...(stages ? { stages } : {}),
          ...(timing.windowMs !== undefined ? { windowMs: timing.windowMs } : {}),
          ...(timing.stageTimeoutMs !== undefined ? { stageTimeoutMs: timing.stageTimeoutMs } : {}),
        });
        o.audit.append({
          actor: actor(request),
          action: 'rollout.started',
          target: `rollout:${r.id}`,
          after: {
            version: r.version,
            stages: r.sizes,
            windowMs: r.windowMs,
            stageTimeoutMs: r.stageTimeoutMs,
            rollbackTo: r.rollbackTo,
            policy: policyYaml(checked.draft),
          },
        });
        void reply.code(201);
        return await rolloutView(r);
      } catch (err) {
        if (!(err instanceof RolloutError)) throw err;
        return problem(reply, 400, err.code, err.message);
      }
    },
  );

  for (const action of ['halt', 'resume', 'rollback'] as const) {
    const done = { halt: 'rollout.halted', resume: 'rollout.resumed', rollback: 'rollout.rolled_back' }[
      action
    ];
    scope.post<{ Params: { id: string } }>(
      `/api/rollouts/:id/${action}`,
      { config: { fleetPermission: 'rollout.control' } },
      async (request, reply) => {
        const id = /^\d{1,15}$/.test(request.params.id) ? Number(request.params.id) : NaN;
        const stored = Number.isSafeInteger(id) ? await o.rollouts.get(id) : undefined;
        if (!stored)
          return problem(
            reply,
            404,
            RolloutErrors.NOT_FOUND,
            `rollout ${JSON.stringify(request.params.id)} does not exist`,
          );
        const before = { state: stored.state, stage: stored.releasedStages };
        try {
          const r =
            action === 'halt'
              ? await o.rollouts.halt(id, `halted by ${actor(request)}`)
              : action === 'rollback'
                ? await o.rollouts.rollback(id, `rolled back by ${actor(request)}`)
                : await o.rollouts.resume(id);
          o.audit.append({
            actor: actor(request),
            action: done,
            target: `rollout:${id}`,
            before,
            after: {
              state: r.state,
              stage: r.releasedStages,
              reason: r.reason,
              rollbackVersion: r.rollbackVersion,
            },
          });
          return await rolloutView(r);
        } catch (err) {
          if (!(err instanceof RolloutError)) throw err;
          return problem(reply, err.code === RolloutErrors.BAD_STATE ? 409 : 400, err.code, err.message);
        }
      },
    );
  }

  scope.get<{ Querystring: { limit?: number } }>(
    '/api/audit',
    {
      config: { fleetPermission: 'audit.read' },
      schema: {
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer', minimum: 1, maximum: 1000 } },
        },
      },
    },
    async (request, reply) =>
      noStore(reply).send({ rows: o.audit.recent(request.query.limit ?? 200), verdict: o.audit.verify() }),
  );
}
