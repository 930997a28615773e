// One closed-loop traffic run: SUMO on a scenario, every traffic light controlled either by
// SUMO's own program (the baseline) or by calle's intersection controller — the edge's code,
// planner behind supervisor — through the TraCI driver. Each simulated second: the controller
// reads the detectors, proposes, the supervisor checks, the aspects go to SUMO as state strings,
// and the harness checks each string once more against the net's foe matrix (foe-check.ts),
// independently of the supervisor.
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { SignalMode } from '../../edge/config/edge-config.js';
import type { DetectorReading } from '../../edge/control/detector-calls.js';
import { IntersectionController } from '../../edge/control/intersection-controller.js';
import {
  sumoIntersectionConfig,
  sumoSignalModel,
  sumoTrafficLights,
  type SumoSignalModel,
} from './sumo-net-model.js';
import { BUILT_IN_TYPES } from '../../edge/devices/catalogue.js';
import type { DriverDevice } from '../../edge/devices/driver.js';
import { TraciDriver } from './traci-driver.js';
import { startSumo } from './sumo-process.js';
import { foeChecker, type FoeChecker } from './foe-check.js';
import { getRequest, type TraciRequest } from './traci-client.js';
import { CMD, DOMAIN, TL_VAR } from './traci-constants.js';
import { detectorsFor, scenarioDetectors, type TrafficScenario } from './traffic-scenario.js';
import { tripMetrics } from './trip-metrics.js';
import { ByteWriter } from './traci-values.js';

export const CONTROLLERS = ['adaptive', 'actuated', 'fixed', 'sumo'] as const;
export type TrafficController = (typeof CONTROLLERS)[number];

const MODE: Record<Exclude<TrafficController, 'sumo'>, SignalMode> = {
  adaptive: 'adaptive',
  actuated: 'actuated',
  fixed: 'fixed-time',
};

/** Lane variable: halting vehicles (speed < 0.1 m/s) in the last step. */
/**
 * calle's actuated and adaptive maximum green in these runs: the maxDur that SUMO's actuated
 * baseline gives every green phase (x1's actuated net; traffic-kpi.ts writes the same into the
 * other scenarios), so that both controllers may extend a movement equally far.
 */
export const SUMO_ACTUATED_MAX_GREEN_S = 50;

const LANE_HALTING = 0x14;
/** Simulation variables: ids loaded this step, ids waiting for insertion. */
const SIM_LOADED_IDS = 0x72;
const SIM_PENDING_IDS = 0x94;

export interface TrafficResult {
  readonly controller: TrafficController;
  readonly seed: number;
  readonly vehicles: number;
  /** RESCO mean delay, s (trip-metrics.ts). */
  readonly meanDelay: number;
  readonly meanWaiting: number;
  /** Vehicles that arrived. */
  readonly throughput: number;
  /** Most vehicles halted at once on the lights' incoming lanes. */
  readonly maxQueue: number;
  /** Steps in which a state in force showed two foes going at once (harness check). */
  readonly safetyViolations: number;
  /** Times calle's supervisor latched an intersection into flash. */
  readonly supervisorInterventions: number;
}

export interface TrafficRunOptions {
  readonly scenario: TrafficScenario;
  readonly controller: TrafficController;
  readonly seconds: number;
  readonly seed: number;
  /** Temp dir for tripinfo and added detectors; the caller removes it. */
  readonly dir: string;
  readonly log: Logger;
  /** Allow the permissive movements of the net's program (default true). */
  readonly permissive?: boolean;
  /**
   * Timing floors for calle's plan (min green 7 s). For experiments only: the defaults are the
   * safety-reviewed values. `clearance` (default 'ite'): each group's yellow and all-red from the
   * net by the ITE formulas (sumo-net-model.ts `iteClearance`); 'flat' is the old rule, yellowS
   * (3 s) + allRedS (2 s) for every pair, and the only one that takes yellowS/allRedS.
   */
  readonly timing?: {
    readonly clearance?: 'flat' | 'ite';
    readonly yellowS?: number;
    readonly allRedS?: number;
    readonly minGreenS?: number;
    readonly maxGreenS?: number;
  };
  /** Told each stage decision: the light, the time (s) and the planner's label with its reason. */
  readonly onDecision?: (tl: string, t: number, label: string) => void;
  /** First violation texts are logged; this collects them for tests. */
  readonly onViolation?: (text: string) => void;
}

export async function runTraffic(o: TrafficRunOptions): Promise<TrafficResult> {
  if (!(Number.isInteger(o.seconds) && o.seconds > 0))
    throw new RangeError(`seconds ${o.seconds} must be a positive integer`);
  const begin = o.scenario.beginS ?? 0;
  if (!(Number.isInteger(begin) && begin >= 0))
    throw new RangeError(`begin ${begin} must be a whole second ≥ 0`);
  const netXml = readFileSync(o.scenario.net, 'utf8');
  const tls = sumoTrafficLights(netXml);
  if (tls.length === 0) throw new Error(`${o.scenario.net}: no traffic light to control`);
  // Permissive movements as the net's own program shows them (a `g` left turn yielding to the
  // opposing through): without them a left turn gets only its protected stage (sumo-net-model.ts).
  const permissive = o.permissive ?? true;
  const models: SumoSignalModel[] = tls.map((tl) =>
    sumoSignalModel(netXml, tl, { permissive: permissive ? 'from-program' : 'none' }),
  );
  const calle = o.controller !== 'sumo';
  const { detectors, addedFile } = calle
    ? detectorsFor(models, scenarioDetectors(o.scenario), netXml, o.dir)
    : { detectors: [], addedFile: undefined };
  const tripinfo = `${o.dir}/tripinfo-${o.controller}-${o.seed}.xml`;
  const additional = [...o.scenario.additional, ...(addedFile ? [addedFile] : [])];
  const args = [
    '-n',
    o.scenario.net,
    ...(o.scenario.routes.length ? ['-r', o.scenario.routes.join(',')] : []),
    ...(additional.length ? ['-a', additional.join(',')] : []),
    '--begin',
    String(begin),
    '--end',
    String(begin + o.seconds),
    '--seed',
    String(o.seed),
    '--time-to-teleport',
    '-1',
    '--tripinfo-output',
    tripinfo,
    '--tripinfo-output.write-unfinished',
    '--no-step-log',
    '--no-warnings',
    '--duration-log.disable',
  ];
  const sumo = await startSumo(args);
  try {
    const client = sumo.client;
    const checkers = new Map<string, FoeChecker>();
    for (const tl of tls) checkers.set(tl, foeChecker(netXml, tl, await client.tlControlledLinks(tl)));
    const lanes = [...new Set(models.flatMap((m) => m.groups.flatMap((g) => g.lanes)))];
    const extra: TraciRequest[] = [
      getRequest(DOMAIN.simulation.get, SIM_LOADED_IDS, ''),
      ...lanes.map((l) => getRequest(DOMAIN.lane.get, LANE_HALTING, l)),
    ];
    const loadedAt = new Map<string, number>();
    let maxQueue = 0;
    let violations = 0;
    let interventions = 0;
    const violation = (tl: string, state: string, t: number): void => {
      const why = checkers.get(tl)!.check(state);
      if (why === undefined) return;
      violations++;
      if (violations <= 5) o.log.warn({ tl, state, t, why }, 'traffic: conflicting state in force');
      o.onViolation?.(`${tl} @${t}s ${state}: ${why}`);
    };
    const observe = (replies: readonly unknown[], t: number): void => {
      for (const id of replies[0] as string[]) loadedAt.set(id, t);
      let q = 0;
      for (let i = 1; i < replies.length; i++) q += replies[i] as number;
      maxQueue = Math.max(maxQueue, q);
    };
    const stepReq: TraciRequest = {
      id: CMD.simulationStep,
      content: new ByteWriter().double(0).toBuffer(),
      expect: 'step',
    };

    if (!calle) {
      observe(await client.batch(extra), begin);
      for (let t = begin; t < begin + o.seconds; t++) {
        // The state read before the step is the one in force during it.
        const replies = await client.batch([
          ...tls.map((tl) => getRequest(DOMAIN.trafficLight.get, TL_VAR.state, tl)),
          stepReq,
        ]);
        tls.forEach((tl, i) => violation(tl, replies[i] as string, t));
        observe(await client.batch(extra), t + 1);
      }
    } else {
      const driver = new TraciDriver({ client, log: o.log.child({ module: 'traci-driver' }) });
      const headType = BUILT_IN_TYPES.find((d) => d.name === 'vehicle-signal-3')!;
      const detType = BUILT_IN_TYPES.find((d) => d.name === 'inductive-loop')!;
      const devices: DriverDevice[] = [];
      const controllers = models.map((m, i) => {
        const cfg = {
          ...sumoIntersectionConfig(m, {
            id: `tl${i}`,
            detectors,
            maxGreenS: SUMO_ACTUATED_MAX_GREEN_S,
            clearance: 'ite',
            ...o.timing,
          }),
          control: { mode: MODE[o.controller as keyof typeof MODE], passageS: 3, adaptEveryCycles: 3 },
        };
        const yielding = new Set(m.permissive.map(([y]) => y));
        for (const g of m.groups)
          devices.push({
            id: `tl${i}-${g.id}`,
            definition: headType,
            params: { tl: m.tlId, link: g.linkIndex, green: yielding.has(g.id) ? 'g' : 'G' },
          });
        for (const d of cfg.detectors) {
          const kind = detectors.find((x) => x.id === d)!.kind;
          devices.push({ id: d, definition: detType, params: { detector: d, detectorKind: kind } });
        }
        return {
          tl: m.tlId,
          cfg,
          ctrl: new IntersectionController(cfg, begin * 1000, { permissive: m.permissive }),
        };
      });
      // A lane-area detector is a presence zone, an induction loop a point (detector-calls.ts).
      const kindOf = new Map(
        detectors.map((d) => [d.id, d.kind === 'lane-area' ? ('presence' as const) : ('point' as const)]),
      );
      const lastReason = new Map<string, string>();
      await driver.start(devices);
      observe((await driver.sync({ extra })).extra, begin);
      for (let t = begin; t < begin + o.seconds; t++) {
        const nowMs = t * 1000;
        for (const { tl, cfg, ctrl } of controllers) {
          const readings = new Map<string, DetectorReading>();
          for (const d of cfg.detectors) {
            const v = await driver.read(d);
            readings.set(d, {
              count: v.count as number,
              occupancy: v.occupancy as number,
              queue: v.queue as number,
              available: true,
              kind: kindOf.get(d) ?? 'point',
            });
          }
          const step = ctrl.step(nowMs, [], readings);
          if (o.onDecision && step.reason !== lastReason.get(tl)) {
            // A decision shows as the first step of a change: the label gains ": <why>".
            if (/: [^:]+$/.test(step.reason.slice(6)) && !/: [^:]+$/.test(lastReason.get(tl)?.slice(6) ?? ''))
              o.onDecision(tl, t, step.reason);
            lastReason.set(tl, step.reason);
          }
          if (step.latched) {
            interventions++;
            o.log.warn({ tl, t, reason: step.latched.reason }, 'traffic: supervisor latched flash');
          }
          for (const g of cfg.signalGroups)
            await driver.write(g.head, 'aspect', step.aspects[g.id] ?? 'flash');
          violation(tl, driver.pendingState(tl)!, t);
        }
        const r = await driver.sync({ step: true, timeMs: nowMs + 1000, extra });
        observe(r.extra, t + 1);
      }
      await driver.stop();
    }
    const pendingIds = (await client.get(DOMAIN.simulation.get, SIM_PENDING_IDS, '')) as string[];
    const pending = pendingIds.map((id) => ({ depart: loadedAt.get(id) ?? begin }));
    const code = await sumo.close();
    if (code !== 0) throw await sumo.failure(`sumo exited with code ${code}`);
    const m = tripMetrics(tripinfo, begin + o.seconds, pending);
    return {
      controller: o.controller,
      seed: o.seed,
      vehicles: m.vehicles,
      meanDelay: m.meanDelay,
      meanWaiting: m.meanWaiting,
      throughput: m.throughput,
      maxQueue,
      safetyViolations: violations,
      supervisorInterventions: interventions,
    };
  } catch (err) {
    // SUMO accepts the TraCI connection before it loads the routes: a bad input shows up as a
    // reset connection, and the reason is on its stderr (sumo-process.ts waits for it).
    throw await sumo.failure((err as Error).message, err, 2000);
  } finally {
    if (sumo.child.exitCode === null) sumo.child.kill('SIGKILL');
  }
}
