// Delay as the RESCO benchmark measures it (REFERENCE §1): the mean over vehicles of
// `timeLoss + departDelay` from SUMO's tripinfo output written with
// `--tripinfo-output.write-unfinished`, plus, for vehicles that never departed, end time minus
// their scheduled departure. Run with `--time-to-teleport -1` so stuck vehicles stay.
import { readFileSync } from 'node:fs';
import { scanXmlTags } from './sumo-net-model.js';

export interface TripMetrics {
  /** Vehicles counted: every tripinfo row plus the never-departed. */
  readonly vehicles: number;
  /** Mean of timeLoss + departDelay (s). */
  readonly meanDelay: number;
  /** Mean of waitingTime (s; never-departed vehicles count their whole wait). */
  readonly meanWaiting: number;
  /** Vehicles that reached their destination. */
  readonly throughput: number;
  readonly neverDeparted: number;
}

/**
 * Reads a tripinfo file. `pending` are vehicles still waiting to be inserted at `endS`, with
 * their scheduled departure (SUMO 1.15 writes no tripinfo for them).
 */
export function tripMetrics(
  file: string,
  endS: number,
  pending: readonly { depart: number }[] = [],
): TripMetrics {
  let n = 0;
  let delay = 0;
  let waiting = 0;
  let arrived = 0;
  let unsent = 0;
  for (const t of scanXmlTags(readFileSync(file, 'utf8'))) {
    if (t.name !== 'tripinfo') continue;
    const a = t.attrs;
    const depart = Number(a.depart);
    if (!(depart >= 0)) {
      // Written for a vehicle that never entered the net (newer SUMO writes these).
      unsent++;
      continue;
    }
    n++;
    delay += Number(a.timeLoss ?? 0) + Number(a.departDelay ?? 0);
    waiting += Number(a.waitingTime ?? 0);
    if (Number(a.arrival) >= 0) arrived++;
  }
  for (const p of pending) {
    n++;
    delay += endS - p.depart;
    waiting += endS - p.depart;
  }
  return {
    vehicles: n,
    meanDelay: n > 0 ? delay / n : 0,
    meanWaiting: n > 0 ? waiting / n : 0,
    throughput: arrived,
    neverDeparted: pending.length + unsent,
  };
}
