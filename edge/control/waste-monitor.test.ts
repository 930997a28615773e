import test from 'ava';
import { WasteMonitor } from './waste-monitor.js';

const H = 3_600_000;

test('waste — distance becomes fill %, no-echo readings are ignored', (t) => {
  const m = new WasteMonitor({ depthCm: 150 });
  t.like(m.add(150, 0), { accepted: true, fillPct: 0 });
  t.deepEqual(m.add(254, H), { accepted: false, reason: 'no echo (254 cm)' });
  t.is(m.fillPct, 0);
});

test('waste — an isolated spike is removed by the median of three', (t) => {
  const m = new WasteMonitor({ depthCm: 100 });
  m.add(80, 0);
  m.add(79, H);
  t.like(m.add(5, 2 * H), { fillPct: 21 }, 'spike to 95 % ignored');
  t.like(m.add(78, 3 * H), { fillPct: 22 });
});

test('waste — fill rate and emptying', (t) => {
  const m = new WasteMonitor({ depthCm: 100 });
  for (let d = 0; d < 8; d++) m.add(100 - 10 * d, d * 24 * H);
  // The median lags a steady trend by one reading, so the slope is somewhat under 10 %/day.
  const rate = m.ratePctPerDay!;
  t.true(rate > 8 && rate <= 10, `rate ${rate}`);
  t.like(m.add(98, 8 * 24 * H), { emptied: false }, 'one low reading is a spike, not an emptying');
  const r = m.add(97, 8 * 24 * H + H);
  t.like(r, { accepted: true, fillPct: 3, emptied: true });
  t.is(m.ratePctPerDay, undefined, 'rate restarts after an emptying');
});
