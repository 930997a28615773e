import test from 'ava';
import fc from 'fast-check';
import { WeekProfile } from './waste-week-profile.js';

const H = 3_600_000;
/** A Monday, 00:00 UTC. */
const MONDAY = Date.parse('2026-03-02T00:00:00Z');
const PARAMS = { hourShrinkHours: 24, dayShrinkHours: 48, memoryHours: 8 * 168, utcOffsetMinutes: 0 };

test('week profile — hourly readings teach the hours of the day: a bin used 08–20 h is quiet at night', (t) => {
  const p = new WeekProfile(PARAMS);
  for (let h = 0; h < 4 * 168; h++) {
    const hourOfDay = h % 24;
    p.learn(MONDAY + h * H, MONDAY + (h + 1) * H, hourOfDay >= 8 && hourOfDay < 20 ? 0.01 : 0);
  }
  // Shrunk toward flat by 24 pseudo-hours against 28 seen (the tuning sets preferred that to
  // less: their hourly rises are noisy), so a dead hour reads about half, not zero.
  const night = p.factorAt(MONDAY + 3 * H);
  const noon = p.factorAt(MONDAY + 12 * H);
  t.true(night < 0.55 && noon > 1.4, `03:00 ${night}, 12:00 ${noon}`);
  // A week still holds a week of profile-hours.
  t.true(Math.abs(p.exposure(MONDAY, MONDAY + 168 * H) - 168) < 1);
  // From 19:00 Monday, 6 profile-hours of use last into the night: over 8 h, where flat says 6.
  const hours = p.hoursUntil(MONDAY + 19 * H, 6, 1000);
  t.true(hours > 8, `${hours} h`);
});

test('week profile — daily readings teach the days of the week and leave the hours flat', (t) => {
  const p = new WeekProfile(PARAMS);
  for (let d = 0; d < 6 * 7; d++) {
    const weekend = d % 7 >= 5;
    p.learn(MONDAY + d * 24 * H, MONDAY + (d + 1) * 24 * H, weekend ? 0.3 : 0.1);
  }
  const saturday = MONDAY + 5 * 24 * H;
  const tuesday = MONDAY + 24 * H;
  t.true(p.factorAt(saturday) > 2 * p.factorAt(tuesday), `${p.factorAt(saturday)} vs ${p.factorAt(tuesday)}`);
  t.true(Math.abs(p.factorAt(tuesday + 3 * H) / p.factorAt(tuesday + 15 * H) - 1) < 0.05);
});

test('week profile — a new container is flat, and a rate that falls back to zero is never negative', (t) => {
  const p = new WeekProfile(PARAMS);
  t.is(p.factorAt(MONDAY), 1);
  t.is(p.hoursUntil(MONDAY + 0.5 * H, 30, 1000), 30);
  for (let h = 0; h < 200; h++) p.learn(MONDAY + h * H, MONDAY + (h + 1) * H, h % 2 ? -0.01 : 0.0101);
  for (let h = 0; h < 168; h++) t.true(p.factorAt(MONDAY + h * H) > 0);
});

test('week profile — hoursUntil inverts exposure, and says Infinity beyond the limit', (t) => {
  const p = new WeekProfile(PARAMS);
  for (let h = 0; h < 3 * 168; h++) p.learn(MONDAY + h * H, MONDAY + (h + 1) * H, ((h * 7) % 24) / 1000);
  fc.assert(
    fc.property(
      fc.double({ min: 0, max: 1000, noNaN: true }),
      fc.double({ min: 0.01, max: 900, noNaN: true }),
      (start, amount) => {
        const from = MONDAY + start * H;
        const hours = p.hoursUntil(from, amount, 10_000);
        return Math.abs(p.exposure(from, from + hours * H) - amount) < 1e-6 * Math.max(1, amount);
      },
    ),
  );
  t.is(p.hoursUntil(MONDAY, 500, 100), Number.POSITIVE_INFINITY);
});
