// Writes the energy ledger on the hour: a record per lighting group for each clock hour the node
// runs (the first and last partial), so a monthly report adds up whole hours and a crash costs
// at most the hour in progress. A failing write is logged and retried at the next check; the
// street's control never waits on it.
import type { Logger } from 'pino';
import type { LightingGroupState } from '../control/lighting-energy.js';
import { EnergyLedger } from './energy-ledger.js';

const HOUR_MS = 3_600_000;
/** How often the clock is looked at: the record lands within this of the hour. */
const CHECK_MS = 30_000;

export interface EnergyRecorder {
  readonly ledger: EnergyLedger;
  /** Records the hour in progress and closes the file. */
  stop(): void;
}

export function startEnergyRecording(opts: {
  readonly file: string;
  readonly now: () => number;
  readonly groups: () => readonly LightingGroupState[];
  readonly log: Logger;
}): EnergyRecorder {
  const ledger = new EnergyLedger(opts.file, opts.now());
  let hour = Math.floor(opts.now() / HOUR_MS);
  const write = (): void => {
    try {
      ledger.record(opts.groups(), opts.now());
    } catch (err) {
      opts.log.error({ err }, 'energy ledger: record failed; retried at the next check');
      return;
    }
    hour = Math.floor(opts.now() / HOUR_MS);
  };
  const timer = setInterval(() => {
    if (Math.floor(opts.now() / HOUR_MS) !== hour) write();
  }, CHECK_MS);
  timer.unref();
  return {
    ledger,
    stop() {
      clearInterval(timer);
      write();
      ledger.close();
    },
  };
}
