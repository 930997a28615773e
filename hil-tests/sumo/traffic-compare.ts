// One scenario under several controllers and SUMO seeds, with medians and the ratios to both
// baselines: what `npm run bench:traffic` prints, for a shipped scenario or a generated one.
import type { Logger } from 'pino';
import { fairScenario, stockActuatedScenario } from './baseline-nets.js';
import { runTraffic, type TrafficController, type TrafficResult } from '../../sim/sumo/traffic-run.js';
import type { TrafficScenario } from '../../sim/sumo/traffic-scenario.js';

/** A row: SUMO's program as the net has it, the stock or fair baseline, or a calle controller. */
export type CompareRow =
  'sumo program' | 'sumo stock' | 'sumo fair' | `calle ${Exclude<TrafficController, 'sumo'>}`;

export interface RowSummary {
  readonly row: CompareRow;
  readonly runs: readonly TrafficResult[];
  readonly medianDelay: number;
  readonly meanDelay: number;
  readonly medianWaiting: number;
  readonly medianThroughput: number;
  readonly medianMaxQueue: number;
  readonly safetyViolations: number;
  readonly supervisorInterventions: number;
  /** Median delay / the stock baseline's (NaN without it). */
  readonly vsStock: number;
  /** Median delay / the fair baseline's. */
  readonly vsFair: number;
}

export interface CompareOptions {
  readonly name: string;
  readonly scenario: TrafficScenario;
  readonly rows: readonly CompareRow[];
  /** SUMO seeds 1..seeds. */
  readonly seeds: number;
  readonly seconds: number;
  /** Temp dir for the baselines' nets and the runs' outputs; the caller removes it. */
  readonly dir: string;
  readonly log: Logger;
  /** Told after each run (progress). */
  readonly onRun?: (row: CompareRow, r: TrafficResult, wallS: number) => void;
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Runs every row for every seed, one run at a time, and summarises. */
export async function compareScenario(o: CompareOptions): Promise<RowSummary[]> {
  const scenarioOf = new Map<CompareRow, { scenario: TrafficScenario; controller: TrafficController }>();
  for (const row of o.rows) {
    if (row === 'sumo program') scenarioOf.set(row, { scenario: o.scenario, controller: 'sumo' });
    else if (row === 'sumo stock') {
      const s = stockActuatedScenario(o.scenario, o.dir, o.name);
      if (s) scenarioOf.set(row, { scenario: s, controller: 'sumo' });
    } else if (row === 'sumo fair')
      scenarioOf.set(row, { scenario: fairScenario(o.scenario, o.dir, o.name), controller: 'sumo' });
    else scenarioOf.set(row, { scenario: o.scenario, controller: row.slice(6) as TrafficController });
  }
  const runs = new Map<CompareRow, TrafficResult[]>();
  for (let seed = 1; seed <= o.seeds; seed++) {
    for (const [row, { scenario, controller }] of scenarioOf) {
      const t0 = performance.now();
      const r = await runTraffic({ scenario, controller, seconds: o.seconds, seed, dir: o.dir, log: o.log });
      (runs.get(row) ?? runs.set(row, []).get(row)!).push(r);
      o.onRun?.(row, r, (performance.now() - t0) / 1000);
    }
  }
  const delayOf = (row: CompareRow): number => median((runs.get(row) ?? []).map((r) => r.meanDelay));
  const stock = delayOf('sumo stock');
  const fair = delayOf('sumo fair');
  return [...runs].map(([row, rs]) => {
    const d = median(rs.map((r) => r.meanDelay));
    return {
      row,
      runs: rs,
      medianDelay: d,
      meanDelay: mean(rs.map((r) => r.meanDelay)),
      medianWaiting: median(rs.map((r) => r.meanWaiting)),
      medianThroughput: median(rs.map((r) => r.throughput)),
      medianMaxQueue: median(rs.map((r) => r.maxQueue)),
      safetyViolations: rs.reduce((t, r) => t + r.safetyViolations, 0),
      supervisorInterventions: rs.reduce((t, r) => t + r.supervisorInterventions, 0),
      vsStock: d / stock,
      vsFair: d / fair,
    };
  });
}
