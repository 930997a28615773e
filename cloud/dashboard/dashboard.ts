// The operators' fleet dashboard, mounted on the coordinator's HTTP server under /dashboard/:
// the page and its assets (public/, all bundled: no CDN), and a JSON API under /dashboard/api/
// behind the console's access model (dashboard-auth.ts). Registered as an encapsulated plugin, so
// its access hook, security headers and 404 answer apply to the dashboard only; the coordinator's
// older /api routes keep their own (loopback-only, unauthenticated) exposure.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { PolicyHistory } from '../policies/policy-history.js';
import type { PolicyPublisher } from '../policies/policy-publisher.js';
import type { RolloutManager } from '../rollouts/rollout-manager.js';
import type { CoordinatorStore } from '../store/coordinator-store.js';
import { registerDashboardApi } from './dashboard-api.js';
import { registerDashboardAssets } from './dashboard-assets.js';
import { registerDashboardAuth } from './dashboard-auth.js';
import { registerEnrolmentApi } from './enrolment-api.js';
import type { EnrolmentDecisions } from './enrolment-decisions.js';
import { openDashboardAccess, type DashboardAccess } from './dashboard-store.js';

export const DASHBOARD_PREFIX = '/dashboard';

// No inline script or style in the page, so 'self' suffices (as on the console).
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

export interface DashboardOptions {
  /** The dashboard's own SQLite file (users, sessions, audit; dashboard-store.ts). */
  readonly dbPath: string;
  readonly rollouts: RolloutManager;
  readonly store: CoordinatorStore;
  readonly publisher: PolicyPublisher;
  readonly history: PolicyHistory;
  /**
   * Enrolment records and decisions (enrolment-decisions.ts), on the coordinator's own store or KV
   * path; without it the enrolment routes answer 404 (a dashboard mounted without a coordinator).
   */
  readonly enrolment?: EnrolmentDecisions;
  readonly log: Logger;
  /** An edge unheard of for longer than this shows as stale; default 30 s. */
  readonly staleAfterMs?: number;
  readonly now?: () => number;
}

export interface Dashboard {
  readonly access: DashboardAccess;
  close(): void;
}

/** Opens the dashboard's store and registers its routes on `app` (before it listens). */
export function registerDashboard(app: FastifyInstance, options: DashboardOptions): Dashboard {
  const clock = options.now ? { now: options.now } : {};
  const access = openDashboardAccess({ file: options.dbPath, log: options.log, ...clock });
  void app.register(
    (scope, _opts, done) => {
      scope.addHook('onSend', async (_request, reply, payload) => {
        for (const [name, value] of Object.entries(SECURITY_HEADERS)) void reply.header(name, value);
        return payload;
      });
      // The path is not echoed back, so a 404 never reflects what a client sent.
      scope.setNotFoundHandler(async (_request, reply) =>
        reply.code(404).send({ code: 'DASHBOARD_NOT_FOUND', message: 'not found' }),
      );
      registerDashboardAuth(scope, access, DASHBOARD_PREFIX);
      registerDashboardAssets(scope, new URL('./public/', import.meta.url));
      registerDashboardApi(scope, {
        rollouts: options.rollouts,
        store: options.store,
        publisher: options.publisher,
        history: options.history,
        audit: access.audit,
        ...(options.staleAfterMs !== undefined ? { staleAfterMs: options.staleAfterMs } : {}),
        ...clock,
      });
      if (options.enrolment)
        registerEnrolmentApi(scope, { decisions: options.enrolment, audit: access.audit, ...clock });
      done();
    },
    { prefix: DASHBOARD_PREFIX },
  );
  return {
    access,
    close: () => {
      access.close();
    },
  };
}
