// `calle waste predict`: fill, emptying and time-to-full for every reading of a CSV file, with the
// edge's own waste controller (edge/control/waste-controller.ts on the WASM kernel), so that the
// figures are those a node in the street would have shown at that moment. Each output row uses only
// the readings up to its own timestamp: readings are replayed in time order, whatever the order of
// the file, and the rows are written in the file's order.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { WasteController, type WasteContainerSpec } from '../edge/control/waste-controller.js';
import { DEFAULT_FORECAST_PARAMS } from '../edge/control/waste-forecast.js';
import { CsvError, csvField, readCsv } from './waste-csv.js';

export const WASTE_USAGE = `Usage:
  calle waste predict --input READINGS.csv --containers CONTAINERS.csv --output PREDICTIONS.csv
                      [--level 0.8]
      READINGS: container_id,timestamp,distance_cm,temperature_c (ISO 8601; temperature may be
      empty). CONTAINERS: container_id,depth_cm,full_threshold (fraction 0–1 of the depth).
      Writes one row per reading: container_id,timestamp,fill,emptied,predicted_full_at,
      interval_low,interval_high (fill 0–1, emptied 0/1, times ISO 8601 or empty). The interval
      holds the full time with probability --level (default 0.8), calibrated on the file's own
      containers as they fill; a time more than ${DEFAULT_FORECAST_PARAMS.horizonHours / 24} days ahead, or not yet known, is empty.`;

export interface WasteIo {
  out(line: string): void;
  err(line: string): void;
}

const consoleIo: WasteIo = { out: (l) => console.log(l), err: (l) => console.error(l) };

export const OUTPUT_HEADER =
  'container_id,timestamp,fill,emptied,predicted_full_at,interval_low,interval_high';

/** ISO 8601 date and time; without an offset the time is taken as UTC (stated in the usage notes). */
const ISO = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?$/;

interface Reading {
  readonly containerId: string;
  readonly timestamp: string;
  readonly timeMs: number;
  readonly distanceCm: number;
  readonly temperatureC: number;
}

function readContainers(file: string): WasteContainerSpec[] {
  const seen = new Set<string>();
  return readCsv(file, readFileSync(file, 'utf8'), ['container_id', 'depth_cm', 'full_threshold']).map(
    (row) => {
      const id = row.get('container_id');
      if (id === '') throw new CsvError(file, row.line, 'container_id', 'empty');
      if (seen.has(id)) throw new CsvError(file, row.line, 'container_id', `"${id}" is repeated`);
      seen.add(id);
      const depth = Number(row.get('depth_cm'));
      if (!(row.get('depth_cm') !== '' && depth > 0 && Number.isFinite(depth)))
        throw new CsvError(
          file,
          row.line,
          'depth_cm',
          `"${row.get('depth_cm')}" is not a positive number of cm`,
        );
      const full = Number(row.get('full_threshold'));
      if (!(row.get('full_threshold') !== '' && full > 0 && full <= 1))
        throw new CsvError(
          file,
          row.line,
          'full_threshold',
          `"${row.get('full_threshold')}" is not a fraction in (0, 1]`,
        );
      return { id, depthCm: depth, fullThreshold: full };
    },
  );
}

function readReadings(file: string, known: ReadonlySet<string>): Reading[] {
  const text = readFileSync(file, 'utf8');
  return readCsv(file, text, ['container_id', 'timestamp', 'distance_cm', 'temperature_c']).map((row) => {
    const containerId = row.get('container_id');
    if (!known.has(containerId))
      throw new CsvError(file, row.line, 'container_id', `"${containerId}" is not in the containers file`);
    const timestamp = row.get('timestamp');
    const zoned = /(Z|[+-]\d{2}(:?\d{2})?)$/.test(timestamp.slice(10)) ? timestamp : `${timestamp}Z`;
    const timeMs = ISO.test(timestamp) ? Date.parse(zoned.replace(' ', 'T')) : Number.NaN;
    if (!Number.isFinite(timeMs))
      throw new CsvError(file, row.line, 'timestamp', `"${timestamp}" is not an ISO 8601 date and time`);
    const number = (column: string, ok: (v: number) => boolean, what: string): number => {
      const raw = row.get(column);
      if (raw === '') return Number.NaN;
      const v = Number(raw);
      if (!Number.isFinite(v) || !ok(v))
        throw new CsvError(file, row.line, column, `"${raw}" is not ${what}`);
      return v;
    };
    return {
      containerId,
      timestamp,
      timeMs,
      // Empty: the sensor sent nothing usable; the row still gets the prediction of that moment.
      distanceCm: number('distance_cm', (v) => v >= 0, 'a distance ≥ 0 cm'),
      temperatureC: number('temperature_c', (v) => v >= -60 && v <= 120, 'a temperature in °C (-60..120)'),
    };
  });
}

/** Replays the readings in time order; returns one output line per reading, in input order. */
export function predictWaste(
  containers: readonly WasteContainerSpec[],
  readings: readonly Reading[],
  opts: { level?: number } = {},
): string[] {
  const waste = new WasteController(containers, {
    engine: 'wasm',
    forecast: { level: opts.level ?? DEFAULT_FORECAST_PARAMS.level },
  });
  const order = readings.map((_, i) => i).sort((a, b) => readings[a]!.timeMs - readings[b]!.timeMs || a - b);
  const lines = new Array<string>(readings.length);
  const rowOf = new Map<string, number>();
  const flush = (timeMs: number) => {
    for (const r of waste.step(timeMs)) {
      const i = rowOf.get(r.containerId)!;
      const iso = (ms: number | undefined) => (ms === undefined ? '' : new Date(ms).toISOString());
      lines[i] = [
        csvField(r.containerId),
        csvField(readings[i]!.timestamp),
        r.fill === undefined ? '' : String(Math.round(r.fill * 10_000) / 10_000),
        r.emptied ? '1' : '0',
        iso(r.fullAtMs),
        iso(r.fullLowMs),
        iso(r.fullHighMs),
      ].join(',');
    }
    rowOf.clear();
  };
  let groupMs: number | undefined;
  for (const i of order) {
    const r = readings[i]!;
    // One kernel step per timestamp; a container read twice at the same time steps twice.
    if (groupMs !== undefined && (r.timeMs !== groupMs || waste.isPending(r.containerId))) flush(groupMs);
    groupMs = r.timeMs;
    waste.observe(r.containerId, r.distanceCm, r.temperatureC);
    rowOf.set(r.containerId, i);
  }
  if (groupMs !== undefined) flush(groupMs);
  return lines;
}

/** Runs `calle waste …`; resolves to the exit code (2: usage or bad input). */
export function runWasteCommand(args: string[], io: WasteIo = consoleIo): number {
  const [sub, ...rest] = args;
  if (sub !== 'predict') {
    io.err(sub === undefined ? WASTE_USAGE : `calle waste: unknown subcommand '${sub}'\n${WASTE_USAGE}`);
    return 2;
  }
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        input: { type: 'string' },
        containers: { type: 'string' },
        output: { type: 'string' },
        level: { type: 'string' },
      },
    }));
  } catch (err) {
    io.err(`calle waste predict: ${(err as Error).message}\n${WASTE_USAGE}`);
    return 2;
  }
  const { input, containers, output } = values;
  if (!input || !containers || !output) {
    io.err(`calle waste predict: --input, --containers and --output are required\n${WASTE_USAGE}`);
    return 2;
  }
  const level = values.level === undefined ? DEFAULT_FORECAST_PARAMS.level : Number(values.level);
  if (!(level > 0 && level < 1)) {
    io.err(`calle waste predict: --level: "${values.level}" is not a probability in (0, 1), e.g. 0.8`);
    return 2;
  }
  let lines: string[];
  try {
    const specs = readContainers(containers);
    const readings = readReadings(input, new Set(specs.map((s) => s.id)));
    lines = predictWaste(specs, readings, { level });
  } catch (err) {
    if (err instanceof CsvError || (err as NodeJS.ErrnoException).code === 'ENOENT') {
      io.err(`calle waste predict: ${(err as Error).message}`);
      return 2;
    }
    throw err;
  }
  // Written whole then renamed: a failed run never leaves a half file that looks like a result.
  const tmp = `${output}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, [OUTPUT_HEADER, ...lines, ''].join('\n'));
    renameSync(tmp, output);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  io.out(`${lines.length} predictions → ${output}`);
  return 0;
}
