// `calle hil traffic`: one closed-loop run of a SUMO scenario under a controller, printing the
// RESCO-style figures (sim/sumo/traffic-run.ts). SUMO itself must be installed (Debian's
// `sumo`, 1.15); SUMO_HOME defaults to /usr/share/sumo for the child process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import {
  CONTROLLERS,
  runTraffic,
  type TrafficController,
  type TrafficResult,
} from '../sim/sumo/traffic-run.js';
import { scenarioFromSumocfg, type TrafficScenario } from '../sim/sumo/traffic-scenario.js';

export const HIL_USAGE = `Usage:
  calle hil traffic (--sumocfg FILE | --net FILE --routes FILE [--additional FILE])
                    --controller adaptive|actuated|fixed|sumo [--seconds 3600] [--seed N] [--json]
      Runs SUMO on the scenario with calle's controller (through the TraCI driver, behind the
      safety supervisor) or SUMO's own program, and prints vehicles, mean delay (RESCO), mean
      waiting, throughput, max queue, safety violations and supervisor interventions.`;

export interface HilIo {
  out(line: string): void;
  err(line: string): void;
}

const consoleIo: HilIo = { out: (l) => console.log(l), err: (l) => console.error(l) };

/** Runs `calle hil …`; resolves to the exit code (2: usage, 1: the run failed). */
export async function runHilCommand(args: string[], io: HilIo = consoleIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'traffic') {
    io.err(sub === undefined ? HIL_USAGE : `calle hil: unknown subcommand '${sub}'\n${HIL_USAGE}`);
    return 2;
  }
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        sumocfg: { type: 'string' },
        net: { type: 'string' },
        routes: { type: 'string' },
        additional: { type: 'string' },
        controller: { type: 'string' },
        seconds: { type: 'string' },
        seed: { type: 'string', default: '1' },
        json: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    io.err(`calle hil traffic: ${(err as Error).message}\n${HIL_USAGE}`);
    return 2;
  }
  const usage = (why: string): number => {
    io.err(`calle hil traffic: ${why}\n${HIL_USAGE}`);
    return 2;
  };
  let scenario: TrafficScenario;
  if (values.sumocfg !== undefined) {
    if (values.net !== undefined || values.routes !== undefined)
      return usage('--sumocfg cannot be combined with --net/--routes');
    try {
      scenario = scenarioFromSumocfg(values.sumocfg);
    } catch (err) {
      return usage(`--sumocfg: ${(err as Error).message}`);
    }
    if (values.additional !== undefined)
      scenario = { ...scenario, additional: [...scenario.additional, values.additional] };
  } else {
    if (values.net === undefined || values.routes === undefined)
      return usage('give --sumocfg FILE, or --net FILE and --routes FILE');
    scenario = {
      net: values.net,
      routes: values.routes.split(','),
      additional: values.additional === undefined ? [] : values.additional.split(','),
    };
  }
  const controller = values.controller as TrafficController | undefined;
  if (controller === undefined || !CONTROLLERS.includes(controller))
    return usage(
      `--controller must be one of ${CONTROLLERS.join(', ')}, got ${JSON.stringify(values.controller)}`,
    );
  const seconds = Number(
    values.seconds ??
      (scenario.endS !== undefined ? scenario.endS - (scenario.beginS ?? 0) : undefined) ??
      3600,
  );
  if (!(Number.isInteger(seconds) && seconds > 0 && seconds <= 7 * 86400))
    return usage(`--seconds must be a whole number of seconds in 1..604800, got ${values.seconds}`);
  const seed = Number(values.seed);
  if (!(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 31))
    return usage(`--seed must be an integer in 0..2^31-1, got ${values.seed}`);

  const dir = mkdtempSync(join(tmpdir(), 'calle-hil-'));
  const log = pino({ level: process.env.CALLE_LOG_LEVEL ?? 'warn' }, pino.destination(2));
  try {
    const r = await runTraffic({ scenario, controller, seconds, seed, dir, log });
    io.out(values.json ? JSON.stringify(r) : formatResult(r));
    return 0;
  } catch (err) {
    io.err(`calle hil traffic: ${(err as Error).message}`);
    return 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatResult(r: TrafficResult): string {
  return [
    `controller               ${r.controller}`,
    `seed                     ${r.seed}`,
    `vehicles                 ${r.vehicles}`,
    `meanDelay                ${r.meanDelay.toFixed(2)} s`,
    `meanWaiting              ${r.meanWaiting.toFixed(2)} s`,
    `throughput               ${r.throughput}`,
    `maxQueue                 ${r.maxQueue}`,
    `safetyViolations         ${r.safetyViolations}`,
    `supervisorInterventions  ${r.supervisorInterventions}`,
  ].join('\n');
}
