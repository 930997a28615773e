// The technicians' local console: one page, a JSON API and a live event stream, served by the edge
// node in the street cabinet. It must work with no internet at all, so every asset ships in
// `public/` and nothing is fetched from a CDN.
//
// Access: local users, roles and sessions (common/access, console-auth.ts); every /api route names
// the permission it needs. The routes' schemas are also the API's documentation (openapi.ts).

import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Logger } from 'pino';
import type { DeviceView } from '../devices/device-view.js';
import type { ConsoleAccess } from '../users/console-access.js';
import {
  registerConsoleApi,
  type CollectionEntryView,
  type ConsoleActions,
  type LightingGroupView,
  type SignalStateView,
  type StagedPolicyView,
} from './console-api.js';
import { readCookie } from '../../common/web/session-request.js';
import { registerAccess, SESSION_COOKIE } from './console-auth.js';
import { openEventStream, type EventStream } from './event-stream.js';
import { NODE_HEALTH_SCHEMA, readNodeHealth, type NodeHealth } from './node-health.js';
import { collectOpenApi } from './openapi.js';
import { REASON_PARTS_SCHEMA } from '../../common/reasons/reason.js';
import { registerStaticAssets } from './static-assets.js';

/** Status of the edge node as shown in the console header. */
export interface ConsoleStatus {
  edgeId: string;
  district: string;
  policyVersion: number;
  /** When the running policy's signature expires (common/signing/policy-expiry.ts); absent with none. */
  policyExpiresMs?: number;
  /** True once it has: the node keeps running it and raises POLICY_STALE (policy-freshness.ts). */
  policyStale?: boolean;
  /** The store's outbox: what is waiting to leave the node. */
  outbox: { pending: number; highestSeq: number; oldestPendingAgeS: number | null };
  uplink: { nats: 'connected' | 'disconnected'; coordinator: 'connected' | 'disconnected' };
  /** Added by the console (node-health.ts); a source need not provide it. */
  health?: NodeHealth;
}

/** What the console reads from the rest of the node. It never writes through it. */
export interface ConsoleSource {
  devices(): DeviceView[];
  /** Calls `listener` with the views that changed; returns the unsubscribe function. */
  onChange(listener: (changed: readonly DeviceView[]) => void): () => void;
  status(): ConsoleStatus;
}

export interface ConsoleOptions {
  source: ConsoleSource;
  /** The node's logger; the console logs through a child of it. */
  log: Logger;
  /** Users, sessions and the audit log (edge/users/console-access.ts). */
  access: ConsoleAccess;
  /** What the console may change; without it, every action answers 501. */
  actions?: ConsoleActions;
  /** A path on the disk to report in the node's health (the database's directory). */
  diskPath?: string;
  /** Per lighting group: deciding rule, class, power, energy (EdgeSite.lightingGroups). */
  lightingGroups?: () => LightingGroupView[];
  /** Per intersection: plan, manual flash or latched, mode, plan step (EdgeSite.signalStates). */
  signals?: () => SignalStateView[];
  /** The containers to collect, soonest full first (EdgeSite.collectionList). */
  collectionList?: (horizonMs?: number) => CollectionEntryView[];
  /** The applied policy whose signal timing waits for a cycle boundary (EdgeSite.stagedPolicy). */
  stagedPolicy?: () => StagedPolicyView | undefined;
  /** How often open event streams re-check their session; default SESSION_CHECK_MS (tests). */
  sessionCheckMs?: number;
  /** Renders the node's Prometheus metrics (edge/metrics); without it there is no /metrics. */
  metrics?: () => string;
}

/** How often open event streams re-check their session, so a locked session stops streaming. */
export const SESSION_CHECK_MS = 5_000;

// Sent on every response, errors and the event stream included. Written by hand (a few lines)
// rather than pulling in @fastify/helmet. No inline script or style anywhere, so 'self' suffices.
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

// A page, its assets and a long-lived stream per open phone: a line per request would be noise.
// Failed requests are still logged (disableRequestLogging would silence those too).
class QuietRequestLog extends LogController {
  override incomingRequest(): void {}
  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (error) super.requestCompleted(error, request, reply);
  }
}

const UPLINK_STATE = { type: 'string', enum: ['connected', 'disconnected'] } as const;

// Response schemas: fast serialisation, and nothing leaves the node that the schema does not name.
const DEVICE_VIEW_SCHEMA = {
  type: 'object',
  required: ['id', 'type', 'kind', 'driver', 'available', 'state', 'updatedMs'],
  properties: {
    id: { type: 'string' },
    type: { type: 'string' },
    kind: { type: 'string', enum: ['luminaire', 'signal-head', 'detector', 'fill-sensor'] },
    driver: { type: 'string' },
    group: { type: 'string' },
    available: { type: 'boolean' },
    lastError: { type: 'string' },
    state: { type: 'object', additionalProperties: { type: ['number', 'string', 'boolean'] } },
    reason: { type: 'string' },
    reasonCode: REASON_PARTS_SCHEMA,
    lastErrorCode: REASON_PARTS_SCHEMA,
    updatedMs: { type: 'number' },
  },
} as const;

const STATUS_SCHEMA = {
  type: 'object',
  required: ['edgeId', 'district', 'policyVersion', 'outbox', 'uplink'],
  properties: {
    edgeId: { type: 'string' },
    district: { type: 'string' },
    policyVersion: { type: 'number' },
    policyExpiresMs: { type: 'number' },
    policyStale: { type: 'boolean' },
    outbox: {
      type: 'object',
      required: ['pending', 'highestSeq', 'oldestPendingAgeS'],
      properties: {
        pending: { type: 'number' },
        highestSeq: { type: 'number' },
        oldestPendingAgeS: { type: ['number', 'null'] },
      },
    },
    uplink: {
      type: 'object',
      required: ['nats', 'coordinator'],
      properties: { nats: UPLINK_STATE, coordinator: UPLINK_STATE },
    },
    health: NODE_HEALTH_SCHEMA,
  },
} as const;

/** Builds the console; the caller decides where it listens and closes it. */
export function createConsole(opts: ConsoleOptions): FastifyInstance {
  const source: ConsoleSource = {
    devices: () => opts.source.devices(),
    onChange: (listener) => opts.source.onChange(listener),
    status: () => ({ ...opts.source.status(), health: readNodeHealth(opts.diskPath) }),
  };
  // Widened to fastify's logger type, else the instance is typed FastifyInstance<…, pino.Logger>,
  // which is not assignable to the plain FastifyInstance callers expect.
  const logger: FastifyBaseLogger = opts.log; // the caller names the module
  const app = Fastify({
    loggerInstance: logger,
    logController: new QuietRequestLog(),
    // A malformed escape ("/api/x%zz"): fastify's own answer would quote the URL back, like a 404.
    frameworkErrors: (_error, _request, reply) => {
      // Typed for a generic route; this answer is plain JSON.
      void (reply as FastifyReply).code(400).send({ code: 'CONSOLE_BAD_URL', message: 'not a valid URL' });
    },
  });

  app.addHook('onSend', async (_request, reply, payload) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) void reply.header(name, value);
    return payload;
  });

  app.setNotFoundHandler(async (_request, reply) =>
    // The path is not echoed back, so a 404 never reflects what a client sent.
    reply.code(404).send({ code: 'CONSOLE_NOT_FOUND', message: 'not found' }),
  );

  const openApi = collectOpenApi(app);
  registerAccess(app, opts.access);
  registerStaticAssets(app, new URL('./public/', import.meta.url));
  registerConsoleApi(app, {
    source,
    audit: opts.access.audit,
    ...(opts.actions ? { actions: opts.actions } : {}),
    ...(opts.lightingGroups ? { lightingGroups: opts.lightingGroups } : {}),
    ...(opts.signals ? { signals: opts.signals } : {}),
    ...(opts.collectionList ? { collectionList: opts.collectionList } : {}),
    ...(opts.stagedPolicy ? { stagedPolicy: opts.stagedPolicy } : {}),
  });

  app.get(
    '/api/openapi.json',
    { config: { permission: 'view' }, schema: { summary: 'This document', tags: ['meta'] } },
    async (_request, reply) => reply.header('cache-control', 'no-store').send(openApi()),
  );

  app.get(
    '/api/devices',
    {
      config: { permission: 'view' },
      schema: {
        summary: 'Every device: availability, last error, driver, state and the reason for it',
        tags: ['devices'],
        response: { 200: { type: 'array', items: DEVICE_VIEW_SCHEMA } },
      },
    },
    async (_request, reply) => reply.header('cache-control', 'no-store').send(source.devices()),
  );

  app.get(
    '/api/status',
    {
      config: { permission: 'view' },
      schema: {
        summary: 'Node status: uplinks, outbox backlog, policy version, health',
        tags: ['status'],
        response: { 200: STATUS_SCHEMA },
      },
    },
    async (_request, reply) => reply.header('cache-control', 'no-store').send(source.status()),
  );

  // Liveness for installers and monitors: the process serves HTTP. Deliberately no device or
  // uplink state here — a dead uplink is not a reason to restart a node that is controlling.
  app.get('/healthz', async (_request, reply) =>
    reply.header('cache-control', 'no-store').send({ ok: true, edgeId: source.status().edgeId }),
  );

  // Prometheus scrape. Unauthenticated on purpose: the console binds to the cabinet's local
  // network, where the site's Prometheus (or an installer's laptop) scrapes it; the figures name
  // no user and change nothing. A console exposed beyond the cabinet must put this behind the
  // same proxy and access rules as the rest.
  const metrics = opts.metrics;
  if (metrics)
    app.get('/metrics', { exposeHeadRoute: false }, async (_request, reply) =>
      reply
        .header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(metrics()),
    );

  // Open event streams, so that close() ends them instead of waiting for phones to hang up.
  // Each with its session token: a stream whose session locked or ended is closed (CR 2.5), and
  // the page, reconnecting, is told to sign in again.
  const streams = new Map<EventStream, string | undefined>();
  const sessionCheck = setInterval(() => {
    for (const [stream, token] of streams) if (!opts.access.sessions.lookup(token, false).ok) stream.close();
  }, opts.sessionCheckMs ?? SESSION_CHECK_MS);
  sessionCheck.unref();
  app.addHook('preClose', (done) => {
    clearInterval(sessionCheck);
    for (const stream of streams.keys()) stream.close();
    done();
  });

  // No automatic HEAD route: it would open a session only to throw the body away.
  const eventsSchema = {
    summary: 'Server-Sent Events (text/event-stream): snapshot, devices (coalesced changes), status',
    tags: ['devices'],
  };
  app.get(
    '/api/events',
    // Opening the stream is not the user's activity: the page reopens it by itself after a
    // network change, and EventSource cannot send the poll header.
    { exposeHeadRoute: false, config: { permission: 'view', activity: false }, schema: eventsSchema },
    async (request, reply) => {
      const stream = openEventStream(source, request.log);
      streams.set(stream, readCookie(request.headers.cookie, SESSION_COOKIE));
      stream.onClosed(() => streams.delete(stream));
      // A stream payload (not reply.hijack()) so that the onSend hook still adds the security
      // headers; fastify destroys the stream when the client goes away, which ends the session.
      return reply
        .header('content-type', 'text/event-stream; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('x-accel-buffering', 'no')
        .send(stream.body);
    },
  );

  return app;
}
