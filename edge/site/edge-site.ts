// The edge node's runtime: drivers in, control loops in the middle, commands and telemetry out.
// It owns every device's state; the console and sync read snapshots (DeviceView). This file only
// composes the parts, one concept each: the devices and drivers (device-registry.ts), lighting
// (site-lighting.ts), containers (site-waste.ts), intersections (site-signals.ts), telemetry
// (site-telemetry.ts) and the events they raise (site-alarms.ts). Each loop and listener is
// fenced with its own try/catch: one misbehaving part is logged and marked, and the rest of the
// street keeps running.
import type { Logger } from 'pino';
import type { calle } from '../../proto/index.js';
import type { EdgeConfig } from '../config/edge-config.js';
import type { ActionAnswer, ClearAnswer } from '../control/intersection-controller.js';
import { engineFromEnv } from '../control/lighting-controller.js';
import type { DeviceView } from '../devices/device-view.js';
import type { DeviceDriver } from '../devices/driver.js';
import { createBuiltInDrivers } from '../devices/drivers/built-in-drivers.js';
import { refusal, type ReasonPart, type Refusal } from '../../common/reasons/reason.js';
import type { TelemetrySink } from '../telemetry-sink.js';
import type { Engine } from '../../wasm/core.js';
import { DeviceRegistry } from './device-registry.js';
import { checkPolicyBounds, type BoundsVerdict, type CheckedPolicy } from '../policy/policy-bounds.js';
import { invalidVersion, notNewerVersion, versionStanding } from '../policy/policy-version.js';
import { fencedRaise } from './site-alarms.js';
import { SiteLighting, type OverrideAnswer } from './site-lighting.js';
import { SiteSignals, type SignalState, type StagedPolicy } from './site-signals.js';
import { SiteTelemetry } from './site-telemetry.js';
import { COLLECTION_HORIZON_MS, SiteWaste, type CollectionEntry } from './site-waste.js';

export { SITE_EVENTS } from './site-alarms.js';
export type { SignalState, StagedPolicy } from './site-signals.js';
export {
  COLLECTION_HORIZON_MS,
  DEFAULT_COLLECT_AT_FILL,
  DEFAULT_FULL_THRESHOLD,
  type CollectionEntry,
} from './site-waste.js';

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

export class EdgeSite {
  readonly #config: EdgeConfig;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #tickMs: number;
  readonly #drivers = new Map<string, DeviceDriver>();
  readonly #registry: DeviceRegistry;
  readonly #lighting: SiteLighting;
  readonly #signals: SiteSignals;
  readonly #waste: SiteWaste;
  readonly #telemetry: SiteTelemetry;
  #policyVersion = 0;
  #timer: NodeJS.Timeout | undefined;
  #lastTickMs: number | undefined;
  #started: Promise<void> = Promise.resolve();

  constructor(opts: EdgeSiteOptions) {
    const cfg = opts.config;
    this.#config = cfg;
    // The caller names the module (STYLE: libraries receive the logger); a second child here
    // repeated the key in every line.
    const log = (this.#log = opts.log);
    const now = (this.#now = opts.now ?? Date.now);
    this.#tickMs = opts.tickMs ?? 1000;
    for (const d of createBuiltInDrivers(log)) this.#drivers.set(d.name, d);
    for (const d of opts.drivers ?? []) this.#drivers.set(d.name, d);
    const raise = fencedRaise(opts.sink, log);
    const engine = opts.engine ?? engineFromEnv();

    this.#registry = new DeviceRegistry({
      config: cfg,
      drivers: this.#drivers,
      log,
      now,
      raise,
      onValues: (rec, values, timeMs) => {
        this.#lighting.noteValues(rec, values);
        this.#waste.noteValues(rec, values, timeMs);
      },
    });
    const registry = this.#registry;
    this.#lighting = new SiteLighting({ config: cfg, registry, engine, raise, log, now });
    this.#signals = new SiteSignals({ intersections: cfg.intersections, registry, raise, log, now });
    // One kernel batch for all containers, allocated here and never again.
    this.#waste = new SiteWaste({ config: cfg, registry, engine, raise });
    this.#telemetry = new SiteTelemetry(cfg.telemetry.intervalS, {
      registry,
      waste: this.#waste,
      lighting: this.#lighting,
      sink: opts.sink,
    });
  }

  /** 0 until a policy is applied (built-in defaults). */
  get policyVersion(): number {
    return this.#policyVersion;
  }

  /** Starts drivers and the control timer. Driver start failures mark their devices unavailable. */
  start(): void {
    this.#started = this.#registry.start();
    if (this.#tickMs > 0) this.#timer = setInterval(() => this.tick(), this.#tickMs);
    this.#log.info({ edgeId: this.#config.edge.id, devices: this.#registry.size }, 'edge site started');
  }

  /** Resolves when every driver has started (or failed to). */
  async whenStarted(): Promise<void> {
    await this.#started;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#registry.unsubscribe();
    const results = await Promise.allSettled([...this.#drivers.values()].map(async (d) => d.stop()));
    for (const r of results)
      if (r.status === 'rejected') this.#log.error({ err: r.reason as unknown }, 'driver stop failed');
  }

  devices(): DeviceView[] {
    return this.#registry.views();
  }

  onChange(listener: (changed: readonly DeviceView[]) => void): () => void {
    return this.#registry.onChange(listener);
  }

  /** A bundle's bounds against this site (its intersections' plans); the version is not judged. */
  checkPolicy(bundle: calle.v1.IPolicyBundle): BoundsVerdict {
    return checkPolicyBounds(bundle, this.#signals.controllers);
  }

  /**
   * Applies a policy that passed the pipeline (edge/policy/policy-pipeline.ts): trust, version and
   * bounds were judged there. Signal timing waits for each intersection's next cycle boundary.
   */
  apply(p: CheckedPolicy): void {
    if (p.lighting) this.#lighting.setSettings(p.lighting);
    if (p.traffic) this.#signals.setTiming(p.version, p.traffic);
    if (p.waste) this.#waste.setCollectAtFill(p.waste.collectAtFill);
    this.#policyVersion = p.version;
    const sections = ['lighting', 'traffic', 'waste'].filter((s) => s in p);
    // The POLICY_APPLIED event is the node's to raise (the pipeline): it alone knows whether the
    // policy was also verified, stored and audited. Raising it here too sent it twice.
    this.#log.info({ version: p.version, sections }, 'policy applied; signal timing from the next cycle');
  }

  /**
   * Version, bounds and apply in one call, for a site run without the node's pipeline (tests, the
   * lighting replay, the bench): versions must grow past the applied one, as the trust floor
   * makes them on the node. All of it or none of it.
   */
  applyPolicy(bundle: calle.v1.IPolicyBundle): { applied: true } | ({ applied: false } & Refusal) {
    const version = Number(bundle.version ?? 0);
    const standing = versionStanding(version, this.#policyVersion, undefined);
    const problems: ReasonPart[] =
      standing === 'invalid'
        ? [invalidVersion(version)]
        : standing === 'newer'
          ? []
          : [notNewerVersion(version, this.#policyVersion)];
    const checked = this.checkPolicy(bundle);
    if (!checked.ok) problems.push(...checked.problems);
    if (!checked.ok || problems.length > 0) {
      const refused = refusal(...problems);
      this.#log.warn({ version, reason: refused.reason }, 'policy rejected');
      return { applied: false, ...refused };
    }
    this.apply(checked.policy);
    return { applied: true };
  }

  /** Clears a latched flash (site-signals.ts): "remote" is always refused. */
  clearSignalLatch(intersectionId: string, origin: 'local' | 'remote'): ClearAnswer {
    return this.#signals.clearLatch(intersectionId, origin);
  }

  /** Flashing amber at an engineer's request, once the running stage has ended safely. */
  flashIntersection(intersectionId: string, actor: string): ActionAnswer {
    return this.#signals.flash(intersectionId, actor);
  }

  /** Ends a manual flash: all red for the full intergreen, then the plan from its first stage. */
  restoreIntersection(intersectionId: string, actor: string): ActionAnswer {
    return this.#signals.restore(intersectionId, actor);
  }

  /** Every intersection's operation, mode and plan step (console). */
  signalStates(): SignalState[] {
    return this.#signals.states();
  }

  /** The applied policy whose signal timing still waits for a cycle boundary somewhere, if any. */
  stagedPolicy(): StagedPolicy | undefined {
    return this.#signals.staged();
  }

  /** Holds a lighting group at a level for a while (default 30 min), then the schedule again. */
  overrideLighting(
    groupId: string,
    levelPct: number,
    durationS: number | undefined,
    actor: string,
  ): OverrideAnswer {
    return this.#lighting.override(groupId, levelPct, durationS, actor);
  }

  /** Ends a group's override now; the schedule decides from the next tick. */
  clearLightingOverride(groupId: string, actor: string): ActionAnswer {
    return this.#lighting.clearOverride(groupId, actor);
  }

  /** Per lighting group: the deciding rule, class, power and energy (console, tests). */
  lightingGroups(): ReturnType<SiteLighting['groupStates']> {
    return this.#lighting.groupStates();
  }

  /**
   * Containers to collect: full, above the policy's collect_at_fill, or predicted full within
   * `horizonMs` (default 24 h); soonest predicted full first.
   */
  collectionList(horizonMs = COLLECTION_HORIZON_MS): CollectionEntry[] {
    return this.#waste.collectionList(this.#now(), horizonMs);
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
    const fenced = this.#fenced.bind(this);
    fenced('lighting', () => this.#lighting.step(now));
    fenced('waste', () => this.#waste.step(now));
    this.#signals.step(now, fenced);
    if (this.#telemetry.due(now)) fenced('telemetry', () => this.#telemetry.record(now));
    this.#registry.notify();
  }

  #fenced(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#log.error({ err }, `${what} failed`);
    }
  }
}
