// `calle lighting replay`: the site's own lighting loop over counted traffic on a simulated clock
// (edge/site/lighting-replay.ts), so that anyone can reproduce the lighting week on their counts;
// LEVELS.csv per group per minute, and a summary: energy, baseline and under-lit minutes.
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError } from '../edge/config/config-error.js';
import { loadEdgeConfig } from '../edge/config/load-config.js';
import { resolveDeviceTypes } from '../edge/devices/catalogue.js';
import { REPLAY_STRATEGIES, replayLighting, type ReplayStrategy } from '../edge/site/lighting-replay.js';
import { LEVELS_HEADER, levelLine, parseCounts } from './lighting-csv.js';
import { CsvError } from './waste-csv.js';
import { ENERGY_MIGRATIONS, verifyEnergyChain } from '../edge/energy/energy-ledger.js';
import { mvCsv, mvReport, MvReportError } from '../edge/energy/mv-report.js';
import { openDatabase } from '../common/sqlite/open-database.js';

export const LIGHTING_USAGE = `Usage:
  calle lighting replay --config SITE.json --counts COUNTS.csv --output LEVELS.csv
                        [--strategy adaptive|full|midnight] [--age-days N]
      Runs the site's lighting loop over counted traffic on a simulated clock (Madrid's sun from
      the site's position). COUNTS: time,detector,count — ISO 8601 UTC on the minute, one row per
      detector per minute, sorted by time (a missing row is "no reading"). Writes LEVELS:
      time,group,levelPct,lightingClass,powerW per group per minute (mean level and power over
      the minute, class at its end) and prints energy and under-lit minutes per group.
      --strategy: adaptive (default: the site file as it is), full (100 % dusk to dawn) or
      midnight (100 %, 50 % from 00:00). --age-days: luminaire age at the first minute
      (default: the site's maintenance.installed).
  calle lighting mv --energy ENERGY.db --month YYYY-MM
      The month's measurement-and-verification report per lighting group (Madrid's month) from
      the node's hash-chained energy records (energy.db beside the edge's store), chain verified
      first: baseline and actual kWh, saving, method (metered, modelled or mixed), constant-light
      saving, burning hours and coverage, as CSV, then the methods.`;

export interface LightingIo {
  out(line: string): void;
  err(line: string): void;
}

const consoleIo: LightingIo = { out: (l) => console.log(l), err: (l) => console.error(l) };

/** Runs `calle lighting …`; returns the exit code (2: usage or bad input). */
export function runLightingCommand(args: string[], io: LightingIo = consoleIo): number {
  const [sub, ...rest] = args;
  if (sub === 'mv') return runMv(rest, io);
  if (sub !== 'replay') {
    io.err(
      sub === undefined ? LIGHTING_USAGE : `calle lighting: unknown subcommand '${sub}'\n${LIGHTING_USAGE}`,
    );
    return 2;
  }
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        config: { type: 'string' },
        counts: { type: 'string' },
        output: { type: 'string' },
        strategy: { type: 'string', default: 'adaptive' },
        'age-days': { type: 'string' },
      },
    }));
  } catch (err) {
    io.err(`calle lighting replay: ${(err as Error).message}\n${LIGHTING_USAGE}`);
    return 2;
  }
  const usage = (msg: string): number => {
    io.err(`calle lighting replay: ${msg}\n${LIGHTING_USAGE}`);
    return 2;
  };
  const { config: configFile, counts: countsFile, output } = values;
  if (!configFile || !countsFile || !output) return usage('--config, --counts and --output are required');
  const strategy = values.strategy as ReplayStrategy;
  if (!REPLAY_STRATEGIES.includes(strategy))
    return usage(`--strategy '${values.strategy}': expected ${REPLAY_STRATEGIES.join(', ')}`);
  const rawAge = values['age-days'];
  const ageDays = rawAge === undefined ? undefined : Number(rawAge);
  if (
    ageDays !== undefined &&
    !(rawAge !== '' && Number.isFinite(ageDays) && ageDays >= 0 && ageDays <= 36_500)
  )
    return usage(`--age-days '${rawAge}': expected a number of days 0..36500`);

  const lines: string[] = [];
  let result;
  try {
    const config = loadEdgeConfig(configFile);
    const { types } = resolveDeviceTypes(config.deviceTypes, 'deviceTypes');
    const detectors = new Set(
      config.devices.filter((d) => types.get(d.type)?.kind === 'detector').map((d) => d.id),
    );
    const counts = parseCounts(countsFile, readFileSync(countsFile, 'utf8'), detectors);
    for (const g of config.lightingGroups)
      for (const d of g.detectors)
        if (!counts.perDetector.has(d))
          io.err(`warning: ${countsFile}: no counts for ${d}: group ${g.id} runs as with a lost detector`);
    result = replayLighting({
      config,
      counts,
      strategy,
      ...(ageDays !== undefined ? { ageDays } : {}),
      onRow: (row) => lines.push(levelLine(row)),
    });
  } catch (err) {
    if (
      err instanceof CsvError ||
      err instanceof ConfigError ||
      (err as NodeJS.ErrnoException).code === 'ENOENT'
    ) {
      io.err(`calle lighting replay: ${(err as Error).message}`);
      return 2;
    }
    throw err;
  }
  // Written whole then renamed: a failed run never leaves a half file that looks like a result.
  const tmp = `${output}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, [LEVELS_HEADER, ...lines, ''].join('\n'));
    renameSync(tmp, output);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  const kwh = (wh: number): string => (wh / 1000).toFixed(3);
  io.out(`${lines.length} rows → ${output} (strategy ${strategy})`);
  io.out('group,energyKWh,baselineKWh,underLitMinutes');
  for (const g of result.groups)
    io.out(`${g.id},${kwh(g.energyWh)},${kwh(g.baselineWh)},${g.underLitMinutes}`);
  io.out(
    `total,${kwh(result.energyWh)},${kwh(result.groups.reduce((a, g) => a + g.baselineWh, 0))},${result.underLitMinutes}`,
  );
  return 0;
}

/** `calle lighting mv`: the monthly M&V report from an energy ledger file. */
function runMv(args: string[], io: LightingIo): number {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { energy: { type: 'string' }, month: { type: 'string' } } }));
  } catch (err) {
    io.err(`calle lighting mv: ${(err as Error).message}\n${LIGHTING_USAGE}`);
    return 2;
  }
  if (!values.energy || !values.month) {
    io.err(`calle lighting mv: --energy and --month are required\n${LIGHTING_USAGE}`);
    return 2;
  }
  if (!existsSync(values.energy)) {
    io.err(`calle lighting mv: ${values.energy}: no such file`);
    return 2;
  }
  const db = openDatabase(values.energy, ENERGY_MIGRATIONS);
  try {
    const report = mvReport(db, values.month);
    for (const line of mvCsv(report)) io.out(line);
    io.out('');
    io.out(`# chain verified: ${report.chain.records} records, head ${report.chain.headHash}`);
    for (const m of report.methods) io.out(`# ${m}`);
    return 0;
  } catch (err) {
    if (!(err instanceof MvReportError)) throw err;
    io.err(`calle lighting mv: ${err.message}`);
    // A broken chain is a finding, not a usage error.
    return verifyEnergyChain(db).ok ? 2 : 1;
  } finally {
    db.close();
  }
}
