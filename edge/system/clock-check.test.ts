import test from 'ava';
import { pino } from 'pino';
import { checkClock, EARLIEST_PLAUSIBLE_MS } from './clock-check.js';

function capturingLogger(): { log: pino.Logger; lines: () => Array<{ level: number; msg: string }> } {
  const out: string[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => out.push(s) });
  return { log, lines: () => out.map((s) => JSON.parse(s) as { level: number; msg: string }) };
}

test('clock check — a 1970 clock (a board without RTC before NTP) is implausible and logged as an error', async (t) => {
  const { log, lines } = capturingLogger();
  const status = await checkClock(log, 0);
  t.false(status.plausible);
  t.true(lines().some((l) => l.level === 50 && /implausible/.test(l.msg)));
});

test('clock check — today is plausible', async (t) => {
  const { log } = capturingLogger();
  const status = await checkClock(log, Math.max(Date.now(), EARLIEST_PLAUSIBLE_MS));
  t.true(status.plausible);
  t.true(['yes', 'no', 'unknown'].includes(status.synchronised));
});
