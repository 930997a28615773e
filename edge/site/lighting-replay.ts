// A lighting replay: the site's own lighting loop (EdgeSite, the controller, the WASM kernel) run
// on a simulated clock over counted traffic, minute by minute, with Madrid's sun from the site's
// position. `calle lighting replay` and the KPI report both run it, so the lighting week can be
// reproduced on anyone's counts.
//
// Strategies: `adaptive` runs the site file as it is (class by traffic, periods, constant light
// output, presence) on the built-in sunset-to-sunrise schedule; `full` and `midnight` strip those
// and run 100 % all night, or 100 % until 00:00 and 50 % after (the schedule most cities run).
// Counts: one value per detector per minute; a minute's vehicles reach the detector spread evenly
// over the minute's ticks, and a detector with no value for a minute reads as unavailable (the
// loop keeps the design class until the window is clean again).
import { pino } from 'pino';
import type { calle } from '../../proto/index.js';
import type { EdgeConfig } from '../config/edge-config.js';
import type { Engine } from '../../wasm/core.js';
import type { TelemetrySink } from '../telemetry-sink.js';
import { EdgeSite } from './edge-site.js';
import { RequirementJudge, UNDER_LIT_TOLERANCE_PCT } from './lighting-requirement.js';
import { ReplayDriver, ReplayStreet } from './replay-driver.js';

export const REPLAY_STRATEGIES = ['adaptive', 'full', 'midnight'] as const;
export type ReplayStrategy = (typeof REPLAY_STRATEGIES)[number];

/** Counted traffic: per detector, vehicles (or pedestrians) in each minute from startMs; NaN = no row. */
export interface ReplayCounts {
  readonly startMs: number;
  readonly minutes: number;
  readonly perDetector: ReadonlyMap<string, Float64Array>;
}

/** One row of LEVELS.csv. */
export interface LevelRow {
  /** Start of the minute. */
  readonly timeMs: number;
  readonly group: string;
  /** Mean commanded level of the group's luminaires over the minute's ticks, %. */
  readonly levelPct: number;
  /** Class in force at the minute's end. */
  readonly lightingClass: string;
  /** Mean power over the minute, W (energy in the minute × 60). */
  readonly powerW: number;
}

export interface ReplayOptions {
  readonly config: EdgeConfig;
  readonly counts: ReplayCounts;
  readonly strategy: ReplayStrategy;
  /** Luminaire age at the first minute; default the site's `maintenance.installed`. */
  readonly ageDays?: number;
  /** Simulated seconds per control tick (a divisor of 60); default 5. */
  readonly tickS?: number;
  readonly engine?: Engine;
  readonly onRow?: (row: LevelRow) => void;
}

export interface ReplayGroupResult {
  readonly id: string;
  readonly energyWh: number;
  readonly baselineWh: number;
  readonly underLitMinutes: number;
}

export interface ReplayResult {
  readonly strategy: ReplayStrategy;
  readonly energyWh: number;
  readonly underLitMinutes: number;
  readonly groups: readonly ReplayGroupResult[];
}

const DAY_MS = 86_400_000;
const nullSink: TelemetrySink = { record: () => {}, raise: () => {} };

/** The site with its luminaires installed `ageDays` before `startMs` (every group with data). */
export function withAge(config: EdgeConfig, startMs: number, ageDays: number | undefined): EdgeConfig {
  if (ageDays === undefined) return config;
  const installed = new Date(startMs - ageDays * DAY_MS).toISOString().slice(0, 10);
  return {
    ...config,
    lightingGroups: config.lightingGroups.map((g) =>
      g.maintenance ? { ...g, maintenance: { ...g.maintenance, installed } } : g,
    ),
  };
}

/** The configuration and policy a strategy runs; lighting only. */
export function strategySite(
  config: EdgeConfig,
  strategy: ReplayStrategy,
): { config: EdgeConfig; policy?: calle.v1.IPolicyBundle } {
  const lightingOnly = { ...config, intersections: [], containers: [] };
  if (strategy === 'adaptive') return { config: lightingOnly };
  const plain = {
    ...lightingOnly,
    lightingGroups: config.lightingGroups.map((g) => {
      const p = { ...g };
      delete p.adaptive;
      delete p.maintenance;
      delete p.presence;
      return p;
    }),
  };
  if (strategy === 'full') return { config: plain };
  const steps = [
    { at: 'sunset', levelPct: 100 },
    { at: '00:00', levelPct: 50 },
  ];
  return { config: plain, policy: { version: 1, lighting: { steps } } };
}

export function replayLighting(o: ReplayOptions): ReplayResult {
  const tickS = o.tickS ?? 5;
  if (!(Number.isInteger(60 / tickS) && tickS > 0)) throw new RangeError(`tickS ${tickS} must divide 60`);
  const { startMs, minutes, perDetector } = o.counts;
  const installed = withAge(o.config, startMs, o.ageDays);
  const run = strategySite(installed, o.strategy);
  const street = new ReplayStreet();
  const drivers = [...new Set(run.config.devices.map((d) => d.driver))].map(
    (n) => new ReplayDriver(n, street),
  );
  let now = startMs;
  const site = new EdgeSite({
    config: run.config,
    sink: nullSink,
    log: pino({ level: 'silent' }),
    now: () => now,
    tickMs: 0,
    drivers,
    ...(o.engine ? { engine: o.engine } : {}),
  });
  site.start();
  if (run.policy) {
    const applied = site.applyPolicy(run.policy);
    if (!applied.applied) throw new Error(`${o.strategy}: policy refused: ${applied.reason}`);
  }
  const groups = installed.lightingGroups;
  const judge = new RequirementJudge(installed, startMs);
  const underLit = groups.map(() => 0);
  const ticks = 60 / tickS;
  site.tick();
  let energy = site.lightingGroups().map((g) => g.energyWh);
  for (let m = 0; m < minutes; m++) {
    const minuteMs = startMs + m * 60_000;
    for (const [d, series] of perDetector) street.setSilent(d, Number.isNaN(series[m]!));
    const levelSum = groups.map(() => 0);
    const below = groups.map(() => false);
    for (let k = 1; k <= ticks; k++) {
      now = minuteMs + k * tickS * 1000;
      const groupArrivals = groups.map(() => 0);
      for (const [d, series] of perDetector) {
        const c = series[m]!;
        // Spread evenly: the cumulative count at tick k is round(c·k/ticks).
        const n = Number.isNaN(c)
          ? Number.NaN
          : Math.round((c * k) / ticks) - Math.round((c * (k - 1)) / ticks);
        if (!Number.isNaN(n)) street.arrive(d, n);
        groups.forEach((g, gi) => {
          if (g.detectors.includes(d)) groupArrivals[gi]! += n;
        });
      }
      site.tick();
      judge.advance(now);
      groups.forEach((g, gi) => {
        judge.arrive(gi, now, groupArrivals[gi]!);
        const level = mean(g.luminaires.map((id) => street.levels.get(id) ?? 0));
        levelSum[gi]! += level;
        if (judge.delivered(gi, level) < judge.required(gi, now) - UNDER_LIT_TOLERANCE_PCT) below[gi] = true;
      });
    }
    const states = site.lightingGroups();
    groups.forEach((g, gi) => {
      if (below[gi]) underLit[gi]!++;
      const s = states[gi]!;
      o.onRow?.({
        timeMs: minuteMs,
        group: g.id,
        levelPct: Math.round((levelSum[gi]! / ticks) * 10) / 10,
        lightingClass: s.lightingClass,
        powerW: Math.round((s.energyWh - energy[gi]!) * 60 * 10) / 10,
      });
    });
    energy = states.map((s) => s.energyWh);
  }
  void site.stop();
  const states = site.lightingGroups();
  const result = groups.map((g, gi) => ({
    id: g.id,
    energyWh: states[gi]!.energyWh,
    baselineWh: states[gi]!.baselineWh,
    underLitMinutes: underLit[gi]!,
  }));
  return {
    strategy: o.strategy,
    energyWh: result.reduce((a, g) => a + g.energyWh, 0),
    underLitMinutes: result.reduce((a, g) => a + g.underLitMinutes, 0),
    groups: result,
  };
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
