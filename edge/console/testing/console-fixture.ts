// Test fixture for the console: a fake node (devices, status, latch clears) over a real edge
// database in a temp dir, real users and sessions, and helpers to sign in. Used by the API tests
// and the browser tests.
import type { ExecutionContext } from 'ava';
import type { FastifyInstance } from 'fastify';
import { join } from 'node:path';
import { AuditLog } from '../../../common/audit/audit-log.js';
import type { DeviceView } from '../../devices/device-view.js';
import { openDatabase } from '../../../common/sqlite/open-database.js';
import { tempDir, testLogger } from '../../../common/testing/temp-dir.js';
import { openConsoleAccess, type ConsoleAccess } from '../../users/console-access.js';
import type { Role } from '../../../common/access/roles.js';
import type {
  CollectionEntryView,
  ConsoleActions,
  LightingGroupView,
  SignalStateView,
  StagedPolicyView,
} from '../console-api.js';
import { createConsole, type ConsoleSource, type ConsoleStatus } from '../console-server.js';
import { EDGE_MIGRATIONS } from '../../store/migrations.js';
import { madridHHMM } from '../../control/madrid-time.js';
import { englishOf, part, refusal, type Reason, type Refusal } from '../../../common/reasons/reason.js';

/** A reason as the site gives it: coded, and its English (common/reasons/). */
const coded = (reason: Reason): { reason: string; reasonCode: Reason } => ({
  reason: englishOf(reason),
  reasonCode: reason,
});
const codedError = (error: Reason): { lastError: string; lastErrorCode: Reason } => ({
  lastError: englishOf(error),
  lastErrorCode: error,
});
const SOL_GREEN = part('signal.stage', {
  stage: 1,
  of: 2,
  interval: 'green',
  groups: 'veh-ew, walk-ew',
  mode: '',
  why: '',
});

export const DEVICES: DeviceView[] = [
  {
    id: 'lum-001',
    type: 'led-dali-60w',
    kind: 'luminaire',
    driver: 'simulated',
    group: 'calle-mayor',
    available: true,
    state: { level: 60, power: 36.4 },
    ...coded([part('light.step', { rule: 'schedule', at: 'sunset', offset: '+0', level: 60 })]),
    updatedMs: 1_700_000_000_000,
  },
  {
    id: 'fill-017',
    type: 'ultrasonic-glass',
    kind: 'fill-sensor',
    driver: 'simulated',
    group: 'cont-017',
    available: false,
    ...codedError([part('device.error', { detail: 'timeout after 3 s' })]),
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
    ...coded([
      part('signal.latched'),
      part('signal.violation', { detail: 'head sh-atocha-2 stopped answering' }),
    ]),
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
    ...coded([
      part('signal.latched'),
      part('signal.violation', { detail: 'head sh-atocha-2 stopped answering' }),
    ]),
    updatedMs: 1_700_000_000_000,
  },
  {
    id: 'sh-sol-1',
    type: 'signal-head-3',
    kind: 'signal-head',
    driver: 'simulated',
    group: 'int-sol',
    available: true,
    state: { aspect: 'green' },
    ...coded([SOL_GREEN]),
    updatedMs: 1_700_000_000_000,
  },
  {
    id: 'sh-sol-2',
    type: 'signal-head-3',
    kind: 'signal-head',
    driver: 'simulated',
    group: 'int-sol',
    available: true,
    state: { aspect: 'red' },
    ...coded([SOL_GREEN]),
    updatedMs: 1_700_000_000_000,
  },
  {
    id: 'fill-018',
    type: 'ultrasonic-glass',
    kind: 'fill-sensor',
    driver: 'simulated',
    group: 'cont-018',
    available: true,
    state: {
      fill: 64.5,
      fullAtMs: 1_700_000_000_000 + 5 * 3_600_000,
      fullLowMs: 1_700_000_000_000 + 4 * 3_600_000,
      fullHighMs: 1_700_000_000_000 + 7 * 3_600_000,
    },
    updatedMs: 1_700_000_000_000,
  },
];

/** The site's collection list for DEVICES: soonest predicted full first. */
export const COLLECTION: CollectionEntryView[] = [
  {
    containerId: 'cont-018',
    sensorId: 'fill-018',
    fillPct: 64.5,
    fullAtMs: 1_700_000_000_000 + 5 * 3_600_000,
    fullLowMs: 1_700_000_000_000 + 4 * 3_600_000,
    fullHighMs: 1_700_000_000_000 + 7 * 3_600_000,
    reason: 'due within horizon',
  },
  { containerId: 'cont-017', sensorId: 'fill-017', fillPct: 72, reason: 'above collect_at_fill' },
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
        ...coded(
          o
            ? [part('light.override', { actor: o.actor, until: madridHHMM(o.expiresMs), level: o.levelPct })]
            : [part('light.step', { rule: 'schedule', at: 'sunset', offset: '+0', level: 60 })],
        ),
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
  ): { ok: true; expiresMs: number } | ({ ok: false } & Refusal) {
    if (group !== 'calle-mayor') return { ok: false, ...refusal(part('action.unknownGroup', { id: group })) };
    const expiresMs = Date.now() + (durationS ?? 1800) * 1000;
    this.overrides.set(group, { levelPct, expiresMs, actor });
    this.change({
      ...this.views.get('lum-001')!,
      state: { level: levelPct, power: 0.6 * levelPct },
      ...coded(this.lightingGroups()[0]!.reasonCode!),
    });
    return { ok: true, expiresMs };
  }
  clearLightingOverride(group: string): { ok: boolean } & Partial<Refusal> {
    if (!this.overrides.delete(group))
      return { ok: false, ...refusal(part('action.noOverride', { id: group })) };
    this.change(DEVICES[0]!);
    return { ok: true };
  }
  /** What the site does when a lease runs out: the schedule decides again. */
  expireOverride(group: string): void {
    this.overrides.delete(group);
    this.change({ ...DEVICES[0]!, updatedMs: Date.now() });
  }
  /** Each manual flash and restore, as "flash:int-sol:eva". */
  readonly flashes: string[] = [];
  /** How long the fake takes to drain a stage before flashing (the site takes seconds). */
  drainMs = 300;
  #heads(id: string): DeviceView[] {
    return this.devices().filter((d) => d.group === id && d.kind === 'signal-head');
  }
  flashIntersection(id: string, actor: string): { ok: boolean } & Partial<Refusal> {
    const heads = this.#heads(id);
    if (heads.length === 0) return { ok: false, ...refusal(part('action.unknownIntersection', { id })) };
    const op = this.#operation(heads);
    if (op === 'latched')
      return {
        ok: false,
        ...refusal(part('action.latchedFirst', { fault: englishOf(heads[0]!.reasonCode!.slice(1)) })),
      };
    if (op !== 'plan')
      return {
        ok: false,
        ...refusal(part(op === 'manual-flash' ? 'action.alreadyFlashing' : 'action.alreadyEntering')),
      };
    this.flashes.push(`flash:${id}:${actor}`);
    // As the site does: the stage drains through yellow and all red, then the heads flash.
    const draining = part('signal.stage', {
      stage: 1,
      of: 2,
      interval: 'yellow',
      groups: 'veh-ew, walk-ew',
      mode: '',
      why: 'manual flash',
    });
    this.change(
      ...heads.map((h) => ({
        ...h,
        state: { aspect: h.state.aspect === 'green' ? 'yellow' : 'red' },
        ...coded([draining, part('signal.enteringFlash', { actor })]),
      })),
    );
    const drained = () =>
      this.change(
        ...this.#heads(id).map((h) => ({
          ...h,
          state: { aspect: 'flash' },
          ...coded([part('signal.manualFlash', { actor })]),
        })),
      );
    if (Number.isFinite(this.drainMs)) setTimeout(drained, this.drainMs).unref();
    else this.#draining.push(drained);
    return { ok: true };
  }
  readonly #draining: (() => void)[] = [];
  /** With drainMs Infinity: the drains waiting for the test to end them. */
  finishDrains(): void {
    for (const drained of this.#draining.splice(0)) drained();
  }
  restoreIntersection(id: string, actor: string): { ok: boolean } & Partial<Refusal> {
    const heads = this.#heads(id);
    if (heads.length === 0) return { ok: false, ...refusal(part('action.unknownIntersection', { id })) };
    const op = this.#operation(heads);
    if (op === 'entering-flash') return { ok: false, ...refusal(part('action.stillEntering')) };
    if (op !== 'manual-flash') return { ok: false, ...refusal(part('action.notFlashing')) };
    this.flashes.push(`restore:${id}:${actor}`);
    this.change(
      ...heads.map((h) => ({ ...h, state: { aspect: 'red' }, ...coded([part('signal.startup')]) })),
    );
    return { ok: true };
  }
  /** As the console reads it: from the heads' codes, never their English. */
  #operation(heads: readonly DeviceView[]): SignalStateView['operation'] {
    const codes = (heads[0]?.reasonCode ?? []).map((p) => p.code);
    if (codes[0] === 'signal.latched') return 'latched';
    if (codes[0] === 'signal.manualFlash') return 'manual-flash';
    return codes.includes('signal.enteringFlash') ? 'entering-flash' : 'plan';
  }
  signals(): SignalStateView[] {
    return ['int-atocha', 'int-sol'].map((id) => {
      const heads = this.#heads(id);
      const operation = this.#operation(heads);
      const actor = heads[0]?.reasonCode?.find((p) => p.params?.actor !== undefined)?.params?.actor;
      return {
        id,
        operation,
        mode: 'fixed-time',
        plan: 'stage 1/2 green (veh-ew, walk-ew)',
        ...(operation === 'latched' ? { latchReason: 'head sh-atocha-2 stopped answering' } : {}),
        ...(actor !== undefined && operation !== 'plan' && operation !== 'latched'
          ? { manualFlash: { actor: String(actor), requestedMs: 1_700_000_000_000 } }
          : {}),
        timingPending: id === 'int-sol' && this.staged !== undefined,
      };
    });
  }
  /** What EdgeSite.stagedPolicy reports; the test sets it. */
  staged: StagedPolicyView | undefined;
  collectionList(): CollectionEntryView[] {
    return COLLECTION;
  }
  clearSignalLatch(id: string, origin: 'local'): { cleared: boolean } & Partial<Refusal> {
    this.clears.push(`${id}:${origin}`);
    const heads = this.devices().filter((d) => d.group === id && d.kind === 'signal-head');
    if (!heads.some((h) => h.reasonCode?.[0]?.code === 'signal.latched'))
      return { cleared: false, ...refusal(part('action.notLatched')) };
    this.change(
      ...heads.map((h) => ({ ...h, state: { aspect: 'red' }, ...coded([part('signal.startup')]) })),
    );
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
  const db = openDatabase(join(dir, 'edge.db'), EDGE_MIGRATIONS);
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
    signals: () => source.signals(),
    collectionList: () => source.collectionList(),
    stagedPolicy: () => source.staged,
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
