import test from 'ava';
import { mulberry32 } from '../../common/random/seeded-random.js';
import { IntervalCalibration, normalQuantile } from './waste-interval-calibration.js';

const PARAMS = { capacity: 4000, minCount: 40, defaultSpread: 0.6 };

test('interval calibration — before any score, a normal spread that widens with the level', (t) => {
  const c = new IntervalCalibration(PARAMS);
  const q80 = c.quantiles(30, 0.8);
  const q95 = c.quantiles(30, 0.95);
  t.is(q80.median, 0);
  t.true(Math.abs(q80.high - 1.2816 * 0.6) < 1e-3 && q80.low === -q80.high);
  t.true(q95.high > q80.high);
  t.true(Math.abs(normalQuantile(0.975) - 1.959964) < 1e-6);
  t.true(Math.abs(normalQuantile(0.01) + 2.326348) < 1e-6);
});

test('interval calibration — the quantiles are those of the scored errors, per horizon band', (t) => {
  const c = new IntervalCalibration(PARAMS);
  const rand = mulberry32(3);
  // A day ahead: errors uniform in (−0.2, 0.4); a week ahead: uniform in (−1, 1).
  for (let i = 0; i < 2000; i++) {
    c.add(30, -0.2 + 0.6 * rand());
    c.add(200, -1 + 2 * rand());
  }
  const day = c.quantiles(30, 0.8);
  t.true(Math.abs(day.low - -0.14) < 0.02 && Math.abs(day.high - 0.34) < 0.02, JSON.stringify(day));
  t.true(Math.abs(day.median - 0.1) < 0.02);
  const week = c.quantiles(200, 0.8);
  t.true(Math.abs(week.low + 0.8) < 0.05 && Math.abs(week.high - 0.8) < 0.05, JSON.stringify(week));
  // A band with nothing in it borrows its neighbours' errors rather than the default.
  const sixHours = c.quantiles(3, 0.8);
  t.not(sixHours.high, normalQuantile(0.9) * 0.6);
});

test('interval calibration — only the newest errors count', (t) => {
  const c = new IntervalCalibration({ ...PARAMS, capacity: 100 });
  for (let i = 0; i < 100; i++) c.add(30, 5);
  for (let i = 0; i < 100; i++) c.add(30, -1);
  t.is(c.quantiles(30, 0.8).high, -1);
  c.add(30, Number.NaN);
  t.is(c.count, 100);
});
