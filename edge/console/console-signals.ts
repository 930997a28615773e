// The console's intersection routes: the live state, the local clear of a latched fault, and an
// engineer's manual flash and its restore. Every change needs the `signal.clear` permission
// (engineer) and repeats the intersection id in `confirm`: checked here, not only in the page, so
// that a script calling the API must say which intersection it means too. The sequencing into
// and out of flash is the control layer's (intersection-controller.ts, signal-supervisor.ts); the
// console checks who, what and that it was meant, and audits it.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AuditLog } from '../../common/audit/audit-log.js';
import type { DeviceView } from '../devices/device-view.js';
import type { ConsoleActions } from './console-api.js';
import { ERROR_SCHEMA } from './console-auth.js';
import type { ConsoleSource } from './console-server.js';
import { REASON_PARTS_SCHEMA, type Reason } from '../../common/reasons/reason.js';

/** How an intersection runs (EdgeSite.signalStates). */
export interface SignalStateView {
  id: string;
  operation: 'plan' | 'entering-flash' | 'manual-flash' | 'latched';
  mode: string;
  plan: string;
  latchReason?: string;
  manualFlash?: { actor: string; requestedMs: number; flashingMs?: number };
  timingPending: boolean;
}

/** A head latched into flash says so by its reason's first code (intersection-controller.ts). */
export const isLatched = (d: Pick<DeviceView, 'reasonCode'>): boolean =>
  d.reasonCode?.[0]?.code === 'signal.latched';

export interface IntersectionView {
  id: string;
  latched: boolean;
  reason?: string;
  reasonCode?: Reason;
  heads: { id: string; aspect: string; available: boolean }[];
  detectors: string[];
  /** From the site's signal state, where the node provides it. */
  operation?: SignalStateView['operation'];
  mode?: string;
  plan?: string;
  manualFlash?: SignalStateView['manualFlash'];
  timingPending?: boolean;
}

const INTERSECTION_SCHEMA = {
  type: 'object',
  required: ['id', 'latched', 'heads', 'detectors'],
  properties: {
    id: { type: 'string' },
    latched: { type: 'boolean' },
    reason: { type: 'string' },
    reasonCode: REASON_PARTS_SCHEMA,
    heads: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'aspect', 'available'],
        properties: { id: { type: 'string' }, aspect: { type: 'string' }, available: { type: 'boolean' } },
      },
    },
    detectors: { type: 'array', items: { type: 'string' } },
    operation: { type: 'string', enum: ['plan', 'entering-flash', 'manual-flash', 'latched'] },
    mode: { type: 'string' },
    plan: { type: 'string' },
    manualFlash: {
      type: 'object',
      required: ['actor', 'requestedMs'],
      properties: {
        actor: { type: 'string' },
        requestedMs: { type: 'number' },
        flashingMs: { type: 'number' },
      },
    },
    timingPending: { type: 'boolean', description: 'a policy’s timing waits for the next cycle boundary' },
  },
} as const;

/**
 * Intersections as the devices show them. A latched intersection commands "flash" with a reason
 * starting "flash:" (intersection-controller.ts); a manual flash says "manual flash: by …".
 */
export function intersectionsOf(
  devices: readonly DeviceView[],
  signals: readonly SignalStateView[] = [],
): IntersectionView[] {
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
    if (d.reason !== undefined && x.reason === undefined) {
      x.reason = d.reason;
      if (d.reasonCode) x.reasonCode = d.reasonCode;
    }
    if (isLatched(d)) {
      x.latched = true;
      x.reason = d.reason;
      if (d.reasonCode) x.reasonCode = d.reasonCode;
    }
  }
  // A group with detectors only is a lighting presence group, not an intersection.
  const list = [...byId.values()].filter((x) => x.heads.length > 0);
  for (const x of list) {
    const s = signals.find((v) => v.id === x.id);
    if (!s) continue;
    x.operation = s.operation;
    x.mode = s.mode;
    x.plan = s.plan;
    x.timingPending = s.timingPending;
    if (s.manualFlash) x.manualFlash = s.manualFlash;
  }
  return list;
}

const CONFIRM_BODY = {
  type: 'object',
  required: ['confirm'],
  additionalProperties: false,
  properties: { confirm: { type: 'string', maxLength: 64, description: 'the intersection id, repeated' } },
} as const;
const ID_PARAMS = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', maxLength: 64 } },
} as const;

export function registerSignalRoutes(
  app: FastifyInstance,
  deps: {
    source: ConsoleSource;
    audit: AuditLog;
    actions?: ConsoleActions;
    signals?: () => SignalStateView[];
  },
): void {
  const { source, audit, actions } = deps;
  const current = (): IntersectionView[] => intersectionsOf(source.devices(), deps.signals?.() ?? []);
  /** What an audit row records of the intersection before and after a change. */
  const snapshot = (x: IntersectionView | undefined) =>
    x
      ? {
          latched: x.latched,
          operation: x.operation ?? (x.latched ? 'latched' : 'plan'),
          reason: x.reason ?? null,
        }
      : null;

  app.get(
    '/api/intersections',
    {
      config: { permission: 'view' },
      schema: {
        summary: 'Intersections: heads, detectors, latched or manual flash, mode and plan step',
        tags: ['signals'],
        response: { 200: { type: 'array', items: INTERSECTION_SCHEMA } },
      },
    },
    async (_request, reply) => reply.header('cache-control', 'no-store').send(current()),
  );

  /** The checks every change shares; undefined when the request may go on. */
  const refuse = (reply: FastifyReply, id: string, confirm: string, available: boolean) => {
    if (confirm !== id)
      return reply
        .code(400)
        .send({ code: 'CONSOLE_NOT_CONFIRMED', message: `confirm: must repeat the id "${id}"` });
    if (!available)
      return reply.code(501).send({ code: 'CONSOLE_NO_ACTIONS', message: 'this node takes no such action' });
    if (!current().some((x) => x.id === id))
      return reply.code(404).send({ code: 'CONSOLE_NOT_FOUND', message: `intersection "${id}": unknown` });
    return undefined;
  };

  const changeSchema = (summary: string, result: Record<string, unknown>, required: string) => ({
    summary,
    tags: ['signals'],
    params: ID_PARAMS,
    body: CONFIRM_BODY,
    response: {
      200: {
        type: 'object',
        required: [required],
        properties: { ...result, reason: { type: 'string' }, reasonCode: REASON_PARTS_SCHEMA },
      },
      400: ERROR_SCHEMA,
      404: ERROR_SCHEMA,
      501: ERROR_SCHEMA,
    },
  });

  app.post<{ Params: { id: string }; Body: { confirm: string } }>(
    '/api/intersections/:id/clear-latch',
    {
      config: { permission: 'signal.clear' },
      schema: changeSchema(
        'Clears a latched flash at the cabinet (engineer; the body repeats the id to confirm)',
        { cleared: { type: 'boolean' } },
        'cleared',
      ),
    },
    async (request, reply) => {
      const { id } = request.params;
      const refused = refuse(reply, id, request.body.confirm, actions !== undefined);
      if (refused) return refused;
      const actor = request.session!.user;
      const before = current().find((x) => x.id === id);
      const result = actions!.clearSignalLatch(id, 'local');
      audit.append({
        actor,
        action: result.cleared ? 'signal.latch_cleared' : 'signal.latch_clear_refused',
        target: `intersection:${id}`,
        before: { latched: before!.latched, reason: before!.reason ?? null },
        after: result,
      });
      request.log.warn({ actor, intersectionId: id, ...result }, 'console: local latch clear');
      return reply.send(withCode(result));
    },
  );

  for (const [verb, action, summary] of [
    [
      'flash',
      'signal.flash',
      'Puts the intersection into flashing amber (engineer; confirm repeats the id). The stage ends through min green, yellow and a common red first',
    ],
    [
      'restore',
      'signal.restore',
      'Ends a manual flash (engineer; confirm repeats the id): all red for the full intergreen, then the plan',
    ],
  ] as const) {
    app.post<{ Params: { id: string }; Body: { confirm: string } }>(
      `/api/intersections/:id/${verb}`,
      {
        config: { permission: 'signal.clear' },
        schema: changeSchema(summary, { ok: { type: 'boolean' } }, 'ok'),
      },
      async (request, reply) => {
        const { id } = request.params;
        const available =
          verb === 'flash'
            ? actions?.flashIntersection !== undefined
            : actions?.restoreIntersection !== undefined;
        const refused = refuse(reply, id, request.body.confirm, available);
        if (refused) return refused;
        const actor = request.session!.user;
        const before = snapshot(current().find((x) => x.id === id));
        // Called on `actions`, not detached: the site's methods need their `this`.
        const result =
          verb === 'flash'
            ? actions!.flashIntersection!(id, actor)
            : actions!.restoreIntersection!(id, actor);
        // The state right after: a flash is "entering-flash" until the stage has drained.
        const after = snapshot(current().find((x) => x.id === id));
        audit.append({
          actor,
          action: result.ok ? action : `${action}_refused`,
          target: `intersection:${id}`,
          before,
          after: { ...result, ...(after ? { operation: after.operation } : {}) },
        });
        request.log.warn({ actor, intersectionId: id, ...result }, `console: ${verb}`);
        return reply.send(withCode(result));
      },
    );
  }
}

/**
 * An action's result as the API sends it: a refusal carries its reason in English and coded, as
 * the site made it. A source that gives only English (an older fake) is sent as English text.
 */
export function withCode<T extends object>(result: T): T {
  const r = result as { reason?: unknown; reasonCode?: unknown };
  if (typeof r.reason !== 'string' || r.reasonCode !== undefined) return result;
  return { ...result, reasonCode: [{ code: 'action.invalid', params: { detail: r.reason } }] };
}
