// `npm run bench:traffic`: x1 for one simulated hour, several seeds, SUMO's static and actuated
// programs and calle's fixed / actuated / adaptive controllers side by side in one run, medians
// printed as a table (BRIEF target: lower mean delay than SUMO's actuated, zero violations).
// Options: --seeds N (default 3), --seconds S (default 3600), --json FILE, --sumocfg FILE (another
// scenario: its net's own program is then the only SUMO row, and the ratio column is against it).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { sumoScenarioDir } from './scenario-data.js';
import { runTraffic, type TrafficController, type TrafficResult } from './traffic-run.js';
import { scenarioFromSumocfg, type TrafficScenario } from './traffic-scenario.js';

const X1 = sumoScenarioDir('x1');

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '3600' },
    json: { type: 'string' },
    sumocfg: { type: 'string' },
  },
});
const seeds = Number(values.seeds);
const seconds = Number(values.seconds);
const base = scenarioFromSumocfg(values.sumocfg ?? join(X1, 'x1.sumocfg'));
const x1 = values.sumocfg === undefined;
if (!(Number.isInteger(seeds) && seeds >= 1 && Number.isInteger(seconds) && seconds >= 1))
  throw new RangeError(`--seeds ${values.seeds} and --seconds ${values.seconds} must be positive integers`);
const baseline = x1 ? 'sumo actuated' : 'sumo program';
const rows: { name: string; controller: TrafficController; scenario: TrafficScenario }[] = [
  ...(x1
    ? [
        { name: 'sumo static', controller: 'sumo' as const, scenario: base },
        {
          name: 'sumo actuated',
          controller: 'sumo' as const,
          scenario: { ...base, net: join(X1, 'x1_actuated.net.xml') },
        },
      ]
    : [{ name: 'sumo program', controller: 'sumo' as const, scenario: base }]),
  { name: 'calle fixed', controller: 'fixed', scenario: base },
  { name: 'calle actuated', controller: 'actuated', scenario: base },
  { name: 'calle adaptive', controller: 'adaptive', scenario: base },
];
const log = pino({ level: 'warn' });
const dir = mkdtempSync(join(tmpdir(), 'calle-bench-traffic-'));
const results: Record<string, TrafficResult[]> = {};
try {
  for (let seed = 1; seed <= seeds; seed++) {
    for (const r of rows) {
      const t0 = performance.now();
      const res = await runTraffic({
        scenario: r.scenario,
        controller: r.controller,
        seconds,
        seed,
        dir,
        log,
      });
      (results[r.name] ??= []).push(res);
      console.error(
        `${r.name} seed ${seed}: ${res.meanDelay.toFixed(2)} s (${((performance.now() - t0) / 1000).toFixed(1)} s wall)`,
      );
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const ref = median(results[baseline]!.map((r) => r.meanDelay));
const summary = rows.map(({ name }) => {
  const rs = results[name]!;
  const delay = median(rs.map((r) => r.meanDelay));
  return {
    name,
    medianDelay: delay,
    meanDelay: mean(rs.map((r) => r.meanDelay)),
    medianWaiting: median(rs.map((r) => r.meanWaiting)),
    medianThroughput: median(rs.map((r) => r.throughput)),
    medianMaxQueue: median(rs.map((r) => r.maxQueue)),
    safetyViolations: rs.reduce((t, r) => t + r.safetyViolations, 0),
    supervisorInterventions: rs.reduce((t, r) => t + r.supervisorInterventions, 0),
    vsBaseline: delay / ref,
  };
});
console.log(
  `${x1 ? 'x1' : base.net}, ${seconds} s, seeds 1..${seeds}: medians over seeds (delay = RESCO mean delay)`,
);
console.log(
  'controller       delay s  (mean)  waiting s  throughput  max queue  violations  latches  × ' + baseline,
);
for (const s of summary) {
  console.log(
    `${s.name.padEnd(15)}  ${s.medianDelay.toFixed(2).padStart(7)}  ${s.meanDelay.toFixed(2).padStart(6)}  ${s.medianWaiting.toFixed(2).padStart(9)}  ${String(s.medianThroughput).padStart(10)}  ${String(s.medianMaxQueue).padStart(9)}  ${String(s.safetyViolations).padStart(10)}  ${String(s.supervisorInterventions).padStart(7)}  ${s.vsBaseline.toFixed(2).padStart(15)}`,
  );
}
if (values.json) writeFileSync(values.json, JSON.stringify({ seconds, seeds, summary, results }, null, 2));
