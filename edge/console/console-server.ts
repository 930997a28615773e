// The technicians' local console: one page, a JSON API and a live event stream, served by the edge
// node in the street cabinet. It must work with no internet at all, so every asset ships in
// `public/` and nothing is fetched from a CDN.
//
// SKELETON: there are no users, roles, sessions or CSRF protection yet, and every route is
// read-only. The full console (local users, roles, CSRF on every state-changing route) is a later
// issue; until then the caller must bind this only to the cabinet's service network.

import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Logger } from 'pino';
import type { DeviceView } from '../devices/device-view.js';
import { openEventStream, type EventStream } from './event-stream.js';
import { registerStaticAssets } from './static-assets.js';

/** Status of the edge node as shown in the console header. */
export interface ConsoleStatus {
  edgeId: string;
  district: string;
  policyVersion: number;
  /** The store's outbox: what is waiting to leave the node. */
  outbox: { pending: number; highestSeq: number; oldestPendingAgeS: number | null };
  uplink: { nats: 'connected' | 'disconnected'; coordinator: 'connected' | 'disconnected' };
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
}

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
  },
} as const;

/** Builds the console; the caller decides where it listens and closes it. */
export function createConsole(opts: ConsoleOptions): FastifyInstance {
  const { source } = opts;
  // Widened to fastify's logger type, else the instance is typed FastifyInstance<…, pino.Logger>,
  // which is not assignable to the plain FastifyInstance callers expect.
  const logger: FastifyBaseLogger = opts.log; // the caller names the module
  const app = Fastify({
    loggerInstance: logger,
    logController: new QuietRequestLog(),
  });

  app.addHook('onSend', async (_request, reply, payload) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) void reply.header(name, value);
    return payload;
  });

  app.setNotFoundHandler(async (_request, reply) =>
    // The path is not echoed back, so a 404 never reflects what a client sent.
    reply.code(404).send({ code: 'CONSOLE_NOT_FOUND', message: 'not found' }),
  );

  registerStaticAssets(app, new URL('./public/', import.meta.url));

  app.get(
    '/api/devices',
    { schema: { response: { 200: { type: 'array', items: DEVICE_VIEW_SCHEMA } } } },
    async (_request, reply) => reply.header('cache-control', 'no-store').send(source.devices()),
  );

  app.get('/api/status', { schema: { response: { 200: STATUS_SCHEMA } } }, async (_request, reply) =>
    reply.header('cache-control', 'no-store').send(source.status()),
  );

  // Liveness for installers and monitors: the process serves HTTP. Deliberately no device or
  // uplink state here — a dead uplink is not a reason to restart a node that is controlling.
  app.get('/healthz', async (_request, reply) =>
    reply.header('cache-control', 'no-store').send({ ok: true, edgeId: source.status().edgeId }),
  );

  // Open event streams, so that close() ends them instead of waiting for phones to hang up.
  const streams = new Set<EventStream>();
  app.addHook('preClose', (done) => {
    for (const stream of streams) stream.close();
    done();
  });

  // No automatic HEAD route: it would open a session only to throw the body away.
  app.get('/api/events', { exposeHeadRoute: false }, async (request, reply) => {
    const stream = openEventStream(source, request.log);
    streams.add(stream);
    stream.onClosed(() => streams.delete(stream));
    // A stream payload (not reply.hijack()) so that the onSend hook still adds the security
    // headers; fastify destroys the stream when the client goes away, which ends the session.
    return reply
      .header('content-type', 'text/event-stream; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('x-accel-buffering', 'no')
      .send(stream.body);
  });

  return app;
}
