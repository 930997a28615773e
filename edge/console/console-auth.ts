// Who may use the console, and how a request proves it.
//
// Sessions: an HttpOnly, SameSite=Strict cookie (JavaScript cannot read it, and no other site's
// page can make the browser send it). Routes declare what they need in `config.permission`
// (common/access/roles.ts); an /api route that declares nothing is refused — fail closed.
//
// Idle lock (IEC 62443-4-2 CR 2.5): only what the user does counts as activity. The page's own
// background requests send `x-calle-poll: 1` and the event stream is declared `activity: false`:
// both look the session up without refreshing its idle timer, so a console left open in a cabinet
// still locks after 15 minutes (issue 13, finding 7). The dashboard uses the same header.
//
// CSRF, for every request that is not GET or HEAD, two independent checks:
// 1. The session's own CSRF token in the `x-csrf-token` header (a synchronizer token kept
//    server-side, compared in constant time). A cross-site page cannot read it, and a custom
//    header cannot be sent cross-site without a CORS preflight, which this server never grants.
// 2. An origin check (OWASP CSRF Cheat Sheet, "Verifying Origin with standard headers"): when the
//    browser sends `Origin` it must be this host, and `Sec-Fetch-Site`, when sent, must be
//    same-origin. This also covers login and setup, which have no session yet (login CSRF).
// Bodies are JSON only (fastify answers 415 to a form post), which a cross-site form cannot send.
// SameSite=Strict alone would do on current browsers; the token keeps us safe on older ones.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isActivity, readCookie } from '../../common/web/session-request.js';
import type { ConsoleAccess } from '../users/console-access.js';
import { MAX_PASSWORD_LENGTH } from '../../common/access/password-hash.js';
import { can, permissionsOf, type Permission } from '../../common/access/roles.js';
import { IDLE_MS, sameToken, type Session } from '../../common/access/session-store.js';
import { CREDENTIALS_MESSAGE, LOCKED_MESSAGE, RATE_MESSAGE, signIn } from '../../common/access/sign-in.js';
import { UserError } from '../../common/access/user-error.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the route needs: a permission, or 'public' (no session). */
    permission?: Permission | 'public';
  }
  interface FastifyRequest {
    session?: Session;
    sessionToken?: string;
  }
}

export const SESSION_COOKIE = 'calle_session';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function sessionCookie(request: FastifyRequest, token: string, maxAgeS: number): string {
  // Secure only over HTTPS: the cabinet console is often plain HTTP on the service network, and a
  // Secure cookie would never come back.
  const secure = request.protocol === 'https' ? '; Secure' : '';
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure}`;
}

async function deny(
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
): Promise<FastifyReply> {
  return reply.code(status).header('cache-control', 'no-store').send({ code, message });
}

function originProblem(request: FastifyRequest): string | undefined {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `sec-fetch-site is ${site}`;
  const origin = request.headers.origin;
  if (origin === undefined) return undefined;
  // Both sides through URL, so that a default port (":80") compares equal to none.
  try {
    const from = new URL(origin);
    const self = new URL(`${from.protocol}//${request.headers.host ?? ''}`);
    return from.host === self.host ? undefined : 'origin is another site';
  } catch {
    return 'origin is not a URL';
  }
}

const ME_SCHEMA = {
  type: 'object',
  required: ['user', 'role', 'permissions', 'csrf', 'idleMs'],
  properties: {
    user: { type: 'string' },
    role: { type: 'string', enum: ['viewer', 'technician', 'engineer'] },
    permissions: { type: 'array', items: { type: 'string' } },
    csrf: { type: 'string', description: 'send back in x-csrf-token on every POST' },
    idleMs: { type: 'number', description: 'the session locks after this long without activity' },
  },
} as const;

const ERROR_SCHEMA = {
  type: 'object',
  required: ['code', 'message'],
  properties: {
    code: { type: 'string' },
    message: { type: 'string' },
    setupPending: { type: 'boolean' },
    retryAfterS: { type: 'number' },
  },
} as const;

const CREDENTIALS = {
  name: { type: 'string', minLength: 1, maxLength: 64 },
  password: { type: 'string', minLength: 1, maxLength: MAX_PASSWORD_LENGTH },
} as const;

export { ERROR_SCHEMA };

function me(session: Pick<Session, 'user' | 'role' | 'csrf'>) {
  return {
    user: session.user,
    role: session.role,
    permissions: permissionsOf(session.role),
    csrf: session.csrf,
    idleMs: IDLE_MS,
  };
}

/** Adds the access hook and the session routes. Call before registering the other routes. */
export function registerAccess(app: FastifyInstance, access: ConsoleAccess): void {
  const { users, sessions, guard, setup } = access;
  const audit = access.audit;

  app.addHook('onRequest', async (request, reply) => {
    const permission = request.routeOptions.config.permission;
    // Decided on the matched route's pattern, not the URL as sent: the router reaches "/api/x" by
    // other spellings too ("/%61pi/x", "http://host/api/x"), which a test of request.url misses.
    // A request that matched no route is API by its URL as sent, which can only refuse more.
    const route = request.routeOptions.url;
    const isApi = (route ?? request.url).startsWith('/api/');
    if (!SAFE_METHODS.has(request.method)) {
      const problem = originProblem(request);
      if (problem) return deny(reply, 403, 'CONSOLE_CSRF', `request refused: ${problem}`);
    }
    if (permission === 'public' || (!isApi && permission === undefined)) return;
    const token = readCookie(request.headers.cookie, SESSION_COOKIE);
    const found = sessions.lookup(token, isActivity(request));
    if (!found.ok) {
      if (found.reason !== 'missing')
        return deny(reply, 401, 'CONSOLE_SESSION_LOCKED', `session ended: ${found.reason}; sign in again`);
      return deny(reply, 401, 'CONSOLE_UNAUTHENTICATED', 'sign in first');
    }
    request.session = found.session;
    request.sessionToken = token;
    if (
      !SAFE_METHODS.has(request.method) &&
      !sameToken(request.headers['x-csrf-token'] as string | undefined, found.session.csrf)
    )
      return deny(reply, 403, 'CONSOLE_CSRF', 'x-csrf-token: missing or not this session’s token');
    if (permission === undefined || !can(found.session.role, permission)) {
      // A refused change is an auditable event (CR 2.8: access control); a refused read is not
      // worth a row each time a page polls.
      if (!SAFE_METHODS.has(request.method))
        audit.append({
          actor: found.session.user,
          action: 'access.denied',
          target: request.routeOptions.url ?? 'console',
          after: { method: request.method, role: found.session.role, needs: permission ?? null },
        });
      return deny(reply, 403, 'CONSOLE_FORBIDDEN', `role ${found.session.role} may not do this`);
    }
  });

  app.get(
    '/api/session',
    {
      config: { permission: 'public' },
      schema: {
        summary: 'The signed-in user, their permissions and CSRF token',
        tags: ['access'],
        response: { 200: ME_SCHEMA, 401: ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      void reply.header('cache-control', 'no-store');
      const found = sessions.lookup(readCookie(request.headers.cookie, SESSION_COOKIE), isActivity(request));
      if (!found.ok)
        return reply.code(401).send({
          code: found.reason === 'missing' ? 'CONSOLE_UNAUTHENTICATED' : 'CONSOLE_SESSION_LOCKED',
          message: found.reason === 'missing' ? 'sign in first' : `session ended: ${found.reason}`,
          setupPending: setup.pending,
        });
      return me(found.session);
    },
  );

  app.post<{ Body: { name: string; password: string } }>(
    '/api/login',
    {
      config: { permission: 'public' },
      schema: {
        summary: 'Sign in; sets the session cookie',
        tags: ['access'],
        body: {
          type: 'object',
          required: ['name', 'password'],
          additionalProperties: false,
          properties: CREDENTIALS,
        },
        response: { 200: ME_SCHEMA, 401: ERROR_SCHEMA, 429: ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      const { name, password } = request.body;
      void reply.header('cache-control', 'no-store');
      const result = await signIn(
        { users, guard, sessions, audit, target: 'console' },
        name,
        password,
        request.ip,
      );
      if (!result.ok && result.refused !== 'credentials')
        return reply
          .code(429)
          .header('retry-after', String(result.retryAfterS))
          .send({
            code: result.refused === 'locked' ? 'CONSOLE_LOCKED_OUT' : 'CONSOLE_RATE_LIMITED',
            message: result.refused === 'locked' ? LOCKED_MESSAGE : RATE_MESSAGE,
            retryAfterS: result.retryAfterS,
          });
      // One answer for an unknown name and a wrong password: it must not tell them apart.
      if (!result.ok)
        return reply.code(401).send({ code: 'CONSOLE_LOGIN_FAILED', message: CREDENTIALS_MESSAGE });
      void reply.header('set-cookie', sessionCookie(request, result.token, 12 * 3600));
      return me({ user: result.user.name, role: result.user.role, csrf: result.csrf });
    },
  );

  app.post(
    '/api/logout',
    {
      config: { permission: 'view' },
      schema: { summary: 'Sign out', tags: ['access'], response: { 204: { type: 'null' } } },
    },
    async (request, reply) => {
      if (request.sessionToken) sessions.end(request.sessionToken);
      audit.append({ actor: request.session!.user, action: 'logout', target: 'console' });
      return reply
        .code(204)
        .header('set-cookie', sessionCookie(request, '', 0))
        .send();
    },
  );

  app.post<{ Body: { token: string; name: string; password: string } }>(
    '/api/setup',
    {
      config: { permission: 'public' },
      schema: {
        summary: 'Create the first engineer with the one-time token the node logged at start',
        tags: ['access'],
        body: {
          type: 'object',
          required: ['token', 'name', 'password'],
          additionalProperties: false,
          properties: { token: { type: 'string', maxLength: 100 }, ...CREDENTIALS },
        },
        response: { 200: ME_SCHEMA, 400: ERROR_SCHEMA, 403: ERROR_SCHEMA, 429: ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      void reply.header('cache-control', 'no-store');
      if (users.count() > 0) setup.revoke();
      // Wrong tokens are limited per client address, never for everyone (setup-token.ts).
      const attempt = setup.attempt(request.body.token, request.ip);
      if (!attempt.ok && attempt.refused === 'rate')
        return reply.code(429).header('retry-after', String(attempt.retryAfterS)).send({
          code: 'CONSOLE_RATE_LIMITED',
          message: 'token: too many wrong tokens from this address; wait and try again',
          retryAfterS: attempt.retryAfterS,
        });
      if (!attempt.ok)
        return reply
          .code(403)
          .send({ code: 'CONSOLE_SETUP_REFUSED', message: 'token: not valid, or already used' });
      try {
        const user = await users.add(request.body.name, 'engineer', request.body.password, 'setup-token');
        const { token, csrf } = sessions.create(user.name);
        void reply.header('set-cookie', sessionCookie(request, token, 12 * 3600));
        return me({ user: user.name, role: user.role, csrf });
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        // A bad name or password must not spend the token: the installer tries again.
        setup.restore(request.body.token);
        return reply.code(400).send({ code: err.code, message: err.message });
      }
    },
  );
}
