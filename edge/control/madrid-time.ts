// Local wall-clock time in Madrid. Lighting steps like "00:30" are civil time (CET/CEST), and the
// node's clock is UTC, so every conversion goes through the IANA zone rather than a fixed offset.
const ZONE = 'Europe/Madrid';

const formatter = new Intl.DateTimeFormat('en-GB', {
  timeZone: ZONE,
  hourCycle: 'h23',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
});

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallClock(ms: number): WallClock {
  const parts: Record<string, number> = {};
  for (const p of formatter.formatToParts(ms)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour!,
    minute: parts.minute!,
    second: parts.second!,
  };
}

/** Madrid's offset from UTC at `ms`, in ms (3 600 000 in winter, 7 200 000 in summer). */
export function madridOffsetMs(ms: number): number {
  const w = wallClock(ms);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(ms / 1000) * 1000;
}

/** "HH:MM" in Madrid at `ms`, for reasons shown to technicians. */
export function madridHHMM(ms: number): string {
  const w = wallClock(ms);
  return `${String(w.hour).padStart(2, '0')}:${String(w.minute).padStart(2, '0')}`;
}

export const HHMM_PATTERN = /^([01]\d|2[0-3]):([0-5]\d)$/;

/**
 * The first instant at or after `fromMs` when Madrid's clocks show `hhmm`. A time skipped by the
 * spring DST change (02:00–03:00 on the last Sunday of March) resolves to within an hour of it.
 */
export function nextMadridTime(fromMs: number, hhmm: string): number {
  const m = HHMM_PATTERN.exec(hhmm);
  if (!m) throw new RangeError(`"${hhmm}" is not a HH:MM time`);
  const [hh, mm] = [Number(m[1]), Number(m[2])];
  const w = wallClock(fromMs);
  for (let addDays = 0; addDays < 3; addDays++) {
    const asUtc = Date.UTC(w.year, w.month - 1, w.day + addDays, hh, mm);
    // Two passes: the offset at the first guess may be the other side of a DST change.
    let t = asUtc - madridOffsetMs(asUtc);
    t = asUtc - madridOffsetMs(t);
    if (t >= fromMs) return t;
  }
  throw new Error(`unreachable: no ${hhmm} within 3 days of ${fromMs}`);
}
