// Lighting per group, once per control tick: the schedule (lighting-loop.ts) gives a level and
// its rule; this adds constant light output (lumen-maintenance.ts), the traffic-adaptive class
// (CEN/TR 13201-1, lighting-class.ts, with per-period weights), the presence boost with hold,
// the photocell with hysteresis, ramp limits and override leases; each luminaire's commanded
// level, energy and lamp watch follow in luminaire-level.ts. The per-luminaire arithmetic runs in
// the WASM core's lighting kernel (wasm/lighting.ts documents it), one batch per group — allocated here, once, because
// the core's arena never frees — so that ramps and photocell thresholds can differ per group.
//
// Precedence, highest first, and the rule each names in its reason:
//   override (a lease) > fail-on (clock, schedule or policy unknown) > day > photocell "light"
//   > presence boost > lighting class > constant light output > schedule step.
// Constant light output scales the schedule and the boost, never an override or fail-on: those
// are levels a person or the fail-safe chose, not design light.
// Fail-on also disables dimming by class and photocell: nothing the node is unsure of may darken
// a street. An override is the one rule above it: a technician at the cabinet sees the street.
import type { LightingGroupConfig, LightingPeriodConfig } from '../config/edge-config.js';
import type { EdgeEvent } from '../telemetry-sink.js';
import { LightingBatch, type Engine } from '../../wasm/core.js';
import {
  classLabel,
  classRatio,
  classSpec,
  DEFAULT_TRAFFIC_BANDS,
  otherWeightsAt,
  TrailingFlow,
  trafficWeight,
  type ClassSpec,
} from './lighting-class.js';
import type { LightingGroupState, LuminaireEnergy } from './lighting-energy.js';
import { LightingLoop, type LightingDecision, type LightingSettings } from './lighting-loop.js';
import { LightingOverrides, type OverrideLease } from './lighting-overrides.js';
import { lightingReason, round1 } from './lighting-reason.js';
import { englishOf, part, type Reason } from '../../common/reasons/reason.js';
import { GroupLuminaires, type LightingReadings, type LuminaireSpec } from './luminaire-level.js';
import { CloTracker, NightHours, type CloState } from './lumen-maintenance.js';
import { madridOffsetMs } from './madrid-time.js';

export type { LightingReadings, LuminaireSpec } from './luminaire-level.js';

/** The engine from the environment: CALLE_WASM=off runs the TypeScript twins. */
export function engineFromEnv(env: NodeJS.ProcessEnv = process.env): Engine {
  return env.CALLE_WASM === 'off' ? 'twin' : 'wasm';
}

/** Photocell defaults: on at dusk below 30 lx, off above 60 lx (kernel defaults). */
const DEFAULT_PHOTOCELL = { onLux: 30, offLux: 60 };
const DEFAULT_PERIOD_MIN = 15;
/** A longer gap between ticks (a suspended process) is not integrated: holds and energy stop. */
const MAX_DT_S = 60;

interface GroupRuntime {
  readonly cfg: LightingGroupConfig;
  readonly cls: ClassSpec;
  readonly luminaires: readonly LuminaireSpec[];
  readonly batch: LightingBatch;
  /** Commanded levels, power, energy and lamps of the luminaires (luminaire-level.ts). */
  readonly settled: GroupLuminaires;
  readonly flow: TrailingFlow | undefined;
  readonly offLux: number;
  /** Class number the group's own presence boost lights to (P streets), or undefined. */
  readonly boostClass: number | undefined;
  /** A detector counted a vehicle since the last tick. */
  presence: boolean;
  presenceSource: string;
  /** The deciding rule as coded parts (lighting-reason.ts). */
  reason: Reason;
  readonly cloTracker: CloTracker | undefined;
  /** Constant light output now (recomputed once a minute). */
  clo: CloState | undefined;
  /** The period whose weights are in force (once a minute). */
  period: LightingPeriodConfig | undefined;
  otherWeights: number;
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
  /** Lamp failures and day burners, raised and cleared (lamp-monitor.ts). */
  readonly onLampEvent?: (event: EdgeEvent) => void;
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
  readonly #onLampEvent: ((event: EdgeEvent) => void) | undefined;
  readonly #nights: NightHours;
  #lastMs: number | undefined;
  /** The minute the per-minute inputs (periods, constant light) were last computed for. */
  #minute: number | undefined;

  constructor(opts: LightingControllerOptions) {
    this.engine = opts.engine;
    this.#onExpired = opts.onOverrideExpired;
    this.#onLampEvent = opts.onLampEvent;
    this.#nights = new NightHours(opts.latitude, opts.longitude);
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
        settled: new GroupLuminaires(luminaires),
        flow: cfg.adaptive
          ? new TrailingFlow((cfg.adaptive.periodMin ?? DEFAULT_PERIOD_MIN) * 60)
          : undefined,
        offLux: photocell.offLux,
        boostClass: cfg.presence && classSpec(cfg.presence.boostClass ?? cfg.lightingClass).number,
        presence: false,
        presenceSource: '',
        reason: [part('light.undecided')],
        cloTracker: cfg.maintenance ? new CloTracker(cfg.maintenance, this.#nights) : undefined,
        clo: undefined,
        period: undefined,
        otherWeights: cfg.adaptive?.otherWeights ?? 0,
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
    // A group with its own presence rule (a P street) keeps its hold; the policy's is for the rest.
    for (const g of this.#groups) g.batch.views.holdS.fill(g.cfg.presence?.holdS ?? presenceHoldS);
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
    const minute = Math.floor(nowMs / 60_000);
    if (minute !== this.#minute) {
      this.#minute = minute;
      this.#perMinute(nowMs);
    }
    const day = sched.day === true;
    const boostPct = this.#schedule.settings.presenceLevelPct;
    for (const g of this.#groups) this.#stepGroup(g, nowMs, dtS, sched, day, boostPct, readings);
  }

  /** Inputs that change by the minute at most: the period's weights and constant light output. */
  #perMinute(nowMs: number): void {
    const local = nowMs + madridOffsetMs(nowMs);
    const minuteOfDay = Math.floor((((local % 86_400_000) + 86_400_000) % 86_400_000) / 60_000);
    for (const g of this.#groups) {
      if (g.cfg.adaptive) {
        const w = otherWeightsAt(g.cfg.adaptive, minuteOfDay);
        g.otherWeights = w.weights;
        g.period = w.period;
      }
      g.clo = g.cloTracker?.at(nowMs);
    }
  }

  #stepGroup(
    g: GroupRuntime,
    nowMs: number,
    dtS: number,
    sched: LightingDecision,
    day: boolean,
    policyBoostPct: number,
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
    const weightSum = free && g.flow && !Number.isNaN(trafficW) ? g.otherWeights + trafficW : Number.NaN;
    // Constant light output scales design light only: not an override, not fail-on.
    const clo = free && g.clo ? g.clo.factor : 1;
    const schedulePct = lease ? lease.levelPct : sched.failOn ? sched.levelPct : sched.levelPct * clo;
    const boostPct =
      day || lease
        ? 0
        : g.boostClass !== undefined
          ? Math.min(100, schedulePct * classRatio(g.cls.series, g.cls.number, g.boostClass))
          : policyBoostPct;
    v.schedulePct.fill(schedulePct);
    v.weightSum.fill(weightSum);
    v.presence.fill(presence);
    v.lux.fill(lux);
    v.boostPct.fill(boostPct);
    // With no reading (none fitted, device lost, override, fail-on) the photocell's state is
    // forgotten: a remembered "light" must not hold a street dark once nothing confirms it.
    if (Number.isNaN(lux)) v.dark.fill(Number.NaN);
    g.batch.step(dtS);

    g.settled.settle(v, {
      groupId: g.cfg.id,
      nowMs,
      dtS,
      day: sched.day === true,
      clo,
      readings,
      onLampEvent: this.#onLampEvent,
    });
    g.reason = lightingReason({
      series: g.cls.series,
      design: g.cls.number,
      cls: v.lightingClass[0]!,
      sched,
      lease,
      capacity: g.cfg.adaptive?.capacityVehPerHour,
      flow,
      trafficW,
      period: g.period,
      clo: free ? g.clo : undefined,
      offLux: g.offLux,
      targetPct: v.targetPct[0]!,
      levelPct: v.levelPct[0]!,
      dark: v.dark[0]!,
      boostPct: v.boostPct[0]!,
      holdLeftS: v.holdLeftS[0]!,
      holdS: v.holdS[0]!,
      schedulePct,
      presenceSource: g.presenceSource,
    });
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

  /**
   * Visits every luminaire with the level to command now (after ramp and its driver's minimum,
   * luminaire-level.ts) and why: the site writes these as they are.
   */
  forEachLevel(fn: (luminaireId: string, levelPct: number, reason: Reason) => void): void {
    for (const g of this.#groups) {
      const { levels, atMinimum } = g.settled;
      for (let i = 0; i < g.luminaires.length; i++) {
        const reason = atMinimum[i]
          ? [...g.reason, part('light.driverMin', { level: levels[i]! })]
          : g.reason;
        fn(g.luminaires[i]!.id, levels[i]!, reason);
      }
    }
  }

  /** Per group: reason, class now, power (W), energy since start (Wh) and its parts, for telemetry and the console. */
  groupStates(): LightingGroupState[] {
    return this.#groups.map((g) => ({
      id: g.cfg.id,
      reason: englishOf(g.reason),
      reasonCode: g.reason,
      lightingClass: g.cls.adaptable
        ? classLabel(g.cls.series, g.batch.views.lightingClass[0]!)
        : g.cfg.lightingClass,
      powerW: g.settled.energy.powerW,
      energyWh: g.settled.energy.totalWh,
      meteredWh: g.settled.energy.totalMeteredWh,
      baselineWh: g.settled.energy.baselineWh,
      cloSavedWh: g.settled.energy.cloSavedWh,
      cloPct: round1((g.clo?.factor ?? 1) * 100),
      burningH: g.settled.energy.burningS.reduce((a, x) => Math.max(a, x), 0) / 3600,
    }));
  }

  /** Per luminaire: energy (total and metered part) and burning hours since start. */
  luminaireEnergy(): LuminaireEnergy[] {
    return this.#groups.flatMap((g) =>
      g.luminaires.map((l, i) => ({
        id: l.id,
        group: g.cfg.id,
        energyWh: g.settled.energy.wh[i]!,
        meteredWh: g.settled.energy.meteredWh[i]!,
        burningH: g.settled.energy.burningS[i]! / 3600,
      })),
    );
  }
}
