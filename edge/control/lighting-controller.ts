// Lighting per group, once per control tick: the schedule (lighting-loop.ts) gives a level and
// its rule; this adds the traffic-adaptive class (CEN/TR 13201-1, lighting-class.ts), the
// presence boost with hold, the photocell with hysteresis, ramp limits and override leases, and
// counts each group's energy. The per-luminaire arithmetic runs in the WASM core's lighting
// kernel (wasm/lighting.ts documents it), one batch per group — allocated here, once, because
// the core's arena never frees — so that ramps and photocell thresholds can differ per group.
//
// Precedence, highest first, and the rule each names in its reason:
//   override (a lease) > fail-on (clock, schedule or policy unknown) > day > photocell "light"
//   > presence boost > lighting class > schedule step.
// Fail-on also disables dimming by class and photocell: nothing the node is unsure of may darken
// a street. An override is the one rule above it: a technician at the cabinet sees the street.
import type { LightingGroupConfig } from '../config/edge-config.js';
import { LightingBatch, type Engine } from '../../wasm/core.js';
import {
  classLabel,
  classRatio,
  classSpec,
  DEFAULT_TRAFFIC_BANDS,
  TrailingFlow,
  trafficBandName,
  trafficWeight,
  type ClassSpec,
} from './lighting-class.js';
import { LightingLoop, type LightingDecision, type LightingSettings } from './lighting-loop.js';
import { LightingOverrides, overrideReason, type OverrideLease } from './lighting-overrides.js';

/** The engine from the environment: CALLE_WASM=off runs the TypeScript twins. */
export function engineFromEnv(env: NodeJS.ProcessEnv = process.env): Engine {
  return env.CALLE_WASM === 'off' ? 'twin' : 'wasm';
}

/** Photocell defaults: on at dusk below 30 lx, off above 60 lx (kernel defaults). */
const DEFAULT_PHOTOCELL = { onLux: 30, offLux: 60 };
const DEFAULT_PERIOD_MIN = 15;
/** A longer gap between ticks (a suspended process) is not integrated: holds and energy stop. */
const MAX_DT_S = 60;

/** One luminaire as the controller needs it. */
export interface LuminaireSpec {
  readonly id: string;
  /** Rated power, W: models power while no meter reading is available. */
  readonly ratedW: number;
  /** A read point in lx on this device, used as the group's photocell. */
  readonly luxPoint?: string;
}

/** What the controller reads from the site each tick (no copies: the site's live state). */
export interface LightingReadings {
  available(deviceId: string): boolean;
  /** A number point's current value, or undefined. */
  number(deviceId: string, point: string): number | undefined;
}

interface GroupRuntime {
  readonly cfg: LightingGroupConfig;
  readonly cls: ClassSpec;
  readonly luminaires: readonly LuminaireSpec[];
  readonly batch: LightingBatch;
  readonly flow: TrailingFlow | undefined;
  readonly offLux: number;
  /** A detector counted a vehicle since the last tick. */
  presence: boolean;
  presenceSource: string;
  reason: string;
  energyWh: number;
  powerW: number;
}

export interface LightingControllerOptions {
  readonly latitude: number;
  readonly longitude: number;
  readonly groups: readonly LightingGroupConfig[];
  /** Luminaire specs by id (every luminaire of every group). */
  readonly luminaire: (id: string) => LuminaireSpec;
  readonly engine: Engine;
  /** Told once when a lease runs out on its own. */
  readonly onOverrideExpired?: (groupId: string, lease: OverrideLease) => void;
}

export class LightingController {
  readonly engine: Engine;
  readonly #schedule: LightingLoop;
  readonly #groups: GroupRuntime[];
  readonly #byId = new Map<string, GroupRuntime>();
  /** Groups each detector serves, and its last counter reading. */
  readonly #detectorGroups = new Map<string, GroupRuntime[]>();
  readonly #lastCount = new Map<string, number>();
  readonly #overrides = new LightingOverrides();
  readonly #onExpired: ((groupId: string, lease: OverrideLease) => void) | undefined;
  #lastMs: number | undefined;

  constructor(opts: LightingControllerOptions) {
    this.engine = opts.engine;
    this.#onExpired = opts.onOverrideExpired;
    this.#schedule = new LightingLoop({
      latitude: opts.latitude,
      longitude: opts.longitude,
      engine: opts.engine,
    });
    this.#groups = opts.groups.map((cfg) => {
      const cls = classSpec(cfg.lightingClass);
      const photocell = cfg.photocell ?? DEFAULT_PHOTOCELL;
      const ramp = cfg.fadeS ?? 0;
      const luminaires = cfg.luminaires.map(opts.luminaire);
      const batch = new LightingBatch(
        luminaires.length,
        { ...photocell, rampUpS: ramp, rampDownS: ramp },
        opts.engine,
      );
      luminaires.forEach((l, i) =>
        batch.setup(i, {
          designClass: cls.number,
          series: cls.series,
          ratedW: l.ratedW,
          boostPct: 0,
          holdS: 0,
        }),
      );
      const g: GroupRuntime = {
        cfg,
        cls,
        luminaires,
        batch,
        flow: cfg.adaptive
          ? new TrailingFlow((cfg.adaptive.periodMin ?? DEFAULT_PERIOD_MIN) * 60)
          : undefined,
        offLux: photocell.offLux,
        presence: false,
        presenceSource: '',
        reason: 'not decided yet',
        energyWh: 0,
        powerW: 0,
      };
      this.#byId.set(cfg.id, g);
      for (const d of cfg.detectors) this.#detectorGroups.set(d, [...(this.#detectorGroups.get(d) ?? []), g]);
      return g;
    });
    this.setSettings(undefined);
  }

  /** A validated policy's lighting section, or undefined for the built-in default. */
  setSettings(settings: LightingSettings | undefined): void {
    this.#schedule.setSettings(settings);
    const { presenceHoldS } = this.#schedule.settings;
    for (const g of this.#groups) g.batch.views.holdS.fill(presenceHoldS);
  }

  get settings(): LightingSettings {
    return this.#schedule.settings;
  }

  hasGroup(groupId: string): boolean {
    return this.#byId.has(groupId);
  }

  /** A detector's cumulative counter: presence for its groups, and traffic for their class. */
  noteCount(detectorId: string, count: number): void {
    const groups = this.#detectorGroups.get(detectorId);
    if (!groups) return;
    const last = this.#lastCount.get(detectorId);
    this.#lastCount.set(detectorId, count);
    if (last === undefined || count === last) return;
    for (const g of groups) {
      if (count < last) {
        g.flow?.taint();
        continue;
      }
      g.flow?.add(count - last);
      g.presence = true;
      g.presenceSource = detectorId;
    }
  }

  override(groupId: string, levelPct: number, durationS: number | undefined, actor: string, nowMs: number) {
    return this.#overrides.grant(groupId, levelPct, durationS, actor, nowMs);
  }

  clearOverride(groupId: string): boolean {
    return this.#overrides.clear(groupId);
  }

  /** Runs every group's kernel for `nowMs`. Reads the site through `readings`; never throws per group. */
  step(nowMs: number, readings: LightingReadings): void {
    const dtS =
      this.#lastMs === undefined ? 0 : Math.min(MAX_DT_S, Math.max(0, (nowMs - this.#lastMs) / 1000));
    this.#lastMs = nowMs;
    const sched = this.#schedule.decide(nowMs);
    const day = sched.day === true;
    const boostPct = this.#schedule.settings.presenceLevelPct;
    for (const g of this.#groups) this.#stepGroup(g, nowMs, dtS, sched, day, boostPct, readings);
  }

  #stepGroup(
    g: GroupRuntime,
    nowMs: number,
    dtS: number,
    sched: LightingDecision,
    day: boolean,
    boostPct: number,
    readings: LightingReadings,
  ): void {
    const v = g.batch.views;
    const lease = this.#overrides.active(g.cfg.id, nowMs, (l) => this.#onExpired?.(g.cfg.id, l));
    let trafficW = Number.NaN;
    let flow: number | undefined;
    if (g.flow) {
      for (const d of g.cfg.detectors) if (!readings.available(d)) g.flow.taint();
      g.flow.advance(nowMs);
      flow = g.flow.flowVehPerHour;
      const a = g.cfg.adaptive!;
      if (flow !== undefined)
        trafficW = trafficWeight(flow, a.capacityVehPerHour, a.trafficBands ?? DEFAULT_TRAFFIC_BANDS);
    }
    const free = !lease && !sched.failOn;
    // Presence does not boost by day or under an override; it still counts as traffic.
    const presence = g.presence && !day && !lease ? 1 : 0;
    g.presence = false;
    const lux = free ? this.#groupLux(g, readings) : Number.NaN;
    const weightSum =
      free && g.flow && !Number.isNaN(trafficW) ? g.cfg.adaptive!.otherWeights + trafficW : Number.NaN;
    v.schedulePct.fill(lease ? lease.levelPct : sched.levelPct);
    v.weightSum.fill(weightSum);
    v.presence.fill(presence);
    v.lux.fill(lux);
    v.boostPct.fill(day || lease ? 0 : boostPct);
    // With no reading (none fitted, device lost, override, fail-on) the photocell's state is
    // forgotten: a remembered "light" must not hold a street dark once nothing confirms it.
    if (Number.isNaN(lux)) v.dark.fill(Number.NaN);
    g.batch.step(dtS);

    // Energy: the luminaire's meter where it reports, the kernel's model of its power otherwise.
    let powerW = 0;
    for (let i = 0; i < g.luminaires.length; i++) {
      const id = g.luminaires[i]!.id;
      const measured = readings.available(id) ? readings.number(id, 'power') : undefined;
      powerW += measured ?? v.powerW[i]!;
    }
    g.powerW = powerW;
    g.energyWh += (powerW * dtS) / 3600;
    g.reason = this.#reason(g, sched, lease, flow, trafficW);
  }

  /** The darkest available ambient reading of the group, NaN with none: dark wins (lights on). */
  #groupLux(g: GroupRuntime, readings: LightingReadings): number {
    let lux = Number.NaN;
    for (const l of g.luminaires) {
      if (l.luxPoint === undefined || !readings.available(l.id)) continue;
      const x = readings.number(l.id, l.luxPoint);
      if (x !== undefined && !(x >= lux)) lux = x;
    }
    return lux;
  }

  /** The deciding rule, read back from the kernel's outputs of the group's first luminaire. */
  #reason(
    g: GroupRuntime,
    sched: LightingDecision,
    lease: OverrideLease | undefined,
    flow: number | undefined,
    trafficW: number,
  ): string {
    const v = g.batch.views;
    const target = v.targetPct[0]!;
    const ramp = Math.abs(v.levelPct[0]! - target) > 0.05 ? ` (ramping to ${round1(target)} %)` : '';
    if (lease) return overrideReason(lease) + ramp;
    if (sched.failOn || sched.day) return sched.reason + ramp;
    if (v.dark[0] === 0) return `photocell: light (≥ ${g.offLux} lx) → off; ${sched.reason}${ramp}`;
    const cls = v.lightingClass[0]!;
    let base = sched.reason;
    if (cls !== g.cls.number) {
      const ratio = classRatio(g.cls.series, g.cls.number, cls);
      const label = classLabel(g.cls.series, cls);
      const design = classLabel(g.cls.series, g.cls.number);
      base =
        `class ${label} for ${trafficBandName(trafficW)} traffic (${Math.round(flow ?? 0)} veh/h of ` +
        `${g.cfg.adaptive!.capacityVehPerHour}; design ${design}) → ${round1(ratio * 100)} % of ${sched.reason}`;
    }
    const boost = v.boostPct[0]!;
    if (
      v.holdLeftS[0]! > 0 &&
      boost > 0 &&
      target === boost &&
      boost > sched.levelPct * classRatio(g.cls.series, g.cls.number, cls)
    )
      return `presence: ${g.presenceSource} (hold ${v.holdS[0]} s) → ${boost} %; ${base}${ramp}`;
    return base + ramp;
  }

  /** Visits every luminaire with its level now (after ramp), for the site to command. */
  forEachLevel(fn: (luminaireId: string, levelPct: number, reason: string) => void): void {
    for (const g of this.#groups) {
      const levels = g.batch.views.levelPct;
      for (let i = 0; i < g.luminaires.length; i++) fn(g.luminaires[i]!.id, round1(levels[i]!), g.reason);
    }
  }

  /** Per group: reason, class now, power (W) and energy since start (Wh), for telemetry and the console. */
  groupStates(): { id: string; reason: string; lightingClass: string; powerW: number; energyWh: number }[] {
    return this.#groups.map((g) => ({
      id: g.cfg.id,
      reason: g.reason,
      lightingClass: g.cls.adaptable
        ? classLabel(g.cls.series, g.batch.views.lightingClass[0]!)
        : g.cfg.lightingClass,
      powerW: g.powerW,
      energyWh: g.energyWh,
    }));
  }
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
