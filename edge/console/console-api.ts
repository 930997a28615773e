// The console's routes beyond devices and status: the audit log and its verification, and the
// policies (active, staged, history, last refusal); lighting in console-lighting.ts, intersections
// in console-signals.ts, containers in console-waste.ts. Every route declares the permission it
// needs (console-auth.ts) and its schemas, which also make /api/openapi.json.
import type { FastifyInstance } from 'fastify';
import type { AuditLog } from '../../common/audit/audit-log.js';
import type { ConsoleSource } from './console-server.js';
import { registerLightingRoutes, type LightingGroupView } from './console-lighting.js';
import { registerSignalRoutes, type SignalStateView } from './console-signals.js';
import { registerWasteRoutes, type CollectionEntryView } from './console-waste.js';
import { REASON_PARTS_SCHEMA, type Reason, type Refusal } from '../../common/reasons/reason.js';

export type { LightingGroupView } from './console-lighting.js';
export type { IntersectionView, SignalStateView } from './console-signals.js';
export { intersectionsOf } from './console-signals.js';
export type { CollectionEntryView } from './console-waste.js';

/** A policy applied whose signal timing still waits for a cycle boundary (EdgeSite.stagedPolicy). */
export interface StagedPolicyView {
  version: number;
  waitingFor: readonly string[];
}

/** What the console may change on the node. Each call is audited here, by the console. */
export interface ConsoleActions {
  /** EdgeSite.clearSignalLatch: "local" because the console serves the cabinet's own network. */
  clearSignalLatch(intersectionId: string, origin: 'local'): { cleared: boolean } & Partial<Refusal>;
  /** EdgeSite.overrideLighting: holds a group at a level until the lease expires on its own. */
  overrideLighting?(
    groupId: string,
    levelPct: number,
    durationS: number | undefined,
    actor: string,
  ): { ok: true; expiresMs: number } | ({ ok: false; reason: string } & Partial<Refusal>);
  /** EdgeSite.clearLightingOverride. */
  clearLightingOverride?(groupId: string, actor: string): { ok: boolean } & Partial<Refusal>;
  /** EdgeSite.flashIntersection: drains the stage, then flashing amber until restored. */
  flashIntersection?(intersectionId: string, actor: string): { ok: boolean } & Partial<Refusal>;
  /** EdgeSite.restoreIntersection: all red for the full intergreen, then the plan. */
  restoreIntersection?(intersectionId: string, actor: string): { ok: boolean } & Partial<Refusal>;
}

const AUDIT_ROW_SCHEMA = {
  type: 'object',
  required: ['seq', 'timeMs', 'actor', 'action', 'target', 'hash'],
  properties: {
    seq: { type: 'number' },
    timeMs: { type: 'number' },
    actor: { type: 'string' },
    action: { type: 'string' },
    target: { type: 'string' },
    beforeJson: { type: ['string', 'null'] },
    afterJson: { type: ['string', 'null'] },
    hash: { type: 'string' },
  },
} as const;

const POLICY_ACTIONS = new Set(['policy.applied', 'policy.refused', 'policy.restored', 'policy.refreshed']);

export function registerConsoleApi(
  app: FastifyInstance,
  deps: {
    source: ConsoleSource;
    audit: AuditLog;
    actions?: ConsoleActions;
    lightingGroups?: () => LightingGroupView[];
    signals?: () => SignalStateView[];
    collectionList?: (horizonMs?: number) => CollectionEntryView[];
    stagedPolicy?: () => StagedPolicyView | undefined;
  },
): void {
  const { source, audit } = deps;

  registerLightingRoutes(app, deps);
  registerSignalRoutes(app, deps);
  registerWasteRoutes(app, deps);

  app.get<{ Querystring: { limit?: number; actor?: string; action?: string; target?: string } }>(
    '/api/audit',
    {
      config: { permission: 'audit.read' },
      schema: {
        summary: 'Audit rows, newest first, filtered by actor, action prefix or target',
        tags: ['audit'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 200 },
            actor: { type: 'string', maxLength: 64 },
            action: { type: 'string', maxLength: 64 },
            target: { type: 'string', maxLength: 64 },
          },
        },
        response: { 200: { type: 'array', items: AUDIT_ROW_SCHEMA } },
      },
    },
    async (request, reply) => {
      const { limit = 200, actor, action, target } = request.query;
      const filtered = actor !== undefined || action !== undefined || target !== undefined;
      // Filters look through the newest 5 000 rows: a console view, not an export.
      const rows = audit
        .recent(filtered ? 5000 : limit)
        .filter(
          (r) =>
            (actor === undefined || r.actor === actor) &&
            (action === undefined || r.action.startsWith(action)) &&
            (target === undefined || r.target === target),
        );
      return reply.header('cache-control', 'no-store').send(rows.slice(0, limit));
    },
  );

  app.get(
    '/api/audit/verify',
    {
      config: { permission: 'audit.read' },
      schema: {
        summary: 'Walks the audit hash chain (IEC 62443-4-2 CR 3.9)',
        tags: ['audit'],
        response: {
          200: {
            type: 'object',
            required: ['ok'],
            properties: {
              ok: { type: 'boolean' },
              rows: { type: 'number' },
              headHash: { type: 'string' },
              seq: { type: 'number' },
              reason: { type: 'string' },
            },
          },
        },
      },
    },
    async (_request, reply) => reply.header('cache-control', 'no-store').send(audit.verify()),
  );

  app.get(
    '/api/policies',
    {
      config: { permission: 'view' },
      schema: {
        summary:
          'Active policy version, the staged one (applied, its signal timing waiting for a cycle boundary), its history, and the last refusal with its reason',
        tags: ['policies'],
        response: {
          200: {
            type: 'object',
            required: ['active', 'history'],
            properties: {
              active: { type: 'number' },
              expiresMs: {
                type: 'number',
                description: "when the active policy's signature expires (ms since the epoch)",
              },
              stale: {
                type: 'boolean',
                description: 'expired: still running, POLICY_STALE raised, a fresh signature asked for',
              },
              staged: {
                type: 'object',
                required: ['version', 'waitingFor'],
                properties: {
                  version: { type: 'number' },
                  waitingFor: { type: 'array', items: { type: 'string' }, description: 'intersection ids' },
                },
              },
              history: { type: 'array', items: AUDIT_ROW_SCHEMA },
              lastRefusal: AUDIT_ROW_SCHEMA,
              lastRefusalReason: { type: 'string' },
              lastRefusalCode: REASON_PARTS_SCHEMA,
            },
          },
        },
      },
    },
    async (_request, reply) => {
      // The audit log is the policy history: it has applied, restored and refused, with reasons,
      // which the applied-policy table (applied only) does not.
      const history = audit
        .recent(2000)
        .filter((r) => POLICY_ACTIONS.has(r.action))
        .slice(0, 50);
      const lastRefusal = history.find((r) => r.action === 'policy.refused');
      const staged = deps.stagedPolicy?.();
      const refusal = refusalOf(lastRefusal?.afterJson);
      const status = source.status();
      return reply.header('cache-control', 'no-store').send({
        active: status.policyVersion,
        ...(status.policyExpiresMs !== undefined ? { expiresMs: status.policyExpiresMs } : {}),
        ...(status.policyStale !== undefined ? { stale: status.policyStale } : {}),
        ...(staged ? { staged } : {}),
        history,
        ...(lastRefusal ? { lastRefusal } : {}),
        ...(refusal ? { lastRefusalReason: refusal.reason, lastRefusalCode: refusal.reasonCode } : {}),
      });
    },
  );
}

/** The `reason` of a refusal's audit row (its after-JSON), if it has one. */
/**
 * A refusal's reason from its audit row: the English and the codes the pipeline stored with it
 * (edge/policy/policy-pipeline.ts). A row written before the codes were stored is shown as it
 * is, in English (one `policy.problem` part): its codes are not guessed from the words.
 */
function refusalOf(afterJson: string | null | undefined): { reason: string; reasonCode: Reason } | undefined {
  if (!afterJson) return undefined;
  try {
    const after = JSON.parse(afterJson) as { reason?: unknown; reasonCode?: unknown };
    if (typeof after.reason !== 'string') return undefined;
    const coded = Array.isArray(after.reasonCode) ? (after.reasonCode as Reason) : undefined;
    return {
      reason: after.reason,
      reasonCode: coded ?? [{ code: 'policy.problem', params: { detail: after.reason } }],
    };
  } catch {
    return undefined;
  }
}
