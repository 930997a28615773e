// The site's intersections: each tick, every intersection controller (the planner proposes, the
// supervisor disposes) gets its detectors and the heads that stopped answering, and its aspects
// are written to the heads with the reason. Heads that have never answered are not a fault: the
// intersection starts once they do. The engineer's actions (manual flash, restore, a local clear
// of a latch) arrive here from the console and raise their events.
import type { Logger } from 'pino';
import type { IntersectionConfig } from '../config/edge-config.js';
import type { DetectorReading } from '../control/detector-calls.js';
import {
  IntersectionController,
  type ActionAnswer,
  type ClearAnswer,
  type SignalOperation,
} from '../control/intersection-controller.js';
import type { PlanTiming } from '../control/signal-plan.js';
import type { DeviceRegistry } from './device-registry.js';
import { part, refusal, type Reason, type ReasonPart, type Refusal } from '../../common/reasons/reason.js';
import { SITE_EVENTS, type RaiseEvent } from './site-alarms.js';

const unknown = (id: string): Refusal => refusal(part('action.unknownIntersection', { id }));

/** One intersection's operation, for the console (EdgeSite.signalStates). */
export interface SignalState {
  readonly id: string;
  readonly operation: SignalOperation;
  readonly mode: string;
  /** What the plan does now, or did last before a flash. */
  readonly plan: string;
  readonly planCode: ReasonPart;
  readonly latchReason?: string;
  readonly latchCode?: Reason;
  readonly manualFlash?: {
    readonly actor: string;
    readonly requestedMs: number;
    readonly flashingMs?: number;
  };
  /** A policy's timing waits for this intersection's next cycle boundary. */
  readonly timingPending: boolean;
}

/** A policy applied but not yet in force everywhere: its signal timing waits for cycle boundaries. */
export interface StagedPolicy {
  readonly version: number;
  readonly waitingFor: readonly string[];
}

interface Intersection {
  readonly cfg: IntersectionConfig;
  readonly controller: IntersectionController;
}

export class SiteSignals {
  readonly #registry: DeviceRegistry;
  readonly #raise: RaiseEvent;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #intersections: Intersection[];
  /** The policy version whose timing was queued last (see staged). */
  #timingVersion = 0;

  constructor(opts: {
    intersections: readonly IntersectionConfig[];
    registry: DeviceRegistry;
    raise: RaiseEvent;
    log: Logger;
    now: () => number;
  }) {
    this.#registry = opts.registry;
    this.#raise = opts.raise;
    this.#log = opts.log;
    this.#now = opts.now;
    const startMs = opts.now();
    this.#intersections = opts.intersections.map((cfg) => ({
      cfg,
      controller: new IntersectionController(cfg, startMs),
    }));
  }

  /** The controllers, for a policy's bounds check (each says whether new timing fits it). */
  get controllers(): readonly IntersectionController[] {
    return this.#intersections.map((x) => x.controller);
  }

  /** Queues a policy's timing per intersection; each switches at its next cycle boundary. */
  setTiming(version: number, timing: ReadonlyMap<string, PlanTiming>): void {
    for (const { controller } of this.#intersections) {
      const t = timing.get(controller.id);
      if (t) controller.setTiming(t);
    }
    this.#timingVersion = version;
  }

  /** Every intersection, each on its own: one that throws is the caller's to fence. */
  step(now: number, fenced: (what: string, fn: () => void) => void): void {
    for (const x of this.#intersections) fenced(`intersection ${x.cfg.id}`, () => this.#step(x, now));
  }

  #step({ cfg, controller: x }: Intersection, now: number): void {
    const registry = this.#registry;
    const unavailable = cfg.signalGroups
      .filter((sg) => !registry.get(sg.head).available)
      .map((sg) => sg.head);
    const failed = unavailable.filter((h) => registry.get(h).alarmed);
    if (unavailable.length > 0 && failed.length === 0) return;
    const readings = new Map<string, DetectorReading>();
    for (const d of cfg.detectors) {
      const rec = registry.find(d);
      const { count, occupancy } = rec?.state ?? {};
      readings.set(d, {
        available: rec?.available ?? false,
        ...(typeof count === 'number' ? { count } : {}),
        ...(typeof occupancy === 'number' ? { occupancy } : {}),
      });
    }
    const step = x.step(now, failed, readings);
    if (step.latched) {
      this.#log.error(
        { intersectionId: x.id, reason: step.latched.reason },
        'intersection latched into flash',
      );
      this.#raise({
        code: SITE_EVENTS.signalFlash,
        severity: 'critical',
        message: `${x.id}: flashing amber, ${step.latched.reason}; clear locally at the cabinet`,
        timeMs: now,
        active: true,
      });
    }
    if (step.manualFlashStarted) {
      this.#raise({
        code: SITE_EVENTS.signalManualFlash,
        severity: 'warning',
        message: `${x.id}: flashing amber at the request of ${step.manualFlashStarted.actor}`,
        timeMs: now,
        active: true,
      });
    }
    for (const sg of cfg.signalGroups)
      registry.command(registry.get(sg.head), 'aspect', step.aspects[sg.id] ?? 'flash', step.reasonCode, now);
  }

  /**
   * Clears a latched flash at one intersection. "remote" is always refused; the console calls
   * this with "local" only for a user on the cabinet's own network.
   */
  clearLatch(intersectionId: string, origin: 'local' | 'remote'): ClearAnswer {
    const x = this.#find(intersectionId);
    if (!x) return { cleared: false, ...unknown(intersectionId) };
    const now = this.#now();
    const result = x.clearLatch(origin, now);
    this.#log.warn(
      { intersectionId, origin, cleared: result.cleared, reason: result.reason },
      'signal latch clear requested',
    );
    if (result.cleared) {
      this.#raise({
        code: SITE_EVENTS.signalFlash,
        severity: 'critical',
        message: `${intersectionId}: flash cleared locally`,
        timeMs: now,
        active: false,
      });
    }
    return result;
  }

  /**
   * Puts an intersection into flashing amber at an engineer's request (the console checks the
   * role and the confirmation). The running stage ends through its minimum green, yellow and a
   * common red first; the supervisor refuses the flash until all red has been shown.
   */
  flash(intersectionId: string, actor: string): ActionAnswer {
    const x = this.#find(intersectionId);
    if (!x) return { ok: false, ...unknown(intersectionId) };
    const result = x.requestFlash(actor, this.#now());
    this.#log.warn({ intersectionId, actor, ok: result.ok, reason: result.reason }, 'manual flash requested');
    return result;
  }

  /** Ends a manual flash: all red for the full intergreen, then the plan from its first stage. */
  restore(intersectionId: string, actor: string): ActionAnswer {
    const x = this.#find(intersectionId);
    if (!x) return { ok: false, ...unknown(intersectionId) };
    const now = this.#now();
    const result = x.restore(now);
    this.#log.warn(
      { intersectionId, actor, ok: result.ok, reason: result.reason },
      'restore from manual flash requested',
    );
    if (result.ok)
      this.#raise({
        code: SITE_EVENTS.signalManualFlash,
        severity: 'warning',
        message: `${intersectionId}: manual flash ended by ${actor}; all red, then the plan`,
        timeMs: now,
        active: false,
      });
    return result;
  }

  /** Every intersection's operation, mode and plan step (console). */
  states(): SignalState[] {
    return this.#intersections.map(({ controller: x }) => ({
      id: x.id,
      operation: x.operation,
      mode: x.mode,
      plan: x.planLabel,
      planCode: x.planLabelCode,
      ...(x.latch ? { latchReason: x.latch.reason, latchCode: [x.latch.cause] } : {}),
      ...(x.manualFlash ? { manualFlash: x.manualFlash } : {}),
      timingPending: x.timingPending,
    }));
  }

  /** The applied policy whose signal timing still waits for a cycle boundary somewhere, if any. */
  staged(): StagedPolicy | undefined {
    const waitingFor = this.#intersections.filter((x) => x.controller.timingPending).map((x) => x.cfg.id);
    return waitingFor.length > 0 ? { version: this.#timingVersion, waitingFor } : undefined;
  }

  #find(id: string): IntersectionController | undefined {
    return this.#intersections.find((x) => x.cfg.id === id)?.controller;
  }
}
