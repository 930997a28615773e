// `npm run bench:traffic`: calle's controllers against SUMO's, medians over SUMO seeds 1..N.
// Two baselines side by side (issue 14): "sumo stock", SUMO's actuated program with the net's own
// 2–3 s yellows and no all-red, and "sumo fair", the same with ITE change intervals from the net
// (fair-baseline.ts), the comparison at equal safety. The target is against the fair one.
//
//   npm run bench:traffic [-- --sumocfg FILE]          x1 (or FILE): every row, one table
//   npm run bench:traffic -- --shipped                 every scenario in the shared data
//   npm run bench:traffic -- --generated N [--seed S]  N generated nets, seeds S.. (default: the
//                                                      held-out set, generated-scenario.ts)
// Options: --seeds K (SUMO seeds, default 3), --seconds T (default 3600; generated 2400),
// --controllers adaptive,actuated,fixed (default: all three for one scenario, adaptive for sets),
// --json (the results as JSON on stdout, tables on stderr), --out FILE (JSON into a file).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { findScenarios } from '../report/traffic-kpi.js';
import { HELD_OUT_SEEDS, generatedScenario } from './generated-scenario.js';
import { sumoScenarioDir } from './scenario-data.js';
import { compareScenario, type CompareRow, type RowSummary } from './traffic-compare.js';
import { scenarioFromSumocfg, type TrafficScenario } from '../../sim/sumo/traffic-scenario.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '3' },
    seconds: { type: 'string' },
    sumocfg: { type: 'string' },
    shipped: { type: 'boolean', default: false },
    generated: { type: 'string' },
    seed: { type: 'string', default: String(HELD_OUT_SEEDS.first) },
    controllers: { type: 'string' },
    json: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const posInt = (v: string | undefined, name: string): number => {
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`--${name} ${v}: must be an integer ≥ 1`);
  return n;
};
const seeds = posInt(values.seeds, 'seeds');
const generated = values.generated === undefined ? undefined : posInt(values.generated, 'generated');
const seconds = posInt(values.seconds ?? (generated ? '2400' : '3600'), 'seconds');
const firstSeed = Number(values.seed);
if (!(Number.isInteger(firstSeed) && firstSeed >= 0))
  throw new RangeError(`--seed ${values.seed}: must be ≥ 0`);
const single = !generated && !values.shipped;
const controllers = (values.controllers ?? (single ? 'fixed,actuated,adaptive' : 'adaptive')).split(',');
for (const c of controllers)
  if (!['fixed', 'actuated', 'adaptive'].includes(c))
    throw new RangeError(`--controllers: "${c}" is not one of fixed, actuated, adaptive`);
const rows: CompareRow[] = [
  ...(single ? (['sumo program'] as const) : []),
  'sumo stock',
  'sumo fair',
  ...controllers.map((c) => `calle ${c}` as CompareRow),
];
const say = (line: string): void => (values.json ? console.error(line) : console.log(line));
const log = pino({ level: 'warn' });
const dir = mkdtempSync(join(tmpdir(), 'calle-bench-traffic-'));

interface Entry {
  name: string;
  /** One signal (isolated junction) or more (network); undefined for shipped scenarios. */
  isolated?: boolean;
  seconds: number;
  summary: RowSummary[];
}
const entries: Entry[] = [];
const t0 = performance.now();
try {
  const jobs: {
    name: string;
    isolated?: boolean;
    make: () => { scenario: TrafficScenario; seconds: number };
  }[] = [];
  if (generated) {
    for (let s = firstSeed; s < firstSeed + generated; s++) {
      jobs.push({
        name: `gen-${s}`,
        make: () => {
          const g = generatedScenario(s, seconds, dir);
          const job = jobs.find((j) => j.name === `gen-${s}`)!;
          job.name = g.name;
          job.isolated = g.isolated;
          return { scenario: g.scenario, seconds };
        },
      });
    }
  } else if (values.shipped) {
    for (const src of findScenarios()) {
      const span =
        src.scenario.endS !== undefined ? src.scenario.endS - (src.scenario.beginS ?? 0) : Infinity;
      jobs.push({
        name: src.name,
        make: () => ({ scenario: src.scenario, seconds: Math.min(seconds, span) }),
      });
    }
  } else {
    const file = values.sumocfg ?? join(sumoScenarioDir('x1'), 'x1.sumocfg');
    jobs.push({
      name: values.sumocfg ?? 'x1',
      make: () => ({ scenario: scenarioFromSumocfg(file), seconds }),
    });
  }
  for (const job of jobs) {
    const { scenario, seconds: s } = job.make();
    const tj = performance.now();
    const summary = await compareScenario({
      name: job.name.replace(/[^\w.-]/g, '_'),
      scenario,
      rows,
      seeds,
      seconds: s,
      dir,
      log,
      onRun: (row, r, wall) =>
        console.error(
          `${job.name} ${row} seed ${r.seed}: ${r.meanDelay.toFixed(2)} s (${wall.toFixed(1)} s wall)`,
        ),
    });
    entries.push({
      name: job.name,
      ...(job.isolated === undefined ? {} : { isolated: job.isolated }),
      seconds: s,
      summary,
    });
    if (single) printRows(job.name, s, summary);
    else console.error(`${job.name}: ${((performance.now() - tj) / 1000).toFixed(0)} s wall`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (!single) printSet(entries);
const wallS = (performance.now() - t0) / 1000;
say(`wall time ${wallS.toFixed(0)} s`);
const json = JSON.stringify(
  { seconds, seeds, rows, firstSeed: generated ? firstSeed : undefined, wallS, entries },
  null,
  2,
);
if (values.json) console.log(json);
if (values.out) writeFileSync(values.out, json);

function printRows(name: string, s: number, summary: RowSummary[]): void {
  say(`${name}, ${s} s, SUMO seeds 1..${seeds}: medians over seeds (delay = RESCO mean delay)`);
  say(
    'controller       delay s  (mean)  waiting s  throughput  max queue  violations  latches  × stock  × fair',
  );
  for (const r of summary)
    say(
      `${r.row.padEnd(15)}  ${r.medianDelay.toFixed(2).padStart(7)}  ${r.meanDelay.toFixed(2).padStart(6)}  ${r.medianWaiting.toFixed(2).padStart(9)}  ${String(r.medianThroughput).padStart(10)}  ${String(r.medianMaxQueue).padStart(9)}  ${String(r.safetyViolations).padStart(10)}  ${String(r.supervisorInterventions).padStart(7)}  ${r.vsStock.toFixed(2).padStart(7)}  ${r.vsFair.toFixed(2).padStart(6)}`,
    );
}

/** One line per scenario, then the figures over the set. */
function printSet(list: Entry[]): void {
  const calle = rows.filter((r) => r.startsWith('calle'));
  say(
    `${list.length} scenarios, ${seconds} s, SUMO seeds 1..${seeds}: median delay s; ratios of ${calle.join(', ')}`,
  );
  say(
    `${'scenario'.padEnd(26)} stock   fair  ${calle.map((c) => c.slice(6).padStart(8)).join(' ')}  × fair  × stock  viol  latch`,
  );
  const by = (e: Entry, row: CompareRow): RowSummary | undefined => e.summary.find((x) => x.row === row);
  for (const e of list) {
    const main = by(e, calle.at(-1)!);
    say(
      `${e.name.padEnd(26)} ${f(by(e, 'sumo stock')?.medianDelay)} ${f(by(e, 'sumo fair')?.medianDelay)}  ${calle.map((c) => f(by(e, c)?.medianDelay).padStart(8)).join(' ')}  ${f(main?.vsFair).padStart(6)}  ${f(main?.vsStock).padStart(7)}  ${String(calle.reduce((t, c) => t + (by(e, c)?.safetyViolations ?? 0), 0)).padStart(4)}  ${String(calle.reduce((t, c) => t + (by(e, c)?.supervisorInterventions ?? 0), 0)).padStart(5)}`,
    );
  }
  for (const c of calle) {
    const ratios = list.map((e) => by(e, c)?.vsFair ?? Number.NaN);
    const stock = list.map((e) => by(e, c)?.vsStock ?? Number.NaN);
    const iso = list.filter((e) => e.isolated === true).map((e) => by(e, c)?.vsFair ?? Number.NaN);
    const net = list.filter((e) => e.isolated === false).map((e) => by(e, c)?.vsFair ?? Number.NaN);
    const m = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    say(
      `${c}: × fair mean ${f(m(ratios))} (target ≤ 0.75), max ${f(Math.max(...ratios))} (≤ 1.0); ` +
        `isolated ${iso.filter((x) => x <= 0.8).length}/${iso.length} ≤ 0.8, networks ${net.filter((x) => x <= 0.7).length}/${net.length} ≤ 0.7; ` +
        `× stock mean ${f(m(stock))}, max ${f(Math.max(...stock))}`,
    );
  }
}

function f(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? '    —' : x.toFixed(2).padStart(5);
}
