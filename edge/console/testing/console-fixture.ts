// Test fixture for the console: a fake node (devices, status, latch clears) over a real edge
// database in a temp dir, real users and sessions, and helpers to sign in. Used by the API tests
// and the browser tests.
import type { ExecutionContext } from 'ava';
import type { FastifyInstance } from 'fastify';
import { join } from 'node:path';
import { AuditLog } from '../../audit/audit-log.js';
import type { DeviceView } from '../../devices/device-view.js';
import { openDatabase } from '../../store/edge-db.js';
import { tempDir, testLogger } from '../../test-support/temp-dir.js';
import { openConsoleAccess, type ConsoleAccess } from '../../users/console-access.js';
import type { Role } from '../../users/roles.js';
import type { ConsoleActions, LightingGroupView } from '../console-api.js';
import { createConsole, type ConsoleSource, type ConsoleStatus } from '../console-server.js';

export const DEVICES: DeviceView[] = [
  {
    id: 'lum-001',
    type: 'led-dali-60w',
    kind: 'luminaire',
    driver: 'simulated',
    group: 'calle-mayor',
    available: true,
    state: { level: 60, power: 36.4 },
    reason: 'schedule: sunset+0 → 60 %',
    updatedMs: 1_700_000_000_000,
  },
  {
    id: 'fill-017',
    type: 'ultrasonic-glass',
    kind: 'fill-sensor',
    driver: 'simulated',
    group: 'cont-017',
    available: false,
    lastError: 'timeout after 3 s',
    state: { fill: 72, lidOpen: false },
    updatedMs: 1_700_000_000_500,
  },
  {
    id: 'sh-atocha-1',
    type: 'signal-head-3',
    kind: 'signal-head',
    driver: 'simulated',
    group: 'int-atocha',
    available: true,
    state: { aspect: 'flash' },
    reason: 'flash: head sh-atocha-2 stopped answering',
    updatedMs: 1_700_000_000_000,
  },
  {
    id: 'sh-atocha-2',
    type: 'signal-head-3',
    kind: 'signal-head',
    driver: 'simulated',
    group: 'int-atocha',
    available: true,
    state: { aspect: 'flash' },
    reason: 'flash: head sh-atocha-2 stopped answering',
    updatedMs: 1_700_000_000_000,
  },
];

export const STATUS: ConsoleStatus = {
  edgeId: 'edge-centro-01',
  district: 'Centro',
  policyVersion: 7,
  outbox: { pending: 3, highestSeq: 1042, oldestPendingAgeS: 12.5 },
  uplink: { nats: 'connected', coordinator: 'disconnected' },
};

/** A source whose devices and listeners the test controls, with a latch the test can clear. */
export class FakeSource implements ConsoleSource, ConsoleActions {
  readonly listeners = new Set<(changed: readonly DeviceView[]) => void>();
  views = new Map(DEVICES.map((d) => [d.id, d]));
  readonly clears: string[] = [];

  devices(): DeviceView[] {
    return [...this.views.values()];
  }
  onChange(listener: (changed: readonly DeviceView[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  status(): ConsoleStatus {
    return STATUS;
  }
  change(...views: DeviceView[]): void {
    for (const v of views) this.views.set(v.id, v);
    for (const listener of this.listeners) listener(views);
  }
  /** Lighting groups with the override each holds, as the site would report them. */
  readonly overrides = new Map<string, { levelPct: number; expiresMs: number; actor: string }>();
  lightingGroups(): LightingGroupView[] {
    const o = this.overrides.get('calle-mayor');
    return [
      {
        id: 'calle-mayor',
        reason: o
          ? `override by ${o.actor}: ${o.levelPct} % until ${new Date(o.expiresMs).toISOString()}`
          : 'schedule: sunset+0 → 60 %',
        lightingClass: 'M4',
        powerW: 36.4,
        energyWh: 120.5,
      },
    ];
  }
  overrideLighting(
    group: string,
    levelPct: number,
    durationS: number | undefined,
    actor: string,
  ): { ok: true; expiresMs: number } | { ok: false; reason: string } {
    if (group !== 'calle-mayor') return { ok: false, reason: `unknown lighting group "${group}"` };
    const expiresMs = Date.now() + (durationS ?? 1800) * 1000;
    this.overrides.set(group, { levelPct, expiresMs, actor });
    this.change({
      ...this.views.get('lum-001')!,
      state: { level: levelPct, power: 0.6 * levelPct },
      reason: this.lightingGroups()[0]!.reason,
    });
    return { ok: true, expiresMs };
  }
  clearLightingOverride(group: string): { ok: boolean; reason?: string } {
    if (!this.overrides.delete(group)) return { ok: false, reason: `no override on "${group}"` };
    this.change(DEVICES[0]!);
    return { ok: true };
  }
  /** What the site does when a lease runs out: the schedule decides again. */
  expireOverride(group: string): void {
    this.overrides.delete(group);
    this.change({ ...DEVICES[0]!, updatedMs: Date.now() });
  }
  clearSignalLatch(id: string, origin: 'local'): { cleared: boolean; reason?: string } {
    this.clears.push(`${id}:${origin}`);
    const heads = this.devices().filter((d) => d.group === id && d.kind === 'signal-head');
    if (!heads.some((h) => h.reason?.startsWith('flash:'))) return { cleared: false, reason: 'not latched' };
    this.change(...heads.map((h) => ({ ...h, state: { aspect: 'red' }, reason: 'plan: all red (restart)' })));
    return { cleared: true };
  }
}

export interface ConsoleFixture {
  app: FastifyInstance;
  source: FakeSource;
  access: ConsoleAccess;
  audit: AuditLog;
  /** Creates a user through the store (as `calle user add` does). */
  addUser: (name: string, role: Role, password?: string) => Promise<void>;
}

export const PASSWORD = 'correct horse battery';

export function consoleFixture(
  t: ExecutionContext,
  now?: () => number,
  sessionCheckMs?: number,
): ConsoleFixture {
  const dir = tempDir(t);
  const db = openDatabase(join(dir, 'edge.db'));
  const log = testLogger();
  const audit = new AuditLog({ db, log });
  const access = openConsoleAccess({ db, audit, log, ...(now ? { now } : {}) });
  const source = new FakeSource();
  const app = createConsole({
    source,
    log,
    access,
    actions: source,
    diskPath: dir,
    lightingGroups: () => source.lightingGroups(),
    ...(sessionCheckMs !== undefined ? { sessionCheckMs } : {}),
  });
  t.teardown(async () => {
    await app.close();
    db.close();
  });
  return {
    app,
    source,
    access,
    audit,
    addUser: async (name, role, password = PASSWORD) => {
      await access.users.add(name, role, password, 'test');
    },
  };
}

export interface SignedIn {
  cookie: string;
  csrf: string;
}

/** Signs in through the API; fails the test's assertion path by throwing on anything but 200. */
export async function signIn(app: FastifyInstance, name: string, password = PASSWORD): Promise<SignedIn> {
  const res = await app.inject({ method: 'POST', url: '/api/login', payload: { name, password } });
  if (res.statusCode !== 200) throw new Error(`login ${name}: HTTP ${res.statusCode} ${res.body}`);
  const setCookie = String(res.headers['set-cookie']);
  return { cookie: setCookie.split(';')[0]!, csrf: res.json<{ csrf: string }>().csrf };
}

/**
 * For tests of a whole node (offline boot, demo): creates the first engineer with the node's
 * one-time setup token over HTTP and returns the session cookie for later requests.
 */
export async function signInWithSetupToken(consoleUrl: string, token: string | undefined): Promise<string> {
  if (!token) throw new Error('the node has users already: no setup token');
  const res = await fetch(`${consoleUrl}/api/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, name: 'test', password: PASSWORD }),
  });
  if (!res.ok) throw new Error(`setup: HTTP ${res.status} ${await res.text()}`);
  return res.headers.get('set-cookie')!.split(';')[0]!;
}
