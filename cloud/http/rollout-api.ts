// The staged-rollout REST API that `calle policy push --staged` and `calle policy rollout status`
// drive (cloud/rollouts/rollout-manager.ts has the gate's rules):
//   POST /api/rollouts                { policy, stages?, windowMs?, stageTimeoutMs?, rollbackTo? }
//                                     → 201 the rollout, its version published to stage 1 only
//   GET  /api/rollouts                every rollout, newest first
//   GET  /api/rollouts/:id            one rollout, with per-stage applied/refused/pending counts
//   POST /api/rollouts/:id/halt       stop releasing stages
//   POST /api/rollouts/:id/resume     continue a halted rollout (its stage gate starts afresh)
//   POST /api/rollouts/:id/rollback   republish the previous content for the whole target
// Same exposure as the policy API (no authentication yet, loopback by default).
import type { FastifyInstance, FastifyReply } from 'fastify';
import { checkPolicyDocument, POLICY_INVALID } from '../policies/policy-document.js';
import type { FieldProblem } from '../../common/schema/json-schema.js';
import { rolloutTimingOf } from '../rollouts/rollout-bounds.js';
import type { calle } from '../../proto/index.js';
import { targetMatches } from '../policies/policy-target.js';
import { edgesByStage, StageSpecError, stageSpecOf } from '../rollouts/rollout-plan.js';
import { RolloutError, RolloutErrors, type RolloutManager } from '../rollouts/rollout-manager.js';
import type { RolloutRecord } from '../rollouts/rollout-store.js';
import type { CoordinatorStore } from '../store/coordinator-store.js';

export interface RolloutApiOptions {
  readonly rollouts: RolloutManager;
  /** Read side for per-stage ack counts. */
  readonly store: CoordinatorStore;
  /** How often the manager's health gate looks (its tickMs): the floor of windowMs and stage timeouts. */
  readonly gateTickMs: number;
}

export interface RolloutStageJson {
  readonly stage: number;
  readonly edges: number;
  readonly released: boolean;
  readonly applied: number;
  readonly refused: number;
  readonly pending: readonly string[];
}

export interface RolloutJson {
  readonly id: number;
  readonly version: number;
  readonly state: RolloutRecord['state'];
  readonly reason: string;
  readonly stage: number;
  readonly stages: readonly RolloutStageJson[];
  readonly windowMs: number;
  readonly stageTimeoutMs: number;
  readonly rollbackTo: number | null;
  readonly rollbackVersion: number | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

const problem = (
  reply: FastifyReply,
  code: number,
  error: string,
  message: string,
  problems?: FieldProblem[],
) => {
  void reply.code(code);
  return { error, message, ...(problems ? { problems } : {}) };
};

export async function rolloutJson(r: RolloutRecord, store: CoordinatorStore): Promise<RolloutJson> {
  const acks = new Map((await store.policies.acks(r.version)).map((a) => [a.edgeId, a.applied]));
  // Stages hold no edge list (rollout-plan.ts): each stage's edges are the targeted registered
  // edges whose id hash falls in it.
  const target = r.target as calle.v1.PolicyTarget.$Properties;
  const targeted = (await store.registry.listRegistered())
    .filter((e) => targetMatches(target, e))
    .map((e) => e.id);
  return {
    id: r.id,
    version: r.version,
    state: r.state,
    reason: r.reason,
    stage: r.releasedStages,
    stages: edgesByStage(r.cuts, targeted).map((edges, i) => ({
      stage: i + 1,
      edges: edges.length,
      released: i < r.releasedStages,
      applied: edges.filter((e) => acks.get(e) === true).length,
      refused: edges.filter((e) => acks.get(e) === false).length,
      pending: i < r.releasedStages ? edges.filter((e) => !acks.has(e)) : [],
    })),
    windowMs: r.windowMs,
    stageTimeoutMs: r.stageTimeoutMs,
    rollbackTo: r.rollbackTo,
    rollbackVersion: r.rollbackVersion,
    createdAt: new Date(r.createdMs).toISOString(),
    updatedAt: new Date(r.updatedMs).toISOString(),
  };
}

export function registerRolloutApi(
  app: FastifyInstance,
  { rollouts, store, gateTickMs }: RolloutApiOptions,
): void {
  const failure = (reply: FastifyReply, err: unknown) => {
    if (!(err instanceof RolloutError)) throw err;
    const code =
      err.code === RolloutErrors.NOT_FOUND ? 404 : err.code === RolloutErrors.BAD_STATE ? 409 : 400;
    return problem(reply, code, err.code, err.message);
  };
  const idOf = (raw: string): number => {
    const id = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(id))
      throw new RolloutError(RolloutErrors.NOT_FOUND, `rollout ${JSON.stringify(raw)} does not exist`);
    return id;
  };

  app.post<{ Body: unknown }>('/api/rollouts', async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (typeof body !== 'object' || Array.isArray(body))
      return problem(reply, 400, POLICY_INVALID, 'the body must be an object with a "policy"');
    const checked = checkPolicyDocument(body.policy);
    const problems: FieldProblem[] = checked.ok
      ? []
      : checked.problems.map((p) => ({ ...p, field: p.field ? `policy.${p.field}` : 'policy' }));
    let stages;
    try {
      stages = stageSpecOf(body.stages);
    } catch (err) {
      if (!(err instanceof StageSpecError)) throw err;
      problems.push({ field: err.field, reason: err.message.slice(err.field.length + 2) });
    }
    // Bounds and their reasons: cloud/rollouts/rollout-bounds.ts.
    const timing = rolloutTimingOf(body, gateTickMs);
    problems.push(...timing.problems);
    if (!checked.ok || problems.length > 0)
      return problem(
        reply,
        400,
        POLICY_INVALID,
        `the rollout has ${problems.length} problem(s): ${problems.map((p) => `${p.field}: ${p.reason}`).join('; ')}`,
        problems,
      );
    try {
      const r = await rollouts.start(checked.draft, { ...(stages ? { stages } : {}), ...timing.timing });
      void reply.code(201);
      return await rolloutJson(r, store);
    } catch (err) {
      return failure(reply, err);
    }
  });

  app.get('/api/rollouts', async () =>
    Promise.all((await rollouts.list()).reverse().map(async (r) => rolloutJson(r, store))),
  );

  app.get<{ Params: { id: string } }>('/api/rollouts/:id', async (req, reply) => {
    try {
      const r = await rollouts.get(idOf(req.params.id));
      if (!r) throw new RolloutError(RolloutErrors.NOT_FOUND, `rollout ${req.params.id} does not exist`);
      return await rolloutJson(r, store);
    } catch (err) {
      return failure(reply, err);
    }
  });

  for (const action of ['halt', 'resume', 'rollback'] as const) {
    app.post<{ Params: { id: string } }>(`/api/rollouts/:id/${action}`, async (req, reply) => {
      try {
        return await rolloutJson(await rollouts[action](idOf(req.params.id)), store);
      } catch (err) {
        return failure(reply, err);
      }
    });
  }
}
