// The console's routes beyond devices and status: the audit log and its verification, policy
// history, the intersections and the local clear of a latched fault; lighting in console-lighting.ts. Every route declares the
// permission it needs (console-auth.ts) and its schemas, which also make /api/openapi.json.
import type { FastifyInstance } from 'fastify';
import type { AuditLog } from '../audit/audit-log.js';
import type { DeviceView } from '../devices/device-view.js';
import type { ConsoleSource } from './console-server.js';
import { ERROR_SCHEMA } from './console-auth.js';
import { registerLightingRoutes, type LightingGroupView } from './console-lighting.js';

export type { LightingGroupView } from './console-lighting.js';

/** What the console may change on the node. Each call is audited here, by the console. */
export interface ConsoleActions {
  /** EdgeSite.clearSignalLatch: "local" because the console serves the cabinet's own network. */
  clearSignalLatch(intersectionId: string, origin: 'local'): { cleared: boolean; reason?: string };
  /** EdgeSite.overrideLighting: holds a group at a level until the lease expires on its own. */
  overrideLighting?(
    groupId: string,
    levelPct: number,
    durationS: number | undefined,
    actor: string,
  ): { ok: true; expiresMs: number } | { ok: false; reason: string };
  /** EdgeSite.clearLightingOverride. */
  clearLightingOverride?(groupId: string, actor: string): { ok: boolean; reason?: string };
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

const INTERSECTION_SCHEMA = {
  type: 'object',
  required: ['id', 'latched', 'heads', 'detectors'],
  properties: {
    id: { type: 'string' },
    latched: { type: 'boolean' },
    reason: { type: 'string' },
    heads: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'aspect', 'available'],
        properties: { id: { type: 'string' }, aspect: { type: 'string' }, available: { type: 'boolean' } },
      },
    },
    detectors: { type: 'array', items: { type: 'string' } },
  },
} as const;

export interface IntersectionView {
  id: string;
  latched: boolean;
  reason?: string;
  heads: { id: string; aspect: string; available: boolean }[];
  detectors: string[];
}

/**
 * Intersections as the devices show them. A latched intersection commands "flash" with a reason
 * starting "flash:" (intersection-controller.ts); the site has no other read-out of its latch.
 */
export function intersectionsOf(devices: readonly DeviceView[]): IntersectionView[] {
  const byId = new Map<string, IntersectionView>();
  for (const d of devices) {
    if ((d.kind !== 'signal-head' && d.kind !== 'detector') || d.group === undefined) continue;
    let x = byId.get(d.group);
    if (!x) byId.set(d.group, (x = { id: d.group, latched: false, heads: [], detectors: [] }));
    if (d.kind === 'detector') {
      x.detectors.push(d.id);
      continue;
    }
    x.heads.push({ id: d.id, aspect: String(d.state.aspect ?? 'off'), available: d.available });
    if (d.reason !== undefined) x.reason ??= d.reason;
    if (d.reason?.startsWith('flash:')) {
      x.latched = true;
      x.reason = d.reason;
    }
  }
  // A group with detectors only is a lighting presence group, not an intersection.
  return [...byId.values()].filter((x) => x.heads.length > 0);
}

const POLICY_ACTIONS = new Set(['policy.applied', 'policy.refused', 'policy.restored']);

export function registerConsoleApi(
  app: FastifyInstance,
  deps: {
    source: ConsoleSource;
    audit: AuditLog;
    actions?: ConsoleActions;
    lightingGroups?: () => LightingGroupView[];
  },
): void {
  const { source, audit, actions } = deps;

  registerLightingRoutes(app, deps);

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
        summary: 'Active policy version, its history, and the last refusal with its reason',
        tags: ['policies'],
        response: {
          200: {
            type: 'object',
            required: ['active', 'history'],
            properties: {
              active: { type: 'number' },
              history: { type: 'array', items: AUDIT_ROW_SCHEMA },
              lastRefusal: AUDIT_ROW_SCHEMA,
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
      return reply
        .header('cache-control', 'no-store')
        .send({ active: source.status().policyVersion, history, ...(lastRefusal ? { lastRefusal } : {}) });
    },
  );

  app.get(
    '/api/intersections',
    {
      config: { permission: 'view' },
      schema: {
        summary: 'Intersections, their signal heads and whether they are latched in flash',
        tags: ['signals'],
        response: { 200: { type: 'array', items: INTERSECTION_SCHEMA } },
      },
    },
    async (_request, reply) =>
      reply.header('cache-control', 'no-store').send(intersectionsOf(source.devices())),
  );

  app.post<{ Params: { id: string }; Body: { confirm: string } }>(
    '/api/intersections/:id/clear-latch',
    {
      config: { permission: 'signal.clear' },
      schema: {
        summary: 'Clears a latched flash at the cabinet (engineer; the body repeats the id to confirm)',
        tags: ['signals'],
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } },
        body: {
          type: 'object',
          required: ['confirm'],
          additionalProperties: false,
          properties: { confirm: { type: 'string', maxLength: 64 } },
        },
        response: {
          200: {
            type: 'object',
            required: ['cleared'],
            properties: { cleared: { type: 'boolean' }, reason: { type: 'string' } },
          },
          400: ERROR_SCHEMA,
          404: ERROR_SCHEMA,
          409: ERROR_SCHEMA,
          501: ERROR_SCHEMA,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const actor = request.session!.user;
      // The confirmation is checked here, not only in the page: a script calling the API must
      // also say which intersection it means.
      if (request.body.confirm !== id)
        return reply
          .code(400)
          .send({ code: 'CONSOLE_NOT_CONFIRMED', message: `confirm: must repeat the id "${id}"` });
      if (!actions)
        return reply.code(501).send({ code: 'CONSOLE_NO_ACTIONS', message: 'this node takes no actions' });
      const before = intersectionsOf(source.devices()).find((x) => x.id === id);
      if (!before)
        return reply.code(404).send({ code: 'CONSOLE_NOT_FOUND', message: `intersection "${id}": unknown` });
      const result = actions.clearSignalLatch(id, 'local');
      audit.append({
        actor,
        action: result.cleared ? 'signal.latch_cleared' : 'signal.latch_clear_refused',
        target: `intersection:${id}`,
        before: { latched: before.latched, reason: before.reason ?? null },
        after: result,
      });
      request.log.warn({ actor, intersectionId: id, ...result }, 'console: local latch clear');
      return reply.send(result);
    },
  );
}
