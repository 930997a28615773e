// How long each class of data is kept (issue 16, data minimisation): set in configuration
// (`calle cloud --retention raw=14d,rollup15m=90d,rollup1h=400d,events=365d`), enforced by the
// store (SeriesStore.prune: whole day or month tables dropped; events deleted by time), and listed
// with what each class holds and why in the data inventory the coordinator serves
// (data-inventory.ts).
//
// The defaults: two weeks of raw readings answer "what happened last night at this cabinet" and
// cover the incident reviews the operators do; 15-minute rollups for a quarter feed the dashboard
// and the NGSI-LD temporal API at full detail; hourly rollups for 400 days give a year-on-year
// comparison with a month to spare; events for a year cover a maintenance contract's year.
import { DAY_MS } from './bucket-tables.js';

export interface RetentionPolicy {
  /** Raw readings, one row each. */
  readonly rawMs: number;
  readonly rollup15mMs: number;
  readonly rollup1hMs: number;
  /** Events and alarms from the edges. */
  readonly eventsMs: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = {
  rawMs: 14 * DAY_MS,
  rollup15mMs: 90 * DAY_MS,
  rollup1hMs: 400 * DAY_MS,
  eventsMs: 365 * DAY_MS,
};

const KEYS: Readonly<Record<string, keyof RetentionPolicy>> = {
  raw: 'rawMs',
  rollup15m: 'rollup15mMs',
  rollup1h: 'rollup1hMs',
  events: 'eventsMs',
};

/** At least one full day: the current day's table is always written to. */
const MIN_MS = 2 * DAY_MS;
const MAX_MS = 20 * 365 * DAY_MS;

/**
 * Parses `raw=14d,rollup15m=90d,…` (days: `d`; any class left out keeps its default). Throws an
 * error naming the flag, the class and the reason; a coarser class may not be kept shorter than
 * a finer one (the finer would outlive the data it rolls up to).
 */
export function parseRetention(flag: string, text: string): RetentionPolicy {
  const policy: Record<keyof RetentionPolicy, number> = { ...DEFAULT_RETENTION };
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [name, value] = part.split('=');
    const key = KEYS[name ?? ''];
    if (!key)
      throw new Error(
        `${flag}: unknown data class ${JSON.stringify(name)} (known: ${Object.keys(KEYS).join(', ')})`,
      );
    const days = /^(\d{1,5})d$/.exec(value ?? '');
    if (!days)
      throw new Error(`${flag}: ${name}: ${JSON.stringify(value ?? '')} is not a number of days like 14d`);
    const ms = Number(days[1]) * DAY_MS;
    if (ms < MIN_MS || ms > MAX_MS)
      throw new Error(`${flag}: ${name}: ${days[1]} days is outside 2 to ${MAX_MS / DAY_MS}`);
    policy[key] = ms;
  }
  if (policy.rollup15mMs < policy.rawMs)
    throw new Error(`${flag}: rollup15m: may not be kept shorter than raw`);
  if (policy.rollup1hMs < policy.rollup15mMs)
    throw new Error(`${flag}: rollup1h: may not be kept shorter than rollup15m`);
  return policy;
}
