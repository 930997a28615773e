// The files of `calle lighting replay`. COUNTS.csv: `time,detector,count`, one row per detector
// per minute, time ISO 8601 UTC on the minute (2025-11-10T18:00:00Z or 2025-11-10T18:00Z),
// sorted by time; count ≥ 0 vehicles or pedestrians as the detector counts them. A minute with
// no row for a detector is "no reading" (the lighting loop keeps the design class). LEVELS.csv:
// `time,group,levelPct,lightingClass,powerW` per group per minute.
// Errors name the file, the line and the column (bin/waste-csv.ts formats them).
import type { ReplayCounts, LevelRow } from '../edge/site/lighting-replay.js';
import { CsvError, csvField, readCsv } from './waste-csv.js';

export const LEVELS_HEADER = 'time,group,levelPct,lightingClass,powerW';
const UTC_MINUTE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(:00(\.0+)?)?Z$/;
/** A replay longer than this is a typo in a date, not a study (a year and a day). */
const MAX_MINUTES = 366 * 1440;

/**
 * Parses COUNTS.csv text for a site whose detectors are `known` (ids). Throws CsvError on the
 * first problem: unknown detector, unsorted or repeated rows, a malformed time or count.
 */
export function parseCounts(file: string, text: string, known: ReadonlySet<string>): ReplayCounts {
  const rows = readCsv(file, text, ['time', 'detector', 'count']);
  if (rows.length === 0) throw new CsvError(file, 2, 'row', 'no counts: at least one row is needed');
  const parsed = rows.map((row) => {
    const time = row.get('time');
    const m = UTC_MINUTE.exec(time);
    const ms = m ? Date.parse(`${m[1]}:00Z`) : Number.NaN;
    if (!m || !Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 16) !== m[1])
      throw new CsvError(
        file,
        row.line,
        'time',
        `"${time}" is not an ISO 8601 UTC time on the minute (2025-11-10T18:00:00Z)`,
      );
    const detector = row.get('detector');
    if (!known.has(detector))
      throw new CsvError(
        file,
        row.line,
        'detector',
        `unknown detector "${detector}" (the site's detectors: ${[...known].join(', ') || 'none'})`,
      );
    const raw = row.get('count');
    const count = Number(raw);
    if (raw === '' || !Number.isInteger(count) || count < 0 || count > 100_000)
      throw new CsvError(file, row.line, 'count', `"${raw}" is not a whole number of vehicles 0..100000`);
    return { line: row.line, ms, detector, count };
  });
  // Sorted first: the series are sized from the first and last rows.
  let prev = parsed[0]!;
  for (const r of parsed) {
    if (r.ms < prev.ms)
      throw new CsvError(
        file,
        r.line,
        'time',
        `${new Date(r.ms).toISOString()} is before line ${prev.line}'s ${new Date(prev.ms).toISOString()}: rows must be sorted by time`,
      );
    prev = r;
  }
  const startMs = parsed[0]!.ms;
  const minutes = (parsed.at(-1)!.ms - startMs) / 60_000 + 1;
  if (minutes > MAX_MINUTES)
    throw new CsvError(
      file,
      parsed.at(-1)!.line,
      'time',
      `the counts span ${Math.ceil(minutes / 1440)} days; at most 366`,
    );
  const perDetector = new Map<string, Float64Array>();
  const firstLine = new Map<string, number>();
  for (const r of parsed) {
    let series = perDetector.get(r.detector);
    if (!series) {
      series = new Float64Array(minutes).fill(Number.NaN);
      perDetector.set(r.detector, series);
    }
    const i = (r.ms - startMs) / 60_000;
    const key = `${r.detector}@${i}`;
    if (!Number.isNaN(series[i]!))
      throw new CsvError(
        file,
        r.line,
        'detector',
        `"${r.detector}" already has a count for ${new Date(r.ms).toISOString()} (line ${firstLine.get(key)})`,
      );
    firstLine.set(key, r.line);
    series[i] = r.count;
  }
  return { startMs, minutes, perDetector };
}

/** One LEVELS.csv line. */
export function levelLine(r: LevelRow): string {
  return [
    new Date(r.timeMs).toISOString(),
    csvField(r.group),
    String(r.levelPct),
    r.lightingClass,
    String(r.powerW),
  ].join(',');
}
