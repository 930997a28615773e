import test from 'ava';
import { buildKpis, DEFAULT_CYCLE_S, websterDelayS } from './fleet-kpis.js';
import { diffLines, policyYaml } from './policy-diff.js';

test('dashboard kpis — Webster uniform delay: empty road, saturation cap, longer cycle', (t) => {
  // d = 0.5·C·(1−λ)² / (1 − x·λ) with λ = 0.45: 0.5·90·0.3025 = 13.61 s at x = 0.
  t.is(Math.round(websterDelayS(0, 90) * 100) / 100, 13.61);
  // x = 1 at q = λ·s = 810 veh/h: 13.6125 / 0.55 = 24.75 s, and no higher beyond it.
  t.is(Math.round(websterDelayS(810, 90) * 100) / 100, 24.75);
  t.is(websterDelayS(5000, 90), websterDelayS(810, 90));
  t.true(websterDelayS(400, 120) > websterDelayS(400, 90));
});

test('dashboard kpis — buckets, unregistered edges and districts without data', (t) => {
  const k = buildKpis({
    edges: [
      {
        id: 'a',
        district: 'centro',
        tags: [],
        softwareVersion: '',
        lastSeenMs: 0,
        outboxPending: 0,
        policyVersion: 0,
        devicesUnavailable: 0,
        readingsReceived: 0,
      },
      {
        id: 'b',
        district: 'usera',
        tags: [],
        softwareVersion: '',
        lastSeenMs: 0,
        outboxPending: 0,
        policyVersion: 0,
        devicesUnavailable: 0,
        readingsReceived: 0,
      },
    ],
    readings: [
      { edgeId: 'a', deviceId: 'g', metric: 'energy.wh', value: 0, timeMs: 0 },
      { edgeId: 'a', deviceId: 'g', metric: 'energy.wh', value: 500, timeMs: 500 },
      { edgeId: 'a', deviceId: 'g', metric: 'energy.wh', value: 1500, timeMs: 3500 },
      { edgeId: 'x', deviceId: 'f', metric: 'fill.pct', value: 100, timeMs: 10 },
    ],
    fromMs: 0,
    toMs: 4000,
    buckets: 4,
    policyOf: (d) => (d === 'usera' ? { cycleS: 120, dueAtPct: 50 } : {}),
  });
  t.deepEqual(
    k.districts.map((d) => d.district),
    ['centro', 'usera', '—'],
  );
  t.deepEqual(k.districts[0]!.energy.buckets, [0.5, 0, 0, 1]);
  t.like(k.districts[0]!.traffic, { detectors: 0, delayS: null, cycleS: DEFAULT_CYCLE_S });
  t.like(k.districts[1]!, { edges: 1, traffic: { cycleS: 120 }, waste: { dueAtPct: 50, containers: 0 } });
  t.like(k.districts[2]!.waste, { containers: 1, due: 1, dueIds: ['x/f'] });
  t.is(k.districts[2]!.waste.histogram[9], 1, '100 % falls in the last bin');
});

test('dashboard policy diff — line diff by LCS; drafts and bundles normalised through the contract', (t) => {
  t.deepEqual(diffLines('a\nb\nc\n', 'a\nc\nd\n'), [
    { op: ' ', text: 'a' },
    { op: '-', text: 'b' },
    { op: ' ', text: 'c' },
    { op: '+', text: 'd' },
  ]);
  t.deepEqual(diffLines('', 'x'), [{ op: '+', text: 'x' }]);
  t.is(
    policyYaml({
      target: { districts: ['centro'] },
      traffic: { yellowS: 4, cycleS: 90, minGreenS: 7, allRedS: 2 },
    }),
    policyYaml({
      traffic: { cycleS: 90, minGreenS: 7, yellowS: 4, allRedS: 2 },
      target: { districts: ['centro'] },
    }),
    'key order does not matter',
  );
});
