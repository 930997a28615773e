// Who may use the fleet dashboard, and how a request proves it: the console's access model
// (edge/console/console-auth.ts) on the coordinator, with the fleet's permissions (fleet-roles.ts).
// Written beside it rather than reused because the console's hook is bound to its own paths
// ("/api/"), cookie and permission names; the pieces underneath (users, sessions, login guard,
// setup token, audit log, the request's cookie and activity) come from common/.
//
// - Session: an HttpOnly, SameSite=Strict cookie scoped to /dashboard; the database keeps only its
//   SHA-256 (session-store.ts). It locks after 15 idle minutes (IEC 62443-4-2 CR 2.5). The page's
//   background refresh sends `x-calle-poll: 1`, which looks the session up without counting as
//   activity: a dashboard left open on a wall screen must still lock.
// - Every route declares `config.fleetPermission`; an API route that declares nothing is refused
//   (fail closed). A refused change is an audit row (CR 2.8); a refused read is not.
// - CSRF on every non-GET: the session's token in `x-csrf-token` (constant-time compare), and the
//   Origin / Sec-Fetch-Site check that also covers login and setup (OWASP CSRF Cheat Sheet).
// - Logins: LoginGuard's lockout after 5 failures in 15 minutes, and its per-address rate.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isActivity, POLL_HEADER, readCookie } from '../../common/web/session-request.js';
import { MAX_PASSWORD_LENGTH } from '../../common/access/password-hash.js';
import { IDLE_MS, sameToken, type Session } from '../../common/access/session-store.js';
import { CREDENTIALS_MESSAGE, LOCKED_MESSAGE, RATE_MESSAGE, signIn } from '../../common/access/sign-in.js';
import { UserError } from '../../common/access/user-error.js';
import type { DashboardAccess } from './dashboard-store.js';
import { fleetCan, fleetPermissionsOf, type FleetPermission } from './fleet-roles.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What a dashboard route needs: a fleet permission, or 'public' (no session). */
    fleetPermission?: FleetPermission | 'public';
  }
  interface FastifyRequest {
    fleetSession?: Session;
    fleetSessionToken?: string;
  }
}

export const DASHBOARD_COOKIE = 'calle_dashboard';
/** Sent by the page's periodic refresh (one header for the console and the dashboard). */
export { POLL_HEADER };
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const SESSION_MAX_AGE_S = 12 * 3600;

function cookie(request: FastifyRequest, prefix: string, token: string, maxAgeS: number): string {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  return `${DASHBOARD_COOKIE}=${token}; Path=${prefix}; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure}`;
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
  try {
    const from = new URL(origin);
    const self = new URL(`${from.protocol}//${request.headers.host ?? ''}`);
    return from.host === self.host ? undefined : 'origin is another site';
  } catch {
    return 'origin is not a URL';
  }
}

const CREDENTIALS = {
  name: { type: 'string', minLength: 1, maxLength: 64 },
  password: { type: 'string', minLength: 1, maxLength: MAX_PASSWORD_LENGTH },
} as const;

function me(session: Pick<Session, 'user' | 'role' | 'csrf'>) {
  return {
    user: session.user,
    role: session.role,
    permissions: fleetPermissionsOf(session.role),
    csrf: session.csrf,
    idleMs: IDLE_MS,
  };
}

/**
 * Adds the access hook and the session routes to `scope`, an encapsulated plugin registered with
 * `prefix` ("/dashboard"): the hook sees only the dashboard's routes, never the coordinator's
 * other APIs.
 */
export function registerDashboardAuth(scope: FastifyInstance, access: DashboardAccess, prefix: string): void {
  const { users, sessions, guard, setup, audit } = access;
  const apiPrefix = `${prefix}/api/`;

  scope.addHook('onRequest', async (request, reply) => {
    const permission = request.routeOptions.config.fleetPermission;
    if (!SAFE_METHODS.has(request.method)) {
      const problem = originProblem(request);
      if (problem) return deny(reply, 403, 'DASHBOARD_CSRF', `request refused: ${problem}`);
    }
    // On the matched route's pattern, not the URL as sent (see console-auth.ts); a request that
    // matched no route is API by its URL as sent, which can only refuse more.
    const isApi = (request.routeOptions.url ?? request.url).startsWith(apiPrefix);
    if (permission === 'public' || (!isApi && permission === undefined)) return;
    const token = readCookie(request.headers.cookie, DASHBOARD_COOKIE);
    const found = sessions.lookup(token, isActivity(request));
    if (!found.ok) {
      if (found.reason !== 'missing')
        return deny(reply, 401, 'DASHBOARD_SESSION_LOCKED', `session ended: ${found.reason}; sign in again`);
      return deny(reply, 401, 'DASHBOARD_UNAUTHENTICATED', 'sign in first');
    }
    request.fleetSession = found.session;
    request.fleetSessionToken = token;
    if (
      !SAFE_METHODS.has(request.method) &&
      !sameToken(request.headers['x-csrf-token'] as string | undefined, found.session.csrf)
    )
      return deny(reply, 403, 'DASHBOARD_CSRF', 'x-csrf-token: missing or not this session’s token');
    if (permission === undefined || !fleetCan(found.session.role, permission)) {
      if (!SAFE_METHODS.has(request.method))
        audit.append({
          actor: found.session.user,
          action: 'access.denied',
          target: request.routeOptions.url ?? 'dashboard',
          after: { method: request.method, role: found.session.role, needs: permission ?? null },
        });
      return deny(reply, 403, 'DASHBOARD_FORBIDDEN', `role ${found.session.role} may not do this`);
    }
  });

  scope.get('/api/session', { config: { fleetPermission: 'public' } }, async (request, reply) => {
    void reply.header('cache-control', 'no-store');
    const found = sessions.lookup(readCookie(request.headers.cookie, DASHBOARD_COOKIE), isActivity(request));
    if (!found.ok)
      return reply.code(401).send({
        code: found.reason === 'missing' ? 'DASHBOARD_UNAUTHENTICATED' : 'DASHBOARD_SESSION_LOCKED',
        message: found.reason === 'missing' ? 'sign in first' : `session ended: ${found.reason}`,
        setupPending: setup.pending,
      });
    return me(found.session);
  });

  scope.post<{ Body: { name: string; password: string } }>(
    '/api/login',
    {
      config: { fleetPermission: 'public' },
      schema: {
        body: {
          type: 'object',
          required: ['name', 'password'],
          additionalProperties: false,
          properties: CREDENTIALS,
        },
      },
    },
    async (request, reply) => {
      const { name, password } = request.body;
      void reply.header('cache-control', 'no-store');
      const result = await signIn(
        { users, guard, sessions, audit, target: 'dashboard' },
        name,
        password,
        request.ip,
      );
      if (!result.ok && result.refused !== 'credentials')
        return reply
          .code(429)
          .header('retry-after', String(result.retryAfterS))
          .send({
            code: result.refused === 'locked' ? 'DASHBOARD_LOCKED_OUT' : 'DASHBOARD_RATE_LIMITED',
            message: result.refused === 'locked' ? LOCKED_MESSAGE : RATE_MESSAGE,
            retryAfterS: result.retryAfterS,
          });
      // One answer for an unknown name and a wrong password: it must not tell them apart.
      if (!result.ok)
        return reply.code(401).send({ code: 'DASHBOARD_LOGIN_FAILED', message: CREDENTIALS_MESSAGE });
      void reply.header('set-cookie', cookie(request, prefix, result.token, SESSION_MAX_AGE_S));
      return me({ user: result.user.name, role: result.user.role, csrf: result.csrf });
    },
  );

  scope.post('/api/logout', { config: { fleetPermission: 'fleet.view' } }, async (request, reply) => {
    if (request.fleetSessionToken) sessions.end(request.fleetSessionToken);
    audit.append({ actor: request.fleetSession!.user, action: 'logout', target: 'dashboard' });
    return reply
      .code(204)
      .header('set-cookie', cookie(request, prefix, '', 0))
      .send();
  });

  scope.post<{ Body: { token: string; name: string; password: string } }>(
    '/api/setup',
    {
      config: { fleetPermission: 'public' },
      schema: {
        body: {
          type: 'object',
          required: ['token', 'name', 'password'],
          additionalProperties: false,
          properties: { token: { type: 'string', maxLength: 100 }, ...CREDENTIALS },
        },
      },
    },
    async (request, reply) => {
      void reply.header('cache-control', 'no-store');
      if (users.count() > 0) setup.revoke();
      // Wrong tokens are limited per client address, never for everyone (setup-token.ts).
      const attempt = setup.attempt(request.body.token, request.ip);
      if (!attempt.ok && attempt.refused === 'rate')
        return reply.code(429).header('retry-after', String(attempt.retryAfterS)).send({
          code: 'DASHBOARD_RATE_LIMITED',
          message: 'token: too many wrong tokens from this address; wait and try again',
          retryAfterS: attempt.retryAfterS,
        });
      if (!attempt.ok)
        return reply
          .code(403)
          .send({ code: 'DASHBOARD_SETUP_REFUSED', message: 'token: not valid, or already used' });
      try {
        const user = await users.add(request.body.name, 'engineer', request.body.password, 'setup-token');
        const { token, csrf } = sessions.create(user.name);
        void reply.header('set-cookie', cookie(request, prefix, token, SESSION_MAX_AGE_S));
        return me({ user: user.name, role: user.role, csrf });
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        // A bad name or password must not spend the token: the operator tries again.
        setup.restore(request.body.token);
        return reply.code(400).send({ code: err.code, message: err.message });
      }
    },
  );
}
