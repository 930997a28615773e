// The console's lighting routes: the groups with the rule that decided each level, and the
// technician's override with an expiry (the lease logic is the site's: EdgeSite.overrideLighting;
// the console checks the role, bounds the request and audits it).
import type { FastifyInstance } from 'fastify';
import type { AuditLog } from '../../common/audit/audit-log.js';
import type { ConsoleActions } from './console-api.js';
import { ERROR_SCHEMA } from './console-auth.js';
import { withCode } from './console-signals.js';
import { REASON_PARTS_SCHEMA, type Reason } from '../../common/reasons/reason.js';

/** One lighting group as the site reports it (EdgeSite.lightingGroups). */
export interface LightingGroupView {
  id: string;
  reason: string;
  /** The same, coded where the level was decided (lighting-reason.ts). */
  reasonCode?: Reason;
  lightingClass: string;
  powerW: number;
  energyWh: number;
  meteredWh?: number;
  baselineWh?: number;
  cloSavedWh?: number;
  cloPct?: number;
  burningH?: number;
}

const LIGHTING_GROUP_SCHEMA = {
  type: 'object',
  required: ['id', 'reason', 'lightingClass', 'powerW', 'energyWh'],
  properties: {
    id: { type: 'string' },
    reason: { type: 'string', description: 'the rule that decided the level' },
    reasonCode: REASON_PARTS_SCHEMA,
    lightingClass: { type: 'string', description: 'EN 13201 class in force' },
    powerW: { type: 'number' },
    energyWh: { type: 'number', description: 'since the node started' },
    meteredWh: { type: 'number', description: 'the metered part of energyWh (the rest is modelled)' },
    baselineWh: {
      type: 'number',
      description: '100 % from sunset to sunrise plus standby, since start (modelled)',
    },
    cloSavedWh: { type: 'number', description: 'saved by constant light output since start (modelled)' },
    cloPct: { type: 'number', description: 'constant light output level now, % of design (100: none)' },
    burningH: { type: 'number', description: 'burning hours since start' },
  },
} as const;

/** Longest override the console grants: a night. The site's own limits still apply. */
const MAX_OVERRIDE_S = 12 * 3600;

export function registerLightingRoutes(
  app: FastifyInstance,
  deps: { audit: AuditLog; actions?: ConsoleActions; lightingGroups?: () => LightingGroupView[] },
): void {
  const { audit, actions } = deps;

  app.get(
    '/api/lighting',
    {
      config: { permission: 'view' },
      schema: {
        summary: 'Lighting groups: the deciding rule, lighting class, power and energy',
        tags: ['lighting'],
        response: { 200: { type: 'array', items: LIGHTING_GROUP_SCHEMA } },
      },
    },
    async (_request, reply) => reply.header('cache-control', 'no-store').send(deps.lightingGroups?.() ?? []),
  );

  const groupParams = {
    type: 'object',
    required: ['group'],
    properties: { group: { type: 'string', maxLength: 64 } },
  } as const;
  const groupBefore = (id: string) => {
    const g = deps.lightingGroups?.().find((x) => x.id === id);
    return g ? { reason: g.reason } : null;
  };

  app.post<{ Params: { group: string }; Body: { levelPct: number; durationS?: number } }>(
    '/api/lighting/:group/override',
    {
      config: { permission: 'lighting.override' },
      schema: {
        summary: 'Holds a lighting group at a level until the expiry; then the schedule resumes',
        tags: ['lighting'],
        params: groupParams,
        body: {
          type: 'object',
          required: ['levelPct'],
          additionalProperties: false,
          properties: {
            levelPct: { type: 'number', minimum: 0, maximum: 100 },
            durationS: { type: 'integer', minimum: 60, maximum: MAX_OVERRIDE_S, default: 1800 },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['ok'],
            properties: {
              ok: { type: 'boolean' },
              expiresMs: { type: 'number' },
              reason: { type: 'string' },
              reasonCode: REASON_PARTS_SCHEMA,
            },
          },
          501: ERROR_SCHEMA,
        },
      },
    },
    async (request, reply) => {
      if (!actions?.overrideLighting)
        return reply
          .code(501)
          .send({ code: 'CONSOLE_NO_ACTIONS', message: 'this node has no lighting override' });
      const { group } = request.params;
      const { levelPct, durationS } = request.body;
      const actor = request.session!.user;
      const before = groupBefore(group);
      const result = actions.overrideLighting(group, levelPct, durationS, actor);
      audit.append({
        actor,
        action: result.ok ? 'override.set' : 'override.refused',
        target: `lighting:${group}`,
        before,
        after: { levelPct, durationS: durationS ?? null, ...result },
      });
      return reply.send(withCode(result));
    },
  );

  app.post<{ Params: { group: string } }>(
    '/api/lighting/:group/override/clear',
    {
      config: { permission: 'lighting.override' },
      schema: {
        summary: 'Ends a lighting override now',
        tags: ['lighting'],
        params: groupParams,
        response: {
          200: {
            type: 'object',
            required: ['ok'],
            properties: {
              ok: { type: 'boolean' },
              reason: { type: 'string' },
              reasonCode: REASON_PARTS_SCHEMA,
            },
          },
          501: ERROR_SCHEMA,
        },
      },
    },
    async (request, reply) => {
      if (!actions?.clearLightingOverride)
        return reply
          .code(501)
          .send({ code: 'CONSOLE_NO_ACTIONS', message: 'this node has no lighting override' });
      const { group } = request.params;
      const actor = request.session!.user;
      const before = groupBefore(group);
      const result = actions.clearLightingOverride(group, actor);
      audit.append({
        actor,
        action: result.ok ? 'override.cleared' : 'override.clear_refused',
        target: `lighting:${group}`,
        before,
        after: result,
      });
      return reply.send(withCode(result));
    },
  );
}
