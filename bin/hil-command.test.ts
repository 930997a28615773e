import test from 'ava';
import { join } from 'node:path';
import { sumoScenarioDir } from '../hil-tests/sumo/scenario-data.js';
import { runHilCommand } from './hil-command.js';

const X1 = sumoScenarioDir('x1');

test('calle hil — usage errors name the option and exit 2', async (t) => {
  const cases: [string[], RegExp][] = [
    [[], /Usage:/],
    [['nope'], /unknown subcommand 'nope'/],
    [['traffic', '--controller', 'sumo'], /give --sumocfg FILE, or --net FILE and --routes FILE/],
    [
      ['traffic', '--sumocfg', join(X1, 'x1.sumocfg'), '--controller', 'fastest'],
      /--controller must be one of/,
    ],
    [
      ['traffic', '--sumocfg', join(X1, 'x1.sumocfg'), '--controller', 'sumo', '--seconds', '1.5'],
      /--seconds/,
    ],
    [['traffic', '--sumocfg', join(X1, 'x1.sumocfg'), '--controller', 'sumo', '--seed', '-1'], /--seed/],
    [
      ['traffic', '--sumocfg', join(X1, 'missing.sumocfg'), '--controller', 'sumo'],
      /--sumocfg: .*missing\.sumocfg/,
    ],
  ];
  for (const [args, re] of cases) {
    const lines: string[] = [];
    const code = await runHilCommand(args, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
    t.is(code, 2, args.join(' '));
    t.regex(lines.join('\n'), re);
  }
});

test('calle hil traffic — --json prints the result fields the issue names', async (t) => {
  const out: string[] = [];
  const code = await runHilCommand(
    [
      'traffic',
      '--net',
      join(X1, 'x1_actuated.net.xml'),
      '--routes',
      join(X1, 'x1_poisson.flows.xml'),
      '--controller',
      'sumo',
      '--seconds',
      '120',
      '--seed',
      '7',
      '--json',
    ],
    { out: (l) => out.push(l), err: (l) => out.push(l) },
  );
  t.is(code, 0, out.join('\n'));
  const r = JSON.parse(out[0]!) as Record<string, unknown>;
  t.deepEqual(Object.keys(r), [
    'controller',
    'seed',
    'vehicles',
    'meanDelay',
    'meanWaiting',
    'throughput',
    'maxQueue',
    'safetyViolations',
    'supervisorInterventions',
  ]);
  t.is(r.controller, 'sumo');
  t.is(r.seed, 7);
  t.true((r.vehicles as number) > 20);
});

test('calle hil traffic — runs a scenario whose routes name an XSD (sumo-tools installed)', async (t) => {
  const out: string[] = [];
  const code = await runHilCommand(
    [
      'traffic',
      '--sumocfg',
      join(sumoScenarioDir('ingolstadt1'), 'ingolstadt1.sumocfg'),
      '--controller',
      'sumo',
      '--seconds',
      '30',
      '--json',
    ],
    { out: (l) => out.push(l), err: (l) => out.push(l) },
  );
  t.is(code, 0, out.join('\n'));
  t.true((JSON.parse(out[0]!) as { vehicles: number }).vehicles > 0);
});
