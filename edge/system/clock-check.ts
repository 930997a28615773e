// Checks the clock at start. Signatures, expiry of overrides and commands, and the astronomical
// lighting schedule all depend on it (IEC 62443-4-2 CR 2.11: time synchronisation), and a cabinet
// board without a battery-backed clock boots in 1970 until NTP answers.
//
// The node does not refuse to start on a bad clock — the street must stay lit — but it says so
// loudly, and the lighting loop fails ON while the clock is implausible.
import { execFile } from 'node:child_process';
import type { Logger } from 'pino';

/** No clock reading before this can be right: calle did not exist yet. */
export const EARLIEST_PLAUSIBLE_MS = Date.UTC(2026, 0, 1);

export interface ClockStatus {
  /** The wall clock is after EARLIEST_PLAUSIBLE_MS. */
  readonly plausible: boolean;
  /** systemd's view of NTP synchronisation, or 'unknown' where timedatectl is not available. */
  readonly synchronised: 'yes' | 'no' | 'unknown';
}

async function ntpSynchronised(): Promise<ClockStatus['synchronised']> {
  return new Promise((resolve) => {
    execFile(
      'timedatectl',
      ['show', '-p', 'NTPSynchronized', '--value'],
      { timeout: 3_000 },
      (err, stdout) => {
        if (err) resolve('unknown');
        else resolve(stdout.trim() === 'yes' ? 'yes' : 'no');
      },
    );
  });
}

export async function checkClock(log: Logger, now: number = Date.now()): Promise<ClockStatus> {
  const status: ClockStatus = {
    plausible: now >= EARLIEST_PLAUSIBLE_MS,
    synchronised: await ntpSynchronised(),
  };
  if (!status.plausible) {
    log.error(
      { now: new Date(now).toISOString() },
      'clock: implausible time; lights fail ON until it is set (install chrony or systemd-timesyncd)',
    );
  } else if (status.synchronised === 'no') {
    log.warn('clock: not synchronised with NTP; schedules and signature expiry may drift');
  } else {
    log.info({ synchronised: status.synchronised }, 'clock: ok');
  }
  return status;
}
