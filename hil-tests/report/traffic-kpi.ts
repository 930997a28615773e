// The traffic part of the KPI report (issue 7): every scenario in hil-tests/data/sumo run with
// SUMO's static program, SUMO's actuated program, and calle's fixed / actuated / adaptive
// controllers, over several seeds, one run at a time (the machine has two cores, and SUMO plus
// the controller already use one each).
//
// SUMO's actuated baseline: x1 ships its own actuated net. The other scenarios ship static
// programs only, so a temp copy of the net is written with each tlLogic turned `actuated` and
// every green phase given minDur/maxDur (5 s / 50 s, the values of x1's actuated net and of
// netconvert's defaults). SUMO then places its own induction loops on the incoming lanes
// (gap-based actuation, SUMO's documented default). The phase order stays the scenario's.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Logger } from 'pino';
import { SUMO_DATA } from '../sumo/scenario-data.js';
import { runTraffic, type TrafficController, type TrafficResult } from '../sumo/traffic-run.js';
import { scenarioFromSumocfg, type TrafficScenario } from '../sumo/traffic-scenario.js';

/** Row names of the traffic table, in order. */
export const TRAFFIC_ROWS = [
  'sumo static',
  'sumo actuated',
  'calle fixed',
  'calle actuated',
  'calle adaptive',
] as const;
export type TrafficRowName = (typeof TRAFFIC_ROWS)[number];

const CONTROLLER: Record<TrafficRowName, TrafficController> = {
  'sumo static': 'sumo',
  'sumo actuated': 'sumo',
  'calle fixed': 'fixed',
  'calle actuated': 'actuated',
  'calle adaptive': 'adaptive',
};

/** Issue 7: adaptive mean delay ≤ 0.8 × SUMO actuated (mean of the seeds). */
export const TRAFFIC_TARGET_RATIO = 0.8;

export interface TrafficCell {
  readonly row: TrafficRowName;
  readonly runs: readonly TrafficResult[];
}

export interface TrafficScenarioResult {
  readonly scenario: string;
  readonly seconds: number;
  readonly cells: readonly TrafficCell[];
  /** Why a scenario or a row could not run, if it could not. */
  readonly notes: readonly string[];
}

/** A scenario found on disk: its static form and, if one could be made, its actuated form. */
export interface ScenarioSource {
  readonly name: string;
  readonly scenario: TrafficScenario;
  /** How the inputs were chosen where the configuration was not usable as it is. */
  readonly note?: string;
}

/**
 * Every scenario directory under `dataDir` with a `.sumocfg`. sumo-rl's 2way-single-intersection
 * configuration names a route file it does not ship; its `-vhvh` routes (the variant sumo-rl's
 * examples run) are used instead, and the note says so.
 */
export function findScenarios(dataDir: string = SUMO_DATA): ScenarioSource[] {
  const out: ScenarioSource[] = [];
  for (const name of readdirSync(dataDir).sort()) {
    const dir = join(dataDir, name);
    let files: string[];
    try {
      files = readdirSync(dir);
    } catch {
      continue;
    }
    const cfg = files.find((f) => f.endsWith('.sumocfg'));
    if (!cfg) continue;
    try {
      out.push({ name, scenario: scenarioFromSumocfg(join(dir, cfg)) });
    } catch (err) {
      const net = files.find((f) => f.endsWith('.net.xml'));
      const routes = files.filter((f) => f.endsWith('.rou.xml'));
      const route = routes.find((f) => f.includes('vhvh')) ?? routes[0];
      if (!net || !route) throw err;
      out.push({
        name,
        scenario: { net: join(dir, net), routes: [join(dir, route)], additional: [] },
        note: `${cfg}: ${err instanceof Error ? err.message : String(err)}; ran ${net} with ${route}`,
      });
    }
  }
  return out;
}

/** Minimum and maximum green of the actuated copy (s): x1's actuated net and netconvert's defaults. */
const ACT_MIN_S = 5;
const ACT_MAX_S = 50;

/**
 * The net's text with every static tlLogic made actuated: green phases (a `G`/`g` and no `y`)
 * get minDur/maxDur unless they have them. Returns undefined when the net has no static tlLogic.
 */
export function actuatedNetXml(netXml: string): string | undefined {
  let changed = false;
  const out = netXml.replace(/<tlLogic\b[^>]*>[\s\S]*?<\/tlLogic>/g, (block) => {
    if (!/\btype="static"/.test(block)) return block;
    changed = true;
    return block
      .replace(/\btype="static"/, 'type="actuated"')
      .replace(/<phase\b([^>]*?)\/>/g, (phase: string, attrs: string) => {
        const state = /\bstate="([^"]*)"/.exec(attrs)?.[1] ?? '';
        const duration = Number(/\bduration="([^"]*)"/.exec(attrs)?.[1]);
        if (/minDur=/.test(attrs) || !/[Gg]/.test(state) || /y/i.test(state) || !(duration > 0)) return phase;
        const min = Math.min(ACT_MIN_S, duration);
        const max = Math.max(ACT_MAX_S, duration);
        return `<phase${attrs} minDur="${min}" maxDur="${max}"/>`;
      });
  });
  return changed ? out : undefined;
}

/** The actuated form of a scenario: x1's shipped actuated net, or a rewritten copy in `dir`. */
export function actuatedScenario(src: ScenarioSource, dir: string): TrafficScenario | undefined {
  const shipped = src.scenario.net.replace(/_static\.net\.xml$/, '_actuated.net.xml');
  if (shipped !== src.scenario.net && existsSync(shipped)) return { ...src.scenario, net: shipped };
  const xml = actuatedNetXml(readFileSync(src.scenario.net, 'utf8'));
  if (xml === undefined) return undefined;
  const file = join(dir, `${src.name}-actuated-${basename(src.scenario.net)}`);
  writeFileSync(file, xml);
  return { ...src.scenario, net: file };
}

export interface TrafficMatrixOptions {
  readonly scenarios: readonly ScenarioSource[];
  readonly seeds: number;
  /** Fewer seeds for some scenarios (the long ones), by name. */
  readonly seedsFor?: Readonly<Record<string, number>>;
  /** Simulated seconds per run; capped at the configuration's own end. */
  readonly seconds: number;
  readonly log: Logger;
  /** Told after each run (progress on stderr). */
  readonly onRun?: (scenario: string, row: TrafficRowName, r: TrafficResult, wallS: number) => void;
  /** Told after each scenario with every result so far. */
  readonly onScenario?: (sofar: readonly TrafficScenarioResult[]) => void;
}

/** Runs the matrix, sequentially. A run that fails is noted and the rest go on. */
export async function runTrafficMatrix(o: TrafficMatrixOptions): Promise<TrafficScenarioResult[]> {
  const results: TrafficScenarioResult[] = [];
  for (const src of o.scenarios) {
    const dir = mkdtempSync(join(tmpdir(), `calle-kpi-${src.name}-`));
    const notes: string[] = src.note ? [src.note] : [];
    const span = src.scenario.endS !== undefined ? src.scenario.endS - (src.scenario.beginS ?? 0) : Infinity;
    const seconds = Math.min(o.seconds, span > 0 ? span : o.seconds);
    try {
      const actuated = actuatedScenario(src, dir);
      if (!actuated) notes.push('no static tlLogic to make actuated: no SUMO actuated row');
      const cells = new Map<TrafficRowName, TrafficResult[]>();
      const seeds = Math.min(o.seeds, o.seedsFor?.[src.name] ?? o.seeds);
      if (seeds < o.seeds) notes.push(`${seeds} seed(s) of ${o.seeds}: capped for run time`);
      for (let seed = 1; seed <= seeds; seed++) {
        for (const row of TRAFFIC_ROWS) {
          const scenario = row === 'sumo actuated' ? actuated : src.scenario;
          if (!scenario) continue;
          const t0 = performance.now();
          try {
            const r = await runTraffic({
              scenario,
              controller: CONTROLLER[row],
              seconds,
              seed,
              dir,
              log: o.log,
            });
            (cells.get(row) ?? cells.set(row, []).get(row)!).push(r);
            o.onRun?.(src.name, row, r, (performance.now() - t0) / 1000);
          } catch (err) {
            notes.push(`${row} seed ${seed}: ${err instanceof Error ? err.message : String(err)}`);
          }
        }
      }
      results.push({
        scenario: src.name,
        seconds,
        cells: TRAFFIC_ROWS.filter((r) => cells.has(r)).map((row) => ({ row, runs: cells.get(row)! })),
        notes,
      });
      o.onScenario?.(results);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return results;
}
