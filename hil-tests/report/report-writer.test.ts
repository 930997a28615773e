import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../common/testing/temp-dir.js';
import type { TrafficResult } from '../../sim/sumo/traffic-run.js';
import { runLightingKpi } from './lighting-kpi.js';
import { renderReport, writeReport, type ReportInput } from './report-writer.js';
import { barChartSvg } from './svg-bars.js';
import { actuatedNetXml } from '../sumo/baseline-nets.js';
import { TRAFFIC_ROWS, type TrafficScenarioResult } from './traffic-kpi.js';

const run = (meanDelay: number, safetyViolations = 0): TrafficResult => ({
  controller: 'adaptive',
  seed: 1,
  vehicles: 100,
  meanDelay,
  meanWaiting: meanDelay / 2,
  throughput: 95,
  maxQueue: 12,
  safetyViolations,
  supervisorInterventions: 0,
});

/** Delays per row in TRAFFIC_ROWS order; the last row's runs get `violations`. */
const scenario = (name: string, delays: number[], violations = 0): TrafficScenarioResult => ({
  scenario: name,
  seconds: 3600,
  notes: [],
  cells: TRAFFIC_ROWS.map((row, i) => ({
    row,
    runs: [run(delays[i]!, row === 'calle adaptive' ? violations : 0)],
  })),
});

const input: ReportInput = {
  date: '2026-01-02',
  command: 'npm run hil:report -- --quick',
  seeds: 1,
  traffic: [
    // static, stock actuated, fair, calle fixed, actuated, adaptive
    scenario('x1', [25, 12, 20, 28, 17, 15]), // 15 / 20 = 0.75 of fair: met (1.25 of stock)
    scenario('tight', [25, 12, 20, 28, 17, 17]), // 0.85: missed
    scenario('unsafe', [25, 12, 20, 28, 17, 10], 2), // 0.5 but violations: missed
  ],
  lighting: {
    description: 'synthetic week',
    fullPower: { name: 'full power', energyKWh: 100, underLitMinutes: 0 },
    fixedDimming: { name: 'fixed midnight dimming', energyKWh: 75, underLitMinutes: 30 },
    adaptive: { name: 'calle adaptive', energyKWh: 55, underLitMinutes: 0 },
    notes: [],
  },
  waste: {
    notes: [],
    datasets: [
      {
        name: 'real',
        n: 10,
        unit: 'days',
        calleMae: 3,
        baselines: { 'no change': 20, 'linear trend 48 h': 5 },
      },
      {
        name: 'sim',
        n: 10,
        unit: 'days',
        calleMae: 4,
        baselines: { 'no change': 20, 'linear trend 48 h': 5 },
        coverage: { level: 0.8, value: 0.86 },
        emptying: { recall: 0.99, precision: 0.95 },
      },
    ],
  },
};

const row = (md: string, first: string): string => md.split('\n').find((l) => l.startsWith(`| ${first} |`))!;

test('report writer — traffic rows carry the mean delays, the ratios to the fair and stock baselines and the verdict', (t) => {
  const { markdown } = renderReport(input);
  t.is(
    row(markdown, 'x1'),
    '| x1 | 3600 | 1 | 25.00 | 12.00 | 20.00 | 28.00 | 17.00 | 15.00 | 0 | 0.75 | 1.25 | **met** |',
  );
  t.regex(row(markdown, 'tight'), /\| 0\.85 \| 1\.42 \| \*\*missed\*\* \|$/);
  t.regex(
    row(markdown, 'unsafe'),
    /\| 2 \| 0\.50 \| 0\.83 \| \*\*missed\*\* \|$/,
    'violations miss the target',
  );
});

test('report writer — lighting and waste verdicts follow the issue 7 targets', (t) => {
  const { markdown } = renderReport(input);
  t.true(markdown.includes('| ≥ 40.0 % below full power | 45.0 % | **met** |'));
  t.true(markdown.includes('| ≥ 20.0 % below fixed midnight dimming | 26.7 % | **met** |'));
  t.true(markdown.includes('| zero under-lit minutes (calle adaptive) | 0 | **met** |'));
  t.regex(row(markdown, 'real'), /\| 0\.60 \| \*\*met\*\* \| – \| – \|$/);
  t.regex(
    row(markdown, 'sim'),
    /\| 0\.80 \| \*\*missed\*\* \| 0\.86 of 0\.80 \*\*missed\*\* \| 0\.99 \/ 0\.95 \*\*met\*\* \|$/,
  );
});

test('report writer — writes report.md and one SVG per chart into kpi-<date>', (t) => {
  const out = tempDir(t);
  const file = writeReport(out, input);
  t.is(file, join(out, 'kpi-2026-01-02', 'report.md'));
  t.deepEqual(readdirSync(join(out, 'kpi-2026-01-02')).sort(), [
    'data.json',
    'lighting-energy.svg',
    'report.md',
    'traffic-delay.svg',
    'waste-ttf.svg',
  ]);
  const md = readFileSync(file, 'utf8');
  t.deepEqual(JSON.parse(readFileSync(join(out, 'kpi-2026-01-02', 'data.json'), 'utf8')), input);
  for (const svg of md.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)) {
    const text = readFileSync(join(out, 'kpi-2026-01-02', svg[1]!), 'utf8');
    t.regex(text, /^<svg [^>]*>[\s\S]*<\/svg>\n$/, svg[1]);
  }
});

test('svg bars — one bar per finite value, labels escaped, the reference drawn', (t) => {
  const svg = barChartSvg({
    title: 'a < b',
    unit: 's',
    series: ['p', 'q'],
    groups: [
      { label: 'x & y', values: [1, Number.NaN] },
      { label: 'z', values: [2, 3] },
    ],
    reference: { value: 2.5, label: 'target' },
  });
  // Two legend swatches and three bars.
  t.is(svg.match(/<rect [^>]*height="12"/g)?.length, 3);
  t.true(svg.includes('a &lt; b') && svg.includes('x &amp; y'));
  t.true(svg.includes('stroke-dasharray'));
});

test('traffic kpi — the actuated copy turns static programs actuated and bounds green phases only', (t) => {
  const net = [
    '<net><tlLogic id="A" type="static" programID="0" offset="0">',
    '<phase duration="30" state="GGrr"/>',
    '<phase duration="3" state="yyrr"/>',
    '<phase duration="4" state="rrGg"/>',
    '</tlLogic></net>',
  ].join('\n');
  t.is(
    actuatedNetXml(net),
    [
      '<net><tlLogic id="A" type="actuated" programID="0" offset="0">',
      '<phase duration="30" state="GGrr" minDur="5" maxDur="50"/>',
      '<phase duration="3" state="yyrr"/>',
      '<phase duration="4" state="rrGg" minDur="4" maxDur="50"/>',
      '</tlLogic></net>',
    ].join('\n'),
  );
  t.is(actuatedNetXml(net.replace('static', 'actuated')), undefined, 'nothing static: no copy');
});

test('lighting kpi — over a simulated day, full power is never under-lit and calle uses less energy', (t) => {
  const k = runLightingKpi({ days: 1, tickS: 10 });
  t.is(k.fullPower.underLitMinutes, 0);
  t.true(k.fixedDimming.energyKWh < k.fullPower.energyKWh);
  t.true(k.adaptive.energyKWh < k.fullPower.energyKWh, `${k.adaptive.energyKWh} kWh`);
  // 40 × 60.5 W for about 14 h of November night, plus standby by day.
  t.true(k.fullPower.energyKWh > 30 && k.fullPower.energyKWh < 37, `${k.fullPower.energyKWh} kWh`);
});
