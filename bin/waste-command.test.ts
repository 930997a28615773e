// `calle waste predict` on the fixture set in bin/test-data/waste: two containers, hourly readings
// over 12 days with "no echo" values, two spikes, bursty filling, a day-night temperature swing,
// a quoted container id and one emptying (c-glass-01 at 2026-03-10T09:00Z).
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tempDir } from '../common/testing/temp-dir.js';
import { OUTPUT_HEADER, predictWaste, runWasteCommand } from './waste-command.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DATA = path.join(HERE, 'test-data/waste');
const READINGS = path.join(DATA, 'readings.csv');
const CONTAINERS = path.join(DATA, 'containers.csv');
const H = 3_600_000;
const T0 = Date.parse('2026-03-02T00:00:00Z');

function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = runWasteCommand(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

interface Row {
  id: string;
  ts: string;
  fill: number;
  emptied: string;
  at: number;
  low: number;
  high: number;
}

function predict(t: import('ava').ExecutionContext, readings = READINGS): { lines: string[]; rows: Row[] } {
  const output = path.join(tempDir(t), 'predictions.csv');
  const r = run(['predict', '--input', readings, '--containers', CONTAINERS, '--output', output]);
  t.is(r.code, 0, r.err);
  const lines = readFileSync(output, 'utf8').trimEnd().split('\n');
  t.is(lines[0], OUTPUT_HEADER);
  const rows = lines.slice(1).map((l) => {
    // The one quoted id in the fixture is "c,paper 02".
    const [id, ts, fill, emptied, at, low, high] = l.startsWith('"c,paper 02"')
      ? ['c,paper 02', ...l.slice(13).split(',')]
      : l.split(',');
    const time = (s: string | undefined) => (s ? Date.parse(s) : Number.NaN);
    return {
      id: id!,
      ts: ts!,
      fill: Number(fill),
      emptied: emptied!,
      at: time(at),
      low: time(low),
      high: time(high),
    };
  });
  return { lines, rows };
}

test('waste predict — one row per reading, in input order, with sane fills and intervals', (t) => {
  const { rows } = predict(t);
  const input = readFileSync(READINGS, 'utf8').trimEnd().split('\n').slice(1);
  t.is(rows.length, input.length);
  t.deepEqual(
    rows.map((r) => r.ts),
    input.map((l) => l.split(',').at(-3)),
  );
  for (const r of rows) {
    t.true(r.fill >= 0 && r.fill <= 1, `fill ${r.fill}`);
    // An empty high bound: not within the forecast horizon (unbounded).
    if (!Number.isNaN(r.at))
      t.true(r.low <= r.at && (Number.isNaN(r.high) || r.at <= r.high), `${r.id} ${r.ts}: interval order`);
  }
  const emptied = rows.filter((r) => r.emptied === '1').map((r) => `${r.id} ${r.ts}`);
  t.deepEqual(emptied, ['c-glass-01 2026-03-10T09:00:00Z']);
});

test('waste predict — no echo keeps the last fill and spikes do not move it', (t) => {
  const { rows } = predict(t);
  const glass = rows.filter((r) => r.id === 'c-glass-01');
  for (const h of [4, 13, 22, 50, 130]) {
    // h % 9 === 4: no echo (254 cm); 50 and 130: a spike to 12 cm (92 % full).
    t.is(glass[h]!.fill, glass[h - 1]!.fill, `hour ${h}`);
  }
});

test('waste predict — the predicted full time is close to the true one and inside its interval', (t) => {
  const { rows } = predict(t);
  const glass = rows.filter((r) => r.id === 'c-glass-01');
  // The fixture adds 1.5 cm every 3 h from 10 cm in a 150 cm container: 80 % (120 cm) at hour 219
  // had it not been emptied at hour 200.
  const truthGlass = T0 + 219 * H;
  for (const h of [150, 175, 195]) {
    const r = glass[h]!;
    t.true(Math.abs(r.at - truthGlass) < 8 * H, `hour ${h}: ${new Date(r.at).toISOString()}`);
    t.true(r.low <= truthGlass && truthGlass <= r.high, `hour ${h}: interval`);
  }
  // 0.2 cm/h from 5 cm in 120 cm: 90 % (108 cm) at hour 515, 30 min past the hour.
  const paper = rows.filter((r) => r.id === 'c,paper 02').at(-1)!;
  const truthPaper = T0 + 515 * H + H / 2;
  t.true(Math.abs(paper.at - truthPaper) < 12 * H, new Date(paper.at).toISOString());
});

test('waste predict — a row depends only on readings up to its time, whatever the file order', (t) => {
  const all = predict(t).lines;
  const dir = tempDir(t);
  const [header, ...input] = readFileSync(READINGS, 'utf8').trimEnd().split('\n');
  // The first 100 readings of each container alone give the same first 100 rows.
  const head = [...input.slice(0, 100), ...input.slice(288, 388)];
  const headFile = path.join(dir, 'head.csv');
  writeFileSync(headFile, [header, ...head].join('\n'));
  const partial = predict(t, headFile).lines.slice(1);
  t.deepEqual(partial, [...all.slice(1, 101), ...all.slice(289, 389)]);
  // Reversed, the rows come back reversed and otherwise equal.
  const reversedFile = path.join(dir, 'reversed.csv');
  writeFileSync(reversedFile, [header, ...[...input].reverse()].join('\n'));
  t.deepEqual(predict(t, reversedFile).lines.slice(1), all.slice(1).reverse());
});

const BAD: [string, (lines: string[]) => string[], 'readings' | 'containers', RegExp][] = [
  [
    'a distance that is not a number',
    (l) => l.map((x, i) => (i === 4 ? x.replace(/,\d+,/, ',abc,') : x)),
    'readings',
    /readings\.csv:5: distance_cm: "abc" is not a distance ≥ 0 cm/,
  ],
  [
    'a timestamp that is not ISO 8601',
    (l) => l.map((x, i) => (i === 2 ? x.replace('2026-03-02T01:00:00Z', '02/03/2026 01:00') : x)),
    'readings',
    /readings\.csv:3: timestamp: "02\/03\/2026 01:00" is not an ISO 8601 date and time/,
  ],
  [
    'an unknown container',
    (l) => [...l, 'c-nope,2026-03-02T00:00:00Z,100,'],
    'readings',
    /readings\.csv:578: container_id: "c-nope" is not in the containers file/,
  ],
  [
    'a quote that is never closed',
    (l) => [...l.slice(0, 7), '"c-glass-01,2026-03-02T00:00:00Z,100,'],
    'readings',
    /readings\.csv:8: column 1: quoted field is not closed/,
  ],
  [
    'a missing field',
    (l) => l.map((x, i) => (i === 9 ? x.slice(0, x.lastIndexOf(',')) : x)),
    'readings',
    /readings\.csv:10: row: 3 fields, the header has 4/,
  ],
  [
    'a threshold above 1',
    (l) => l.map((x) => x.replace('150,0.8', '150,80')),
    'containers',
    /containers\.csv:2: full_threshold: "80" is not a fraction in \(0, 1\]/,
  ],
  [
    'a missing column',
    (l) => [l[0]!.replace('depth_cm', 'depth'), ...l.slice(1)],
    'containers',
    /containers\.csv:1: header: missing column "depth_cm"/,
  ],
];

for (const [what, edit, which, message] of BAD) {
  test(`waste predict — ${what} is refused naming file, line and field, and nothing is written`, (t) => {
    const dir = tempDir(t);
    const files = { readings: READINGS, containers: CONTAINERS };
    const bad = path.join(dir, `${which}.csv`);
    writeFileSync(bad, edit(readFileSync(files[which], 'utf8').trimEnd().split('\n')).join('\n') + '\n');
    files[which] = bad;
    const output = path.join(dir, 'predictions.csv');
    const r = run([
      'predict',
      '--input',
      files.readings,
      '--containers',
      files.containers,
      '--output',
      output,
    ]);
    t.is(r.code, 2);
    t.regex(r.err, message);
    t.false(existsSync(output));
  });
}

test('waste predict — `calle waste` is dispatched by the calle command', async (t) => {
  const output = path.join(tempDir(t), 'p.csv');
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(HERE, 'calle.ts'),
      'waste',
      'predict',
      '--input',
      READINGS,
      '--containers',
      CONTAINERS,
      '--output',
      output,
    ],
    { timeout: 20_000 },
  );
  t.is(stdout.trim(), `576 predictions → ${output}`);
  t.true(existsSync(output));
});

test('waste predict — two readings of one container at the same time both get a row', (t) => {
  const at = '2026-03-02T00:00:00Z';
  const r = (d: number) => ({
    containerId: 'a',
    timestamp: at,
    timeMs: T0,
    distanceCm: d,
    temperatureC: Number.NaN,
  });
  const lines = predictWaste([{ id: 'a', depthCm: 100, fullThreshold: 0.9 }], [r(60), r(58)]);
  t.deepEqual(lines, [`a,${at},0.4,0,,,`, `a,${at},0.42,0,,,`]);
});

test('waste predict — a full time that is effectively never is written empty, not as a year like +019910', (t) => {
  // Regression: a rise of a few nanometres an hour (here the temperature compensation of two
  // equal distances 0.0001 °C apart) made a finite rate near zero, and the row said the container
  // would be full in the year +028000.
  const dir = tempDir(t);
  const readings = path.join(dir, 'readings.csv');
  writeFileSync(
    readings,
    [
      'container_id,timestamp,distance_cm,temperature_c',
      'c-glass-01,2026-03-02T00:00:00Z,100,20',
      'c-glass-01,2026-03-02T01:00:00Z,100,19.9999',
      'c-glass-01,2026-03-02T02:00:00Z,100,19.9998',
    ].join('\n'),
  );
  const output = path.join(dir, 'predictions.csv');
  const r = run(['predict', '--input', readings, '--containers', CONTAINERS, '--output', output]);
  t.is(r.code, 0, r.err);
  const rows = readFileSync(output, 'utf8').trimEnd().split('\n').slice(1);
  t.is(rows.length, 3);
  for (const row of rows) {
    t.notRegex(row, /\+0\d{5}/, 'no six-digit year');
    t.regex(row, /,0,,,$/, `${row}: no full time and no interval`);
  }
});

test('waste predict — --level sets the interval: a 50 % interval sits inside the 95 % one', (t) => {
  const dir = tempDir(t);
  const rowsAt = (level: string) => {
    const output = path.join(dir, `p-${level}.csv`);
    const r = run([
      'predict',
      '--input',
      READINGS,
      '--containers',
      CONTAINERS,
      '--output',
      output,
      '--level',
      level,
    ]);
    t.is(r.code, 0, r.err);
    return readFileSync(output, 'utf8').trimEnd().split('\n').slice(1);
  };
  const narrow = rowsAt('0.5');
  const wide = rowsAt('0.95');
  let compared = 0;
  narrow.forEach((line, i) => {
    // The last three fields (an id may hold a comma).
    const [at, low, high] = line.split(',').slice(-3);
    const [atW, lowW, highW] = wide[i]!.split(',').slice(-3);
    t.is(at, atW, 'the point forecast does not depend on the level');
    if (!low || !high || !lowW || !highW) return;
    compared++;
    t.true(Date.parse(lowW) <= Date.parse(low) && Date.parse(high) <= Date.parse(highW), line);
  });
  t.true(compared > 100, `${compared} rows compared`);
});

test('waste predict — a level outside (0, 1) is refused and nothing is written', (t) => {
  const output = path.join(tempDir(t), 'p.csv');
  for (const level of ['1', '0', '80', 'x']) {
    const r = run([
      'predict',
      '--input',
      READINGS,
      '--containers',
      CONTAINERS,
      '--output',
      output,
      '--level',
      level,
    ]);
    t.is(r.code, 2);
    t.regex(r.err, new RegExp(`--level: "${level}" is not a probability in \\(0, 1\\)`));
    t.false(existsSync(output));
  }
});
