// Test fixture for the dashboard's API: the coordinator's real policy, rollout and store classes
// over a SQLite file in a temp dir, the dashboard mounted on a fastify instance (driven with
// inject()), real users in a real dashboard.db, and a clock the test moves. Not a test file.
import type { ExecutionContext } from 'ava';
import Fastify, { type FastifyInstance } from 'fastify';
import { join } from 'node:path';
import type { Role } from '../../../common/access/roles.js';
import { EnrolmentStore } from '../../enrolment/enrolment-store.js';
import type { RolloutManager } from '../../rollouts/rollout-manager.js';
import { SqliteStore } from '../../store/sqlite/sqlite-store.js';
import { tempDir, testLogger } from '../../testing/harness.js';
import { localState } from '../../testing/local-state.js';
import type { ErrorJson } from '../dashboard-api.js';
import { DASHBOARD_COOKIE } from '../dashboard-auth.js';
import { registerDashboard, type Dashboard } from '../dashboard.js';
import { localDecisions } from '../enrolment-decisions.js';

export const PASSWORD = 'correct horse battery';

export interface SignedIn {
  readonly cookie: string;
  readonly csrf: string;
}

export interface DashboardFixture {
  readonly app: FastifyInstance;
  readonly db: SqliteStore;
  readonly rollouts: RolloutManager;
  readonly dashboard: Dashboard;
  /** The enrolment tables on the coordinator's connection, as coordinator.ts gives them. */
  readonly enrolment: EnrolmentStore;
  readonly lines: Record<string, unknown>[];
  clock: number;
  addUser(name: string, role: Role): Promise<void>;
  signIn(name: string, password?: string): Promise<SignedIn>;
  /** A request as the page makes it: cookie and CSRF token of `who`, JSON body. */
  call<T = ErrorJson>(
    who: SignedIn | undefined,
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: T }>;
  /** Registers edges (district, heartbeat now) in the coordinator database. */
  registerEdges(edges: readonly { id: string; district: string; outboxPending?: number }[]): Promise<void>;
}

export async function dashboardFixture(
  t: ExecutionContext,
  start = 1_800_000_000_000,
): Promise<DashboardFixture> {
  const dir = tempDir(t);
  const dbPath = join(dir, 'coordinator.db');
  const { log, lines } = testLogger(t);
  const db = new SqliteStore(dbPath);
  t.teardown(() => db.closeNow());
  const fixture = { clock: start } as DashboardFixture;
  const now = (): number => fixture.clock;
  // The gate is ticked by the test (tick()), never by the timer.
  const state = await localState(db, log, { now, rollouts: { tickMs: 3_600_000 } });
  const { publisher, history } = state;
  const rollouts = state.rollouts!;
  t.teardown(() => rollouts.close());
  const enrolment = new EnrolmentStore(db.sqlite);
  const app = Fastify();
  const dashboard = registerDashboard(app, {
    dbPath: join(dir, 'dashboard.db'),
    rollouts,
    store: db,
    publisher,
    history,
    enrolment: localDecisions(enrolment),
    log,
    now,
  });
  t.teardown(async () => {
    await app.close();
    dashboard.close();
  });
  await app.ready();

  const call = async <T>(who: SignedIn | undefined, method: 'GET' | 'POST', path: string, body?: unknown) => {
    const res = await app.inject({
      method,
      url: `/dashboard/api/${path}`,
      headers: {
        ...(who ? { cookie: `${DASHBOARD_COOKIE}=${who.cookie}`, 'x-csrf-token': who.csrf } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    });
    return { status: res.statusCode, json: (res.body ? JSON.parse(res.body) : null) as T };
  };

  return Object.assign(fixture, {
    app,
    db,
    rollouts,
    dashboard,
    enrolment,
    lines,
    call,
    async addUser(name: string, role: Role) {
      await dashboard.access.users.add(name, role, PASSWORD, 'test');
    },
    async signIn(name: string, password = PASSWORD) {
      const res = await app.inject({
        method: 'POST',
        url: '/dashboard/api/login',
        payload: { name, password },
      });
      if (res.statusCode !== 200)
        throw new Error(`sign-in of ${name} answered ${res.statusCode}: ${res.body}`);
      const cookie = /calle_dashboard=([^;]+)/.exec(String(res.headers['set-cookie']))?.[1] ?? '';
      return { cookie, csrf: (JSON.parse(res.body) as { csrf: string }).csrf };
    },
    async registerEdges(edges: readonly { id: string; district: string; outboxPending?: number }[]) {
      for (const e of edges) {
        await db.registry.register({
          id: e.id,
          district: e.district,
          tags: [],
          softwareVersion: 'test',
          nowMs: now(),
        });
        await db.registry.heartbeat({
          id: e.id,
          nowMs: now(),
          highestSeq: 0,
          outboxPending: e.outboxPending ?? 0,
          policyVersion: 0,
          devicesUnavailable: 0,
        });
      }
    },
  });
}
