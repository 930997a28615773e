// The edge node's runtime: drivers in, control loops in the middle, commands and telemetry out.
// It owns every device's state; the console and sync read snapshots (DeviceView). Each device,
// loop and listener is fenced with its own try/catch: one misbehaving part is logged and marked,
// and the rest of the street keeps running.
import type { Logger } from 'pino';
import type { calle } from '../../proto/index.js';
import type { EdgeConfig } from '../config/edge-config.js';
import type { DetectorReading } from '../control/detector-calls.js';
import { IntersectionController, type SignalOperation } from '../control/intersection-controller.js';
import { engineFromEnv, LightingController } from '../control/lighting-controller.js';
import { CLOCK_SANE_AFTER_MS } from '../control/lighting-loop.js';
import { FireWatch, TiltWatch } from '../control/waste-alarms.js';
import { WasteController, type CollectionItem } from '../control/waste-controller.js';
import { resolveDeviceTypes } from '../devices/catalogue.js';
import { pointCode, pointValueProblem, type DeviceDefinition } from '../devices/definition.js';
import type { DeviceView, PointValue } from '../devices/device-view.js';
import type { DeviceDriver, DriverUpdate } from '../devices/driver.js';
import { createBuiltInDrivers } from '../devices/drivers/built-in-drivers.js';
import type { EdgeEvent, TelemetryReading, TelemetrySink } from '../telemetry-sink.js';
import type { Engine } from '../../wasm/core.js';
import { checkPolicy } from './policy-check.js';

export interface EdgeSiteOptions {
  config: EdgeConfig;
  sink: TelemetrySink;
  log: Logger;
  now?: () => number;
  /** Control period; default 1000. 0 = no timer: the caller drives tick() (tests). */
  tickMs?: number;
  /** Drivers to use instead of the built-in ones of the same name (tests, hardware-in-the-loop). */
  drivers?: readonly DeviceDriver[];
  /** Kernels of the control loops: 'wasm' (default) or the TypeScript 'twin' (CALLE_WASM=off). */
  engine?: Engine;
}

/** Event codes this module raises (the edge's catalogue). */
export const SITE_EVENTS = {
  deviceUnavailable: 'DEVICE_UNAVAILABLE',
  signalFlash: 'SIGNAL_FLASH_LATCHED',
  signalManualFlash: 'SIGNAL_MANUAL_FLASH',
  containerFull: 'CONTAINER_FULL',
  containerEmptied: 'CONTAINER_EMPTIED',
  containerFire: 'CONTAINER_FIRE',
  containerTilted: 'CONTAINER_TILTED',
  lightingOverride: 'LIGHTING_OVERRIDE',
} as const;

/** Default collection threshold until a policy sets one (FIWARE binFullnessThreshold style, 0..1). */
export const DEFAULT_COLLECT_AT_FILL = 0.8;
/**
 * Fill fraction at which a container is full (the overflow alarm, the predicted full time) until
 * the site configuration carries one per container: ultrasonic sensors cannot see the top ~10 %
 * of their range (blind zone), so "full" is set below the sensor.
 */
export const DEFAULT_FULL_THRESHOLD = 0.9;
/** Default look-ahead of the collection list. */
export const COLLECTION_HORIZON_MS = 24 * 3_600_000;

/** One container of the collection list, as the console and sync show it. */
export interface CollectionEntry {
  readonly containerId: string;
  readonly sensorId: string;
  readonly fillPct: number;
  readonly fullAtMs?: number;
  readonly fullLowMs?: number;
  readonly fullHighMs?: number;
  readonly reason: CollectionItem['reason'];
}

/** One intersection's operation, for the console (EdgeSite.signalStates). */
export interface SignalState {
  readonly id: string;
  readonly operation: SignalOperation;
  readonly mode: string;
  /** What the plan does now, or did last before a flash. */
  readonly plan: string;
  readonly latchReason?: string;
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

interface DeviceRecord {
  readonly id: string;
  readonly def: DeviceDefinition;
  readonly driver: DeviceDriver;
  readonly group?: string;
  readonly log: Logger;
  available: boolean;
  lastError?: string;
  /** True once DEVICE_UNAVAILABLE was raised, so the clear is raised exactly once. */
  alarmed: boolean;
  state: Record<string, PointValue>;
  reason?: string;
  updatedMs: number;
  /** Last value written per point; cleared when the device drops, so it is re-asserted. */
  commanded: Record<string, PointValue>;
}

export class EdgeSite {
  readonly #config: EdgeConfig;
  readonly #sink: TelemetrySink;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #tickMs: number;
  readonly #drivers = new Map<string, DeviceDriver>();
  readonly #devices = new Map<string, DeviceRecord>();
  readonly #listeners = new Set<(changed: readonly DeviceView[]) => void>();
  readonly #changed = new Set<string>();
  readonly #lighting: LightingController;
  readonly #intersections: IntersectionController[];
  readonly #waste: WasteController;
  /** Per fill-sensor device: its container and the alarms that are not about fill. */
  readonly #wasteSensors = new Map<string, { containerId: string; fire: FireWatch; tilt: TiltWatch }>();
  readonly #sensorOfContainer = new Map<string, string>();
  /** Lighting groups each detector gives presence to. */
  readonly #presenceGroups = new Map<string, string[]>();
  readonly #unsubscribe: (() => void)[] = [];
  #collectAtFill = DEFAULT_COLLECT_AT_FILL;
  #policyVersion = 0;
  /** The version whose traffic timing was queued last (see stagedPolicy). */
  #timingVersion = 0;
  #timer: NodeJS.Timeout | undefined;
  #lastTelemetryMs: number | undefined;
  #lastTickMs: number | undefined;
  #started: Promise<void> = Promise.resolve();

  constructor(opts: EdgeSiteOptions) {
    this.#config = opts.config;
    this.#sink = opts.sink;
    // The caller names the module (STYLE: libraries receive the logger); a second child here
    // repeated the key in every line.
    this.#log = opts.log;
    this.#now = opts.now ?? Date.now;
    this.#tickMs = opts.tickMs ?? 1000;
    const cfg = opts.config;

    for (const d of createBuiltInDrivers(opts.log)) this.#drivers.set(d.name, d);
    for (const d of opts.drivers ?? []) this.#drivers.set(d.name, d);

    // The loader already checked the types; this only rebuilds them.
    const { types } = resolveDeviceTypes(cfg.deviceTypes, 'deviceTypes');
    const groupOf = new Map<string, string>();
    for (const g of cfg.lightingGroups) for (const l of g.luminaires) groupOf.set(l, g.id);
    for (const x of cfg.intersections) {
      for (const sg of x.signalGroups) groupOf.set(sg.head, x.id);
      for (const d of x.detectors) groupOf.set(d, x.id);
    }
    for (const c of cfg.containers) groupOf.set(c.sensor, c.id);
    for (const g of cfg.lightingGroups) {
      for (const d of g.detectors) {
        this.#presenceGroups.set(d, [...(this.#presenceGroups.get(d) ?? []), g.id]);
        if (!groupOf.has(d)) groupOf.set(d, g.id);
      }
    }

    const startMs = this.#now();
    for (const d of cfg.devices) {
      const def = types.get(d.type);
      const driver = this.#drivers.get(d.driver);
      if (!def || !driver) throw new Error(`device ${d.id}: type or driver missing (config not checked?)`);
      const group = groupOf.get(d.id);
      this.#devices.set(d.id, {
        id: d.id,
        def,
        driver,
        ...(group !== undefined ? { group } : {}),
        log: this.#log.child({ deviceId: d.id }),
        available: false,
        lastError: 'no reading yet',
        alarmed: false,
        state: {},
        updatedMs: startMs,
        commanded: {},
      });
    }

    const paramsOf = new Map(cfg.devices.map((d) => [d.id, d.params]));
    const engine = opts.engine ?? engineFromEnv();
    this.#lighting = new LightingController({
      latitude: cfg.edge.latitude,
      longitude: cfg.edge.longitude,
      groups: cfg.lightingGroups,
      engine,
      luminaire: (id) => {
        const def = this.#devices.get(id)!.def;
        const rated = paramsOf.get(id)?.ratedW;
        const luxPoint = def.points.find((p) => p.access === 'read' && p.unit === 'lx')?.name;
        return {
          id,
          ratedW: typeof rated === 'number' ? rated : (def.limits.ratedW ?? 60),
          standbyW: def.limits.standbyW ?? 0,
          ...(luxPoint !== undefined ? { luxPoint } : {}),
        };
      },
      onOverrideExpired: (groupId, lease) => {
        this.#log.info({ groupId, actor: lease.actor }, 'lighting override expired');
        this.#raise({
          code: SITE_EVENTS.lightingOverride,
          severity: 'info',
          message: `${groupId}: override by ${lease.actor} expired; back to the schedule`,
          timeMs: lease.expiresMs,
          active: false,
        });
      },
      onLampEvent: (event) => this.#raise(event),
    });
    this.#intersections = cfg.intersections.map((x) => new IntersectionController(x, startMs));
    // One kernel batch for all containers, allocated here and never again.
    this.#waste = new WasteController(
      cfg.containers.map((c) => ({ id: c.id, depthCm: c.depthCm, fullThreshold: DEFAULT_FULL_THRESHOLD })),
      { engine },
    );
    for (const c of cfg.containers) {
      this.#wasteSensors.set(c.sensor, { containerId: c.id, fire: new FireWatch(), tilt: new TiltWatch() });
      this.#sensorOfContainer.set(c.id, c.sensor);
    }
  }

  /** 0 until a policy is applied (built-in defaults). */
  get policyVersion(): number {
    return this.#policyVersion;
  }

  /** Starts drivers and the control timer. Driver start failures mark their devices unavailable. */
  start(): void {
    const byDriver = new Map<DeviceDriver, DeviceRecord[]>();
    for (const rec of this.#devices.values())
      byDriver.set(rec.driver, [...(byDriver.get(rec.driver) ?? []), rec]);
    const starts: Promise<void>[] = [];
    for (const [driver, recs] of byDriver) {
      this.#unsubscribe.push(driver.subscribe((u) => this.#onUpdate(u)));
      const params = new Map(this.#config.devices.map((d) => [d.id, d.params]));
      starts.push(
        driver
          .start(recs.map((r) => ({ id: r.id, definition: r.def, params: params.get(r.id) ?? {} })))
          .catch((err: unknown) => {
            this.#log.error({ err, driver: driver.name }, 'driver failed to start');
            for (const r of recs)
              this.#markUnavailable(r, `driver ${driver.name} failed to start: ${String(err)}`, this.#now());
          }),
      );
    }
    this.#started = Promise.all(starts).then(() => undefined);
    if (this.#tickMs > 0) this.#timer = setInterval(() => this.tick(), this.#tickMs);
    this.#log.info({ edgeId: this.#config.edge.id, devices: this.#devices.size }, 'edge site started');
  }

  /** Resolves when every driver has started (or failed to). */
  async whenStarted(): Promise<void> {
    await this.#started;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    for (const off of this.#unsubscribe.splice(0)) off();
    const results = await Promise.allSettled([...this.#drivers.values()].map(async (d) => d.stop()));
    for (const r of results)
      if (r.status === 'rejected') this.#log.error({ err: r.reason as unknown }, 'driver stop failed');
  }

  devices(): DeviceView[] {
    return [...this.#devices.values()].map(toView);
  }

  onChange(listener: (changed: readonly DeviceView[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  applyPolicy(bundle: calle.v1.IPolicyBundle): { applied: true } | { applied: false; reason: string } {
    const checked = checkPolicy(bundle, this.#policyVersion, this.#intersections);
    if (!checked.ok) {
      const reason = checked.problems.join('; ');
      this.#log.warn({ version: bundle.version, reason }, 'policy rejected');
      return { applied: false, reason };
    }
    const p = checked.policy;
    if (p.lighting) this.#lighting.setSettings(p.lighting);
    for (const x of this.#intersections) {
      const timing = p.traffic?.get(x.id);
      if (timing) x.setTiming(timing);
    }
    if (p.traffic) this.#timingVersion = p.version;
    if (p.waste) this.#collectAtFill = p.waste.collectAtFill;
    this.#policyVersion = p.version;
    const sections = ['lighting', 'traffic', 'waste'].filter((s) => s in p);
    // The POLICY_APPLIED event is the node's to raise (edge-node.ts): it alone knows whether the
    // policy was also verified, stored and audited. Raising it here too sent it twice.
    this.#log.info({ version: p.version, sections }, 'policy applied; signal timing from the next cycle');
    return { applied: true };
  }

  /**
   * Clears a latched flash at one intersection. "remote" is always refused; the console calls
   * this with "local" only for a user on the cabinet's own network.
   */
  clearSignalLatch(
    intersectionId: string,
    origin: 'local' | 'remote',
  ): { cleared: boolean; reason?: string } {
    const x = this.#intersections.find((i) => i.id === intersectionId);
    if (!x) return { cleared: false, reason: `unknown intersection "${intersectionId}"` };
    const now = this.#now();
    const result = x.clearLatch(origin, now);
    this.#log.warn({ intersectionId, origin, ...result }, 'signal latch clear requested');
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
  flashIntersection(intersectionId: string, actor: string): { ok: boolean; reason?: string } {
    const x = this.#intersections.find((i) => i.id === intersectionId);
    if (!x) return { ok: false, reason: `unknown intersection "${intersectionId}"` };
    const result = x.requestFlash(actor, this.#now());
    this.#log.warn({ intersectionId, actor, ...result }, 'manual flash requested');
    return result;
  }

  /** Ends a manual flash: all red for the full intergreen, then the plan from its first stage. */
  restoreIntersection(intersectionId: string, actor: string): { ok: boolean; reason?: string } {
    const x = this.#intersections.find((i) => i.id === intersectionId);
    if (!x) return { ok: false, reason: `unknown intersection "${intersectionId}"` };
    const now = this.#now();
    const result = x.restore(now);
    this.#log.warn({ intersectionId, actor, ...result }, 'restore from manual flash requested');
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
  signalStates(): SignalState[] {
    return this.#intersections.map((x) => ({
      id: x.id,
      operation: x.operation,
      mode: x.mode,
      plan: x.planLabel,
      ...(x.latch ? { latchReason: x.latch.reason } : {}),
      ...(x.manualFlash ? { manualFlash: x.manualFlash } : {}),
      timingPending: x.timingPending,
    }));
  }

  /** The applied policy whose signal timing still waits for a cycle boundary somewhere, if any. */
  stagedPolicy(): StagedPolicy | undefined {
    const waitingFor = this.#intersections.filter((x) => x.timingPending).map((x) => x.id);
    return waitingFor.length > 0 ? { version: this.#timingVersion, waitingFor } : undefined;
  }

  /**
   * Holds a lighting group at `levelPct` for `durationS` (default 30 min), then returns it to the
   * schedule on its own. Refused while the clock is unset: the lease could not be timed.
   */
  overrideLighting(
    groupId: string,
    levelPct: number,
    durationS: number | undefined,
    actor: string,
  ): { ok: true; expiresMs: number } | { ok: false; reason: string } {
    if (!this.#lighting.hasGroup(groupId))
      return { ok: false, reason: `unknown lighting group "${groupId}"` };
    const now = this.#now();
    if (!(now >= CLOCK_SANE_AFTER_MS))
      return { ok: false, reason: 'clock not set: an override lease cannot be timed' };
    const result = this.#lighting.override(groupId, levelPct, durationS, actor, now);
    this.#log.warn({ groupId, levelPct, durationS, actor, ...result }, 'lighting override requested');
    if (result.ok) {
      this.#raise({
        code: SITE_EVENTS.lightingOverride,
        severity: 'info',
        message: `${groupId}: override by ${actor} → ${levelPct} % until ${new Date(result.expiresMs).toISOString()}`,
        timeMs: now,
        active: true,
      });
    }
    return result;
  }

  /** Ends a group's override now; the schedule decides from the next tick. */
  clearLightingOverride(groupId: string, actor: string): { ok: boolean; reason?: string } {
    if (!this.#lighting.hasGroup(groupId))
      return { ok: false, reason: `unknown lighting group "${groupId}"` };
    if (!this.#lighting.clearOverride(groupId)) return { ok: false, reason: `no override on "${groupId}"` };
    const now = this.#now();
    this.#log.warn({ groupId, actor }, 'lighting override cleared');
    this.#raise({
      code: SITE_EVENTS.lightingOverride,
      severity: 'info',
      message: `${groupId}: override cleared by ${actor}`,
      timeMs: now,
      active: false,
    });
    return { ok: true };
  }

  /** Per lighting group: the deciding rule, class, power and energy (console, tests). */
  lightingGroups(): ReturnType<LightingController['groupStates']> {
    return this.#lighting.groupStates();
  }

  /**
   * Containers to collect: full, above the policy's collect_at_fill, or predicted full within
   * `horizonMs` (default 24 h); soonest predicted full first.
   */
  collectionList(horizonMs = COLLECTION_HORIZON_MS): CollectionEntry[] {
    return this.#waste.collectionList(this.#now(), horizonMs, this.#collectAtFill).map((c) => ({
      containerId: c.containerId,
      sensorId: this.#sensorOfContainer.get(c.containerId)!,
      fillPct: fillPct(c.fill ?? 0),
      ...(c.fullAtMs !== undefined ? { fullAtMs: c.fullAtMs } : {}),
      ...(c.fullLowMs !== undefined ? { fullLowMs: c.fullLowMs } : {}),
      ...(c.fullHighMs !== undefined ? { fullHighMs: c.fullHighMs } : {}),
      reason: c.reason,
    }));
  }

  /** When the last control step began (wall clock), or undefined before the first; the systemd watchdog reads it. */
  get lastTickMs(): number | undefined {
    return this.#lastTickMs;
  }

  /** One control step: sample drivers, run the loops, report telemetry when due, notify. */
  tick(): void {
    const now = this.#now();
    this.#lastTickMs = Date.now();
    for (const driver of this.#drivers.values()) {
      try {
        driver.sample?.(now);
      } catch (err) {
        this.#log.error({ err, driver: driver.name }, 'driver sample failed');
      }
    }
    this.#fenced('lighting', () => this.#runLighting(now));
    this.#fenced('waste', () => this.#runWaste(now));
    for (const x of this.#intersections)
      this.#fenced(`intersection ${x.id}`, () => this.#runIntersection(x, now));
    if (
      this.#lastTelemetryMs === undefined ||
      now - this.#lastTelemetryMs >= this.#config.telemetry.intervalS * 1000
    ) {
      this.#lastTelemetryMs = now;
      this.#fenced('telemetry', () => this.#recordTelemetry(now));
    }
    this.#notify();
  }

  readonly #lightingReadings = {
    available: (id: string): boolean => this.#devices.get(id)?.available ?? false,
    number: (id: string, point: string): number | undefined => {
      const v = this.#devices.get(id)?.state[point];
      return typeof v === 'number' ? v : undefined;
    },
  };

  #runLighting(now: number): void {
    this.#lighting.step(now, this.#lightingReadings);
    this.#lighting.forEachLevel((id, levelPct, reason) => {
      const rec = this.#devices.get(id)!;
      // A DALI driver cannot hold less than its minimum level; 0 stays off.
      const min = rec.def.limits.minLevelPct ?? 0;
      this.#command(rec, 'level', levelPct > 0 ? Math.max(min, levelPct) : 0, reason, now);
    });
  }

  /** Runs the waste kernel over the readings queued since the last tick. */
  #runWaste(now: number): void {
    for (const r of this.#waste.step(now)) {
      const rec = this.#devices.get(this.#sensorOfContainer.get(r.containerId)!)!;
      if (r.fill !== undefined) {
        const state: Record<string, PointValue> = { ...rec.state, fill: fillPct(r.fill) };
        // The console shows the prediction; absent keys mean "no prediction".
        delete state.fullAtMs;
        delete state.fullLowMs;
        delete state.fullHighMs;
        if (r.fullAtMs !== undefined) state.fullAtMs = r.fullAtMs;
        if (r.fullLowMs !== undefined) state.fullLowMs = r.fullLowMs;
        if (r.fullHighMs !== undefined) state.fullHighMs = r.fullHighMs;
        rec.state = state;
        this.#changed.add(rec.id);
      } else if (r.outcome !== 'accepted') {
        rec.log.debug({ outcome: r.outcome }, 'fill reading ignored');
      }
      if (r.emptied) {
        this.#raise({
          deviceId: rec.id,
          code: SITE_EVENTS.containerEmptied,
          severity: 'info',
          message: `${r.containerId}: emptied (now ${fillPct(r.fill ?? 0)} %)`,
          timeMs: now,
          active: false,
        });
      }
      if (r.fullChanged) {
        this.#raise({
          deviceId: rec.id,
          code: SITE_EVENTS.containerFull,
          severity: 'warning',
          message: `${r.containerId}: ${fillPct(r.fill ?? 0)} % full (full at ${DEFAULT_FULL_THRESHOLD * 100} %)`,
          timeMs: now,
          active: r.full,
        });
      }
    }
  }

  #runIntersection(x: IntersectionController, now: number): void {
    const cfg = this.#config.intersections.find((i) => i.id === x.id)!;
    const unavailable = cfg.signalGroups
      .filter((sg) => !this.#devices.get(sg.head)!.available)
      .map((sg) => sg.head);
    // Heads that have never answered yet are not a fault: the intersection starts once they do.
    const failed = unavailable.filter((h) => this.#devices.get(h)!.alarmed);
    if (unavailable.length > 0 && failed.length === 0) return;
    const readings = new Map<string, DetectorReading>();
    for (const d of cfg.detectors) {
      const rec = this.#devices.get(d);
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
    for (const sg of cfg.signalGroups) {
      this.#command(this.#devices.get(sg.head)!, 'aspect', step.aspects[sg.id] ?? 'flash', step.reason, now);
    }
  }

  #recordTelemetry(now: number): void {
    const readings: TelemetryReading[] = [];
    for (const rec of this.#devices.values()) {
      if (!rec.available) continue;
      for (const p of rec.def.points) {
        if (p.metric === undefined) continue;
        const value = pointCode(p, rec.state[p.name]);
        if (value !== undefined) readings.push({ deviceId: rec.id, metric: p.metric, value, timeMs: now });
      }
    }
    // Container predictions go with the sensor's fill.pct; none while there is no prediction.
    for (const [sensor, w] of this.#wasteSensors) {
      const p = this.#waste.prediction(w.containerId);
      if (!p || !this.#devices.get(sensor)!.available) continue;
      for (const [metric, value] of [
        ['full_at.ms', p.fullAtMs],
        ['full_low.ms', p.fullLowMs],
        ['full_high.ms', p.fullHighMs],
      ] as const) {
        if (value !== undefined) readings.push({ deviceId: sensor, metric, value, timeMs: now });
      }
    }
    // Lighting groups report as items of their own: power now and energy since start (a counter).
    for (const g of this.#lighting.groupStates()) {
      readings.push({
        deviceId: g.id,
        metric: 'power.w',
        value: Math.round(g.powerW * 10) / 10,
        timeMs: now,
      });
      readings.push({
        deviceId: g.id,
        metric: 'energy.wh',
        value: Math.round(g.energyWh * 1000) / 1000,
        timeMs: now,
      });
    }
    if (readings.length > 0) this.#sink.record(readings);
  }

  #command(rec: DeviceRecord, point: string, value: PointValue, reason: string, now: number): void {
    if (rec.reason !== reason) {
      rec.reason = reason;
      rec.updatedMs = now;
      this.#changed.add(rec.id);
    }
    if (!rec.available || rec.commanded[point] === value) return;
    rec.commanded[point] = value;
    rec.driver.write(rec.id, point, value).catch((err: unknown) => {
      delete rec.commanded[point];
      rec.log.warn({ err, point, value }, 'write failed');
      this.#markUnavailable(
        rec,
        `write ${point}=${String(value)} failed: ${err instanceof Error ? err.message : String(err)}`,
        this.#now(),
      );
    });
  }

  #onUpdate(u: DriverUpdate): void {
    const rec = this.#devices.get(u.deviceId);
    if (!rec) return;
    this.#fenced(`device ${rec.id}`, () => {
      if ('error' in u) return this.#markUnavailable(rec, u.error, u.timeMs);
      const values: Record<string, PointValue> = {};
      for (const [name, v] of Object.entries(u.values)) {
        const p = rec.def.points.find((q) => q.name === name);
        const problem = p ? pointValueProblem(p, v) : `unknown point "${name}"`;
        if (problem !== undefined) rec.log.warn({ point: name, value: v }, `reading dropped: ${problem}`);
        else values[name] = v;
      }
      this.#markAvailable(rec, u.timeMs);
      this.#onValues(rec, values, u.timeMs);
      if (Object.entries(values).some(([k, v]) => rec.state[k] !== v)) {
        rec.state = { ...rec.state, ...values };
        rec.updatedMs = u.timeMs;
        this.#changed.add(rec.id);
      }
    });
  }

  /** Side effects of fresh values: presence for lighting, fill for containers. */
  #onValues(rec: DeviceRecord, values: Record<string, PointValue>, timeMs: number): void {
    const count = values.count;
    if (typeof count === 'number' && this.#presenceGroups.has(rec.id))
      this.#lighting.noteCount(rec.id, count);
    const waste = this.#wasteSensors.get(rec.id);
    if (waste) this.#onContainerValues(rec, waste, values, timeMs);
  }

  /** Queues the fill reading for the next kernel step; fire and tilt are judged at once. */
  #onContainerValues(
    rec: DeviceRecord,
    w: { containerId: string; fire: FireWatch; tilt: TiltWatch },
    values: Record<string, PointValue>,
    timeMs: number,
  ): void {
    // `fill` is derived here, never taken from a device.
    delete values.fill;
    const temperature = values.temperature ?? rec.state.temperature;
    if (typeof values.distance === 'number') {
      // A second reading before the tick: step the first so that none is lost.
      if (this.#waste.isPending(w.containerId)) this.#runWaste(timeMs);
      this.#waste.observe(
        w.containerId,
        values.distance,
        typeof temperature === 'number' ? temperature : Number.NaN,
      );
    }
    if (typeof values.temperature === 'number') {
      const fire = w.fire.update(values.temperature, timeMs);
      if (fire.change) {
        this.#raise({
          deviceId: rec.id,
          code: SITE_EVENTS.containerFire,
          severity: 'critical',
          message: `${w.containerId}: ${fire.change === 'raised' ? 'possible fire' : 'fire alarm cleared'}, ${fire.reason}`,
          timeMs,
          active: fire.change === 'raised',
        });
      }
    }
    const tiltValue = values.tilt;
    if (tiltValue !== undefined) {
      const tilt = w.tilt.update(tiltValue);
      if (tilt) {
        this.#raise({
          deviceId: rec.id,
          code: SITE_EVENTS.containerTilted,
          severity: 'warning',
          message: `${w.containerId}: ${tilt === 'raised' ? 'tilted' : 'upright again'} (tilt ${String(tiltValue)})`,
          timeMs,
          active: tilt === 'raised',
        });
      }
    }
  }

  #markUnavailable(rec: DeviceRecord, error: string, timeMs: number): void {
    const wasAvailable = rec.available;
    if (!wasAvailable && rec.lastError === error && rec.alarmed) return;
    rec.available = false;
    rec.lastError = error;
    rec.commanded = {};
    rec.updatedMs = timeMs;
    this.#changed.add(rec.id);
    if (!rec.alarmed) {
      rec.alarmed = true;
      rec.log.warn({ error }, 'device unavailable');
      this.#raise({
        deviceId: rec.id,
        code: SITE_EVENTS.deviceUnavailable,
        severity: rec.def.kind === 'signal-head' ? 'critical' : 'warning',
        message: `${rec.id} unavailable: ${error}`,
        timeMs,
        active: true,
      });
    }
  }

  #markAvailable(rec: DeviceRecord, timeMs: number): void {
    if (rec.available) return;
    rec.available = true;
    delete rec.lastError;
    rec.updatedMs = timeMs;
    this.#changed.add(rec.id);
    if (rec.alarmed) {
      rec.alarmed = false;
      rec.log.info('device available again');
      this.#raise({
        deviceId: rec.id,
        code: SITE_EVENTS.deviceUnavailable,
        severity: 'info',
        message: `${rec.id} available again`,
        timeMs,
        active: false,
      });
    }
  }

  #raise(event: EdgeEvent): void {
    try {
      this.#sink.raise(event);
    } catch (err) {
      this.#log.error({ err, code: event.code }, 'sink refused an event');
    }
  }

  #notify(): void {
    if (this.#changed.size === 0) return;
    const changed = [...this.#changed].map((id) => toView(this.#devices.get(id)!));
    this.#changed.clear();
    for (const listener of this.#listeners) {
      try {
        listener(changed);
      } catch (err) {
        this.#log.error({ err }, 'change listener threw');
      }
    }
  }

  #fenced(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#log.error({ err }, `${what} failed`);
    }
  }
}

/** Fill fraction → percent with one decimal (the sensor's 1 cm is ~0.7 % of a 150 cm container). */
function fillPct(fill: number): number {
  return Math.round(fill * 1000) / 10;
}

function toView(rec: DeviceRecord): DeviceView {
  return Object.freeze({
    id: rec.id,
    type: rec.def.name,
    kind: rec.def.kind,
    driver: rec.driver.name,
    ...(rec.group !== undefined ? { group: rec.group } : {}),
    available: rec.available,
    ...(rec.lastError !== undefined ? { lastError: rec.lastError } : {}),
    state: Object.freeze({ ...rec.state }),
    ...(rec.reason !== undefined ? { reason: rec.reason } : {}),
    updatedMs: rec.updatedMs,
  });
}
