// `npm run hil:report [--seeds N] [--quick] [--seconds S] [--out DIR] [--scenarios a,b]
//    [--seed-cap name=N,…] [--skip traffic,lighting,waste] [--from DATA_JSON]`
// Runs issue 7's KPI matrix and writes `<out>/kpi-<date>/report.md` with its SVG charts (default
// out: the repository's gitignored `.calle/reports`). `--quick`: one seed, x1 only. The traffic
// runs go one after another; the whole matrix takes a long time (5 seeds × 5 rows × 6 scenarios).
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { runLightingKpi } from './lighting-kpi.js';
import { writeReport, type ReportInput } from './report-writer.js';
import { findScenarios, runTrafficMatrix } from './traffic-kpi.js';
import { runWasteKpi } from './waste-kpi.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

const { values } = parseArgs({
  options: {
    seeds: { type: 'string' },
    seconds: { type: 'string', default: '3600' },
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: join(REPO, '.calle', 'reports') },
    skip: { type: 'string', default: '' },
    scenarios: { type: 'string' },
    from: { type: 'string' },
    'seed-cap': { type: 'string', default: '' },
  },
});
if (values.from !== undefined) {
  // Render again from a previous run's data.json (a change to the writer, not to the measurements).
  console.log(writeReport(values.out, JSON.parse(readFileSync(values.from, 'utf8')) as ReportInput));
  process.exit(0);
}
const seeds = Number(values.seeds ?? (values.quick ? 1 : 5));
const seconds = Number(values.seconds);
if (!(Number.isInteger(seeds) && seeds >= 1))
  throw new RangeError(`--seeds ${values.seeds}: must be an integer ≥ 1`);
if (!(Number.isInteger(seconds) && seconds >= 1))
  throw new RangeError(`--seconds ${values.seconds}: must be an integer ≥ 1`);
// `--seed-cap ingolstadt21=1`: fewer seeds for a scenario too long to run five times.
const seedsFor = Object.fromEntries(
  values['seed-cap']
    .split(',')
    .filter(Boolean)
    .map((kv) => {
      const [name, n] = kv.split('=');
      if (!name || !(Number.isInteger(Number(n)) && Number(n) >= 1))
        throw new RangeError(`--seed-cap ${kv}: must be scenario=N with N ≥ 1`);
      return [name, Number(n)];
    }),
);
const skip = new Set(values.skip.split(',').filter(Boolean));
const wanted = values.scenarios?.split(',') ?? (values.quick ? ['x1'] : undefined);

const log = pino({ level: 'warn' });
const all = findScenarios();
const unknown = (wanted ?? []).filter((w) => !all.some((s) => s.name === w));
if (unknown.length)
  throw new Error(`--scenarios: ${unknown.join(', ')} not found (have ${all.map((s) => s.name).join(', ')})`);
// Smallest nets first: the long ones (ingolstadt21) last, so a stopped run has the most rows.
const scenarios = (wanted ? all.filter((s) => wanted.includes(s.name)) : all).sort(
  (a, b) => statSync(a.scenario.net).size - statSync(b.scenario.net).size,
);
// Lighting and waste take seconds; they go first so that the report written after each traffic
// scenario (a long matrix can be stopped and still leave a report) is complete but for traffic.
const lighting = skip.has('lighting') ? undefined : runLightingKpi({ days: 7 });
const waste = skip.has('waste') ? undefined : runWasteKpi();
const date = new Date().toISOString().slice(0, 10);
const write = (traffic: ReportInput['traffic'], done: boolean): string =>
  writeReport(values.out, {
    date,
    command:
      `npm run hil:report -- ${process.argv.slice(2).join(' ')}`.trim() + (done ? '' : ' (in progress)'),
    traffic,
    seeds,
    ...(lighting ? { lighting } : {}),
    ...(waste ? { waste } : {}),
  });
const traffic = skip.has('traffic')
  ? []
  : await runTrafficMatrix({
      scenarios,
      seeds,
      seedsFor,
      seconds,
      log,
      onRun: (s, row, r, wall) =>
        console.error(
          `traffic ${s} ${row} seed ${r.seed}: delay ${r.meanDelay.toFixed(2)} s, violations ${r.safetyViolations} (${wall.toFixed(0)} s wall)`,
        ),
      onScenario: (sofar) => console.error(`partial report: ${write(sofar, false)}`),
    });
console.log(write(traffic, true));
