// The street's lighting as the site runs it: the lighting controller (edge/control/) fed with
// the site's luminaires and detectors, its levels written to the luminaires, and the override
// leases a technician takes at the console, each raised as a LIGHTING_OVERRIDE event when
// granted, cleared or run out. The level and its reason come whole from the controller: this
// file writes them and decides nothing about them.
import type { Logger } from 'pino';
import type { EdgeConfig } from '../config/edge-config.js';
import { LightingController, type LightingReadings } from '../control/lighting-controller.js';
import { CLOCK_SANE_AFTER_MS, type LightingSettings } from '../control/lighting-loop.js';
import type { PointValue } from '../devices/device-view.js';
import type { Engine } from '../../wasm/core.js';
import type { DeviceRecord, DeviceRegistry } from './device-registry.js';
import { part, refusal, type Refusal } from '../../common/reasons/reason.js';
import { SITE_EVENTS, type RaiseEvent } from './site-alarms.js';

const unknownGroup = (id: string): Refusal => refusal(part('action.unknownGroup', { id }));

export interface SiteLightingOptions {
  readonly config: EdgeConfig;
  readonly registry: DeviceRegistry;
  readonly engine: Engine;
  readonly raise: RaiseEvent;
  readonly log: Logger;
  readonly now: () => number;
}

export type OverrideAnswer = { ok: true; expiresMs: number } | ({ ok: false } & Refusal);

export class SiteLighting {
  readonly #o: SiteLightingOptions;
  readonly #controller: LightingController;
  /** Detectors that give some lighting group presence. */
  readonly #presenceDetectors: ReadonlySet<string>;
  readonly #readings: LightingReadings;

  constructor(opts: SiteLightingOptions) {
    this.#o = opts;
    const { config: cfg, registry } = opts;
    this.#presenceDetectors = new Set(cfg.lightingGroups.flatMap((g) => g.detectors));
    this.#readings = {
      available: (id) => registry.find(id)?.available ?? false,
      number: (id, point) => {
        const v = registry.find(id)?.state[point];
        return typeof v === 'number' ? v : undefined;
      },
    };
    this.#controller = new LightingController({
      latitude: cfg.edge.latitude,
      longitude: cfg.edge.longitude,
      groups: cfg.lightingGroups,
      engine: opts.engine,
      luminaire: (id) => {
        const { def, params } = registry.get(id);
        const rated = params.ratedW;
        const luxPoint = def.points.find((p) => p.access === 'read' && p.unit === 'lx')?.name;
        return {
          id,
          ratedW: typeof rated === 'number' ? rated : (def.limits.ratedW ?? 60),
          standbyW: def.limits.standbyW ?? 0,
          ...(def.limits.minLevelPct !== undefined ? { minLevelPct: def.limits.minLevelPct } : {}),
          ...(luxPoint !== undefined ? { luxPoint } : {}),
        };
      },
      onOverrideExpired: (groupId, lease) => {
        opts.log.info({ groupId, actor: lease.actor }, 'lighting override expired');
        opts.raise({
          code: SITE_EVENTS.lightingOverride,
          severity: 'info',
          message: `${groupId}: override by ${lease.actor} expired; back to the schedule`,
          timeMs: lease.expiresMs,
          active: false,
        });
      },
      onLampEvent: (event) => opts.raise(event),
    });
  }

  /** A validated policy's lighting section, or undefined for the built-in default. */
  setSettings(settings: LightingSettings | undefined): void {
    this.#controller.setSettings(settings);
  }

  /** One control step: every group's level, written to its luminaires with its reason. */
  step(now: number): void {
    this.#controller.step(now, this.#readings);
    const { registry } = this.#o;
    this.#controller.forEachLevel((id, levelPct, reason) =>
      registry.command(registry.get(id), 'level', levelPct, reason, now),
    );
  }

  /** Fresh values of a device: a detector's counter is presence and traffic for its groups. */
  noteValues(rec: DeviceRecord, values: Readonly<Record<string, PointValue>>): void {
    const count = values.count;
    if (typeof count === 'number' && this.#presenceDetectors.has(rec.id))
      this.#controller.noteCount(rec.id, count);
  }

  /**
   * Holds a lighting group at `levelPct` for `durationS` (default 30 min), then returns it to the
   * schedule on its own. Refused while the clock is unset: the lease could not be timed.
   */
  override(groupId: string, levelPct: number, durationS: number | undefined, actor: string): OverrideAnswer {
    if (!this.#controller.hasGroup(groupId)) return { ok: false, ...unknownGroup(groupId) };
    const now = this.#o.now();
    if (!(now >= CLOCK_SANE_AFTER_MS)) return { ok: false, ...refusal(part('action.noClock')) };
    const result = this.#controller.override(groupId, levelPct, durationS, actor, now);
    this.#o.log.warn({ groupId, levelPct, durationS, actor, ...result }, 'lighting override requested');
    // The lease's own bounds check words its refusal ("levelPct: 120 is outside 0..100").
    if (!result.ok) return { ok: false, ...refusal(part('action.invalid', { detail: result.reason })) };
    this.#o.raise({
      code: SITE_EVENTS.lightingOverride,
      severity: 'info',
      message: `${groupId}: override by ${actor} → ${levelPct} % until ${new Date(result.expiresMs).toISOString()}`,
      timeMs: now,
      active: true,
    });
    return result;
  }

  /** Ends a group's override now; the schedule decides from the next tick. */
  clearOverride(groupId: string, actor: string): { ok: boolean } & Partial<Refusal> {
    if (!this.#controller.hasGroup(groupId)) return { ok: false, ...unknownGroup(groupId) };
    if (!this.#controller.clearOverride(groupId))
      return { ok: false, ...refusal(part('action.noOverride', { id: groupId })) };
    const now = this.#o.now();
    this.#o.log.warn({ groupId, actor }, 'lighting override cleared');
    this.#o.raise({
      code: SITE_EVENTS.lightingOverride,
      severity: 'info',
      message: `${groupId}: override cleared by ${actor}`,
      timeMs: now,
      active: false,
    });
    return { ok: true };
  }

  /** Per lighting group: the deciding rule, class, power and energy (console, telemetry). */
  groupStates(): ReturnType<LightingController['groupStates']> {
    return this.#controller.groupStates();
  }
}
