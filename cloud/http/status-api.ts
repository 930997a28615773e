// The coordinator's read-only HTTP API: a fleet overview for the operators' dashboard and a
// liveness probe for the orchestrator. Response schemas make fastify serialise with a compiled
// serialiser and, as important, drop any field the schema does not list, so an internal column
// can never leak into the API by accident.
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Logger } from 'pino';
import type { CoordinatorStore } from '../store/coordinator-store.js';
import { restrictApiToLoopback } from './loopback-only.js';

/** The coordinator's answer to a path no route matches (outside /dashboard/). */
export const NOT_FOUND = 'CALLE_ERR_NOT_FOUND';
/** A request target the router cannot decode. */
export const BAD_URL = 'CALLE_ERR_BAD_URL';

/** One edge as GET /api/edges returns it. */
export interface EdgeStatusJson {
  readonly id: string;
  /** Last Register or Heartbeat, ISO-8601 UTC; null if the edge only ever sent data. */
  readonly lastSeen: string | null;
  /** Telemetry readings stored for the edge. */
  readonly received: number;
  /** Highest sequence number up to which everything is stored (readings and events). */
  readonly highestSeq: number;
  /** Event rows stored for this edge (events share the edge's sequence counter with readings). */
  readonly events: number;
  /** District as registered; null for an edge that never registered. */
  readonly district: string | null;
  /** Readings and events that arrived again after being stored (re-sends), not stored twice. */
  readonly duplicates: number;
  /** Sequence numbers below the highest one seen that never arrived. */
  readonly gaps: number;
  /** Policy version the edge reported applying in its last heartbeat. */
  readonly policyVersion: number;
}

const edgeStatusSchema = {
  type: 'object',
  required: [
    'id',
    'lastSeen',
    'received',
    'highestSeq',
    'events',
    'district',
    'duplicates',
    'gaps',
    'policyVersion',
  ],
  properties: {
    id: { type: 'string' },
    lastSeen: { type: ['string', 'null'], format: 'date-time' },
    received: { type: 'integer' },
    highestSeq: { type: 'integer' },
    events: { type: 'integer' },
    district: { type: ['string', 'null'] },
    duplicates: { type: 'integer' },
    gaps: { type: 'integer' },
    policyVersion: { type: 'integer' },
  },
} as const;

/**
 * Dashboards poll every few seconds; a pair of log lines per poll would drown the ingest warnings
 * that matter. This keeps fastify's error logging (which disableRequestLogging would also silence)
 * and drops only the routine "incoming request" / "request completed" lines.
 */
class ErrorsOnlyRequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
    metadata?: Record<string, unknown>,
  ): void {
    if (error) super.requestCompleted(error, request, reply, metadata);
  }
}

export interface StatusApiOptions {
  readonly store: CoordinatorStore;
  readonly log: Logger;
  /** IPv4 CIDRs besides loopback whose clients may use /api/ (loopback-only.ts). */
  readonly apiAllow?: readonly string[];
}

/** Builds the app without listening; the caller listens (or uses inject() in tests). */
export function buildStatusApi({ store, log, apiAllow = [] }: StatusApiOptions): FastifyInstance {
  // pino's Logger is a FastifyBaseLogger; passing it as the base type keeps the app's type the plain
  // FastifyInstance that plugins and callers expect, rather than one specialised to pino.
  const logger: FastifyBaseLogger = log;
  const app = Fastify({
    loggerInstance: logger,
    logController: new ErrorsOnlyRequestLog(),
    // A malformed escape ("/api/x%zz"): fastify's own answer would quote the URL back.
    frameworkErrors: (_error, _request, reply) => {
      // Typed for a generic route; this answer is plain JSON.
      void (reply as FastifyReply)
        .code(400)
        .send({ error: BAD_URL, message: 'the request target is not a valid URL' });
    },
  });
  restrictApiToLoopback(app, apiAllow);
  // Fastify's default 404 names the method and path it was sent ("Route GET:/%61pi/x not found"):
  // this one reflects nothing a client sent. The dashboard has its own under /dashboard/.
  app.setNotFoundHandler(async (_request, reply) =>
    reply.code(404).send({ error: NOT_FOUND, message: 'no such route' }),
  );

  app.get<{ Reply: EdgeStatusJson[] }>(
    '/api/edges',
    { schema: { response: { 200: { type: 'array', items: edgeStatusSchema } } } },
    async () =>
      (await store.registry.listStatus()).map((e) => ({
        id: e.id,
        lastSeen: e.lastSeenMs === null ? null : new Date(e.lastSeenMs).toISOString(),
        received: e.stats.readingsReceived,
        highestSeq: e.stats.highestContiguousSeq,
        events: e.stats.eventsReceived,
        district: e.district,
        duplicates: e.stats.duplicates,
        gaps: e.stats.gaps,
        policyVersion: e.policyVersion,
      })),
  );

  // Liveness only: the process answers HTTP. NATS being away is not a reason to restart the
  // coordinator (ingest reconnects by itself), so it deliberately does not fail this probe.
  app.get<{ Reply: { ok: true } }>(
    '/healthz',
    {
      schema: {
        response: { 200: { type: 'object', required: ['ok'], properties: { ok: { type: 'boolean' } } } },
      },
    },
    () => ({ ok: true }) as const,
  );

  return app;
}
