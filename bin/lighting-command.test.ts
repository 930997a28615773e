// `calle lighting replay` on the example site: counts written here for one winter evening and
// night (per-minute, the three lighting detectors), replayed by each strategy; bad files are
// refused with the line and field, and no output is left behind.
import test, { type ExecutionContext } from 'ava';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../common/testing/temp-dir.js';
import { LIGHTING_USAGE, runLightingCommand } from './lighting-command.js';
import { LEVELS_HEADER } from './lighting-csv.js';

const SITE = path.join(path.dirname(fileURLToPath(import.meta.url)), '../edge/examples/madrid-street.json');
/** 19:00 Madrid (CET) on a Monday in November; 6 hours to 01:00. */
const START = Date.parse('2025-11-10T18:00:00Z');
const MINUTES = 6 * 60;
const DETECTORS = ['det-w', 'det-e', 'det-n'];

/** 10 vehicles a minute per detector until 21:00 Madrid, 1 until 00:30, then 20 (a concert lets out). */
function countsCsv(skip?: { detector: string; minute: number }): string {
  const rows = ['time,detector,count'];
  for (let m = 0; m < MINUTES; m++)
    for (const d of DETECTORS) {
      if (skip && skip.detector === d && skip.minute === m) continue;
      rows.push(`${new Date(START + m * 60_000).toISOString()},${d},${m < 120 ? 10 : m < 330 ? 1 : 20}`);
    }
  return rows.join('\n') + '\n';
}

function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = runLightingCommand(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function replay(t: ExecutionContext, counts: string, ...extra: string[]) {
  const dir = tempDir(t);
  const file = path.join(dir, 'counts.csv');
  const output = path.join(dir, 'levels.csv');
  writeFileSync(file, counts);
  const r = run(['replay', '--config', SITE, '--counts', file, '--output', output, ...extra]);
  const rows = existsSync(output)
    ? readFileSync(output, 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(','))
    : [];
  return { ...r, rows, file, output };
}

test('lighting replay — one row per group per minute, header as documented; adaptive uses less than full, midnight halves after 00:00', (t) => {
  const full = replay(t, countsCsv(), '--strategy', 'full');
  t.is(full.code, 0, full.err);
  t.is(full.rows[0]!.join(','), LEVELS_HEADER);
  t.is(full.rows.length, 1 + 3 * MINUTES);
  t.deepEqual(full.rows[1], ['2025-11-10T18:00:00.000Z', 'atocha-west', '100', 'M3', '968']);
  t.regex(full.out, /^total,[\d.]+,[\d.]+,0$/m);

  const midnight = replay(t, countsCsv(), '--strategy', 'midnight');
  const at = (rows: string[][], iso: string, group: string) =>
    rows.find((r) => r[0] === iso && r[1] === group)!;
  t.is(at(midnight.rows, '2025-11-10T22:58:00.000Z', 'atocha-east')[2], '100'); // 23:58 Madrid
  t.is(at(midnight.rows, '2025-11-10T23:01:00.000Z', 'atocha-east')[2], '50'); // 00:01 Madrid
  t.regex(
    midnight.out,
    /^total,[\d.]+,[\d.]+,[1-9]\d*$/m,
    'half power after midnight is under-lit once the street fills again',
  );

  const adaptive = replay(t, countsCsv(), '--age-days', '0');
  t.is(adaptive.code, 0, adaptive.err);
  const total = (out: string) => Number(/^total,([\d.]+),/m.exec(out)![1]);
  t.true(total(adaptive.out) < 0.6 * total(full.out), `${total(adaptive.out)} vs ${total(full.out)}`);
  t.regex(adaptive.out, /^total,[\d.]+,[\d.]+,0$/m, 'never under-lit');
  // Quiet after 21:00, after 22:00 the night weights: M6 on Atocha, P6 on Magdalena; busy again at 00:30.
  t.deepEqual(at(adaptive.rows, '2025-11-10T23:00:00.000Z', 'atocha-west').slice(2, 4), ['27', 'M6']);
  t.is(at(adaptive.rows, '2025-11-10T23:00:00.000Z', 'magdalena')[3], 'P6');
  t.is(at(adaptive.rows, '2025-11-10T23:45:00.000Z', 'atocha-west')[3], 'M4');
});

test('lighting replay — a minute with no row is no reading: the group keeps its design class for a window', (t) => {
  const r = replay(t, countsCsv({ detector: 'det-w', minute: 240 }), '--age-days', '0');
  t.is(r.code, 0, r.err);
  const west = (iso: string) => r.rows.find((x) => x[0] === iso && x[1] === 'atocha-west')!;
  t.is(west('2025-11-10T21:59:00.000Z')[3], 'M6');
  t.is(west('2025-11-10T22:05:00.000Z')[3], 'M3', 'missing count → design class');
  t.is(west('2025-11-10T22:30:00.000Z')[3], 'M6', 'back once the window is clean');
});

test('lighting replay — bad counts are refused with line and field, and no output is written', (t) => {
  const cases: [string, RegExp][] = [
    [
      'time,detector,count\n2025-11-10T18:00:00Z,det-x,3\n',
      /counts\.csv:2: detector: unknown detector "det-x" \(the site's detectors: det-w, det-e, det-n, det-s\)/,
    ],
    [
      'time,detector,count\n2025-11-10T18:01:00Z,det-w,3\n2025-11-10T18:00:00Z,det-w,3\n',
      /counts\.csv:3: time: 2025-11-10T18:00:00\.000Z is before line 2's 2025-11-10T18:01:00\.000Z: rows must be sorted by time/,
    ],
    [
      'time,detector,count\n2025-11-10 18:00,det-w,3\n',
      /counts\.csv:2: time: "2025-11-10 18:00" is not an ISO 8601 UTC time on the minute/,
    ],
    ['time,detector,count\n2025-11-10T18:00:30Z,det-w,3\n', /counts\.csv:2: time: .* on the minute/],
    [
      'time,detector,count\n2025-11-10T18:00:00Z,det-w,-1\n',
      /counts\.csv:2: count: "-1" is not a whole number of vehicles/,
    ],
    [
      'time,detector,count\n2025-11-10T18:00:00Z,det-w,1\n2025-11-10T18:00:00Z,det-w,2\n',
      /counts\.csv:3: detector: "det-w" already has a count for 2025-11-10T18:00:00\.000Z \(line 2\)/,
    ],
    ['time,detector\n2025-11-10T18:00:00Z,det-w\n', /counts\.csv:1: header: missing column "count"/],
  ];
  for (const [csv, message] of cases) {
    const r = replay(t, csv);
    t.is(r.code, 2, csv);
    t.regex(r.err, message);
    t.false(existsSync(r.output), 'no output');
  }
});

test('lighting replay — usage errors name the option', (t) => {
  t.regex(run(['replay', '--config', SITE]).err, /--config, --counts and --output are required/);
  t.regex(
    run(['replay', '--config', SITE, '--counts', 'c', '--output', 'o', '--strategy', 'eco']).err,
    /--strategy 'eco': expected adaptive, full, midnight/,
  );
  t.regex(
    run(['replay', '--config', SITE, '--counts', 'c', '--output', 'o', '--age-days', 'old']).err,
    /--age-days 'old': expected a number of days/,
  );
  const none = run([]);
  t.is(none.code, 2);
  t.is(none.err, LIGHTING_USAGE);
});
