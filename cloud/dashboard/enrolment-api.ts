// Enrolment on the dashboard (issue #8: "a new edge registers with its token and an operator
// approves it"), under /dashboard/api (dashboard.ts mounts it):
//   GET  enrolments                    every edge's record: state, district, key id, when  (viewer)
//   POST enrolments/:edge/approve      {confirm: edge id, keyId}   let a pending edge in  (engineer)
//   POST enrolments/:edge/revoke       {confirm: edge id, keyId}   shut an edge out       (engineer)
// The body repeats the edge id and the key id the operator read on the page and checked against
// the cabinet (the edge logs it at start): the decision applies to that key or not at all, so an
// edge that re-enrolled with another key meanwhile is not let in on the strength of an old check.
// Every decision, and every refusal of one, is an audit row with before and after. The decision
// itself is enrolment-decisions.ts: the same code as `calle fleet approve | revoke`.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditLog } from '../../common/audit/audit-log.js';
import { EDGE_ID_PATTERN } from '../../proto/nats-subjects.js';
import type { EdgeIdentityRow, IdentityState } from '../enrolment/enrolment-store.js';
import { CoordinatorError, ErrorCodes } from '../errors.js';
import {
  KeyMismatchError,
  keyIdOfRow,
  type EnrolmentAction,
  type EnrolmentDecisions,
} from './enrolment-decisions.js';

export interface EnrolmentApiOptions {
  readonly decisions: EnrolmentDecisions;
  readonly audit: AuditLog;
  readonly now?: () => number;
}

export interface EnrolmentJson {
  readonly edgeId: string;
  readonly district: string;
  readonly state: IdentityState;
  /** The enrolled key's id; null until the edge enrols. */
  readonly keyId: string | null;
  readonly natsNkey: string | null;
  readonly createdMs: number;
  readonly enrolledMs: number | null;
  readonly approvedMs: number | null;
  readonly revokedMs: number | null;
}

export interface EnrolmentDecisionJson {
  readonly edge: EnrolmentJson;
  /** What else the operator must do (a revocation also needs the NATS accounts file re-rendered). */
  readonly next?: string;
}

export const enrolmentJson = (r: EdgeIdentityRow): EnrolmentJson => ({
  edgeId: r.edgeId,
  district: r.district,
  state: r.state,
  keyId: r.publicKey ? keyIdOfRow(r) : null,
  natsNkey: r.natsNkey,
  createdMs: r.createdMs,
  enrolledMs: r.enrolledMs,
  approvedMs: r.approvedMs,
  revokedMs: r.revokedMs,
});

const auditView = (r: EdgeIdentityRow | undefined) =>
  r ? { state: r.state, district: r.district, keyId: r.publicKey ? keyIdOfRow(r) : null } : null;

const DONE = { approve: 'enrolment.approved', revoke: 'enrolment.revoked' } as const;
const NEXT_AFTER_REVOKE =
  'the control plane refuses it now; re-render the NATS accounts file (calle fleet nats-accounts) and reload nats-server to cut its data plane too';

/** Status and code for a refused decision; undefined for anything that is a bug. */
function refusalOf(err: unknown): { status: number; code: string } | undefined {
  if (err instanceof KeyMismatchError) return { status: 409, code: 'DASHBOARD_KEY_MISMATCH' };
  if (err instanceof CoordinatorError)
    return { status: err.code === ErrorCodes.EDGE_NOT_ENROLLED ? 404 : 409, code: err.code };
  return undefined;
}

export function registerEnrolmentApi(scope: FastifyInstance, o: EnrolmentApiOptions): void {
  const now = o.now ?? Date.now;
  const actor = (request: FastifyRequest): string => request.fleetSession!.user;

  scope.get('/api/enrolments', { config: { fleetPermission: 'fleet.view' } }, async (_request, reply) =>
    reply
      .header('cache-control', 'no-store')
      .send({ nowMs: now(), edges: o.decisions.list().map(enrolmentJson) }),
  );

  for (const action of ['approve', 'revoke'] as const satisfies readonly EnrolmentAction[]) {
    scope.post<{ Params: { edge: string }; Body: { confirm: string; keyId: string } }>(
      `/api/enrolments/:edge/${action}`,
      {
        config: { fleetPermission: 'enrolment.decide' },
        schema: {
          body: {
            type: 'object',
            required: ['confirm', 'keyId'],
            properties: {
              confirm: { type: 'string', maxLength: 100 },
              keyId: { type: 'string', maxLength: 100 },
            },
          },
        },
      },
      async (request, reply) => {
        const edgeId = request.params.edge;
        const { confirm, keyId } = request.body;
        const before = EDGE_ID_PATTERN.test(edgeId) ? o.decisions.get(edgeId) : undefined;
        const refused = (status: number, code: string, message: string, reply_: FastifyReply) => {
          o.audit.append({
            actor: actor(request),
            action: `enrolment.${action}_refused`,
            target: `edge:${edgeId}`,
            before: auditView(before),
            after: { keyId, reason: message },
          });
          return reply_.code(status).send({ code, message });
        };
        if (!EDGE_ID_PATTERN.test(edgeId))
          return refused(
            400,
            ErrorCodes.INVALID_EDGE_ID,
            `edge: ${JSON.stringify(edgeId)} is not an edge id (${String(EDGE_ID_PATTERN)})`,
            reply,
          );
        if (confirm !== edgeId)
          return refused(
            400,
            'DASHBOARD_CONFIRMATION',
            `confirm: must repeat the edge id ${JSON.stringify(edgeId)}, got ${JSON.stringify(confirm)}`,
            reply,
          );
        let row: EdgeIdentityRow;
        try {
          row = await o.decisions.decide(action, edgeId, keyId, now());
        } catch (err) {
          const refusal = refusalOf(err);
          if (refusal) return refused(refusal.status, refusal.code, (err as Error).message, reply);
          // Replicated and NATS away: nothing was decided; the operator tries again.
          request.log.warn({ err, edgeId }, `dashboard: enrolment ${action} not recorded`);
          return refused(
            503,
            'DASHBOARD_ENROLMENT_UNAVAILABLE',
            `${action} not recorded: ${(err as Error).message}; nothing changed, try again`,
            reply,
          );
        }
        o.audit.append({
          actor: actor(request),
          action: DONE[action],
          target: `edge:${edgeId}`,
          before: auditView(before),
          after: {
            ...auditView(row),
            ...(action === 'approve' ? { approvedMs: row.approvedMs } : { revokedMs: row.revokedMs }),
          },
        });
        const body: EnrolmentDecisionJson = {
          edge: enrolmentJson(row),
          ...(action === 'revoke' ? { next: NEXT_AFTER_REVOKE } : {}),
        };
        return reply.header('cache-control', 'no-store').send(body);
      },
    );
  }
}
