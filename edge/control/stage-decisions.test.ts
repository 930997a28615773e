import test from 'ava';
import type { IntersectionConfig, SignalMode } from '../config/edge-config.js';
import type { DetectorReading } from './detector-calls.js';
import { IntersectionController } from './intersection-controller.js';
import { websterCycleS, websterPlan, websterSplit, maxPressureStage } from './webster.js';

const T0 = Date.UTC(2025, 0, 15, 12);

const config = (mode: SignalMode): IntersectionConfig => ({
  id: 'x',
  name: 'x',
  signalGroups: [
    { id: 'a', head: 'ha', kind: 'vehicle', detectors: ['da'] },
    { id: 'b', head: 'hb', kind: 'vehicle', detectors: ['db'] },
  ],
  conflicts: [['a', 'b']],
  detectors: ['da', 'db'],
  plan: {
    cycleS: 70,
    yellowS: 3,
    allRedS: 2,
    minGreenS: 7,
    stages: [
      { groups: ['a'], greenS: 30 },
      { groups: ['b'], greenS: 30 },
    ],
  },
  control: { mode, passageS: 3, adaptEveryCycles: 2 },
});

/** Runs one-second ticks; `vehicles(s)` says which detectors see a vehicle at second s. */
function run(
  mode: SignalMode,
  seconds: number,
  vehicles: (s: number) => { da?: boolean; db?: boolean; dbDown?: boolean },
): { greens: { group: string; fromS: number; toS: number; why: string }[]; reasons: string[] } {
  const x = new IntersectionController(config(mode), T0);
  const counts = { da: 0, db: 0 };
  const open = new Map<string, number>();
  const greens: { group: string; fromS: number; toS: number; why: string }[] = [];
  const reasons: string[] = [];
  for (let s = 1; s <= seconds; s++) {
    const v = vehicles(s);
    if (v.da) counts.da++;
    if (v.db) counts.db++;
    const readings = new Map<string, DetectorReading>([
      ['da', { available: true, count: counts.da, occupancy: 0 }],
      ['db', { available: !v.dbDown, count: counts.db, occupancy: 0 }],
    ]);
    const step = x.step(T0 + s * 1000, [], readings);
    if (step.latched) throw new Error(step.latched.reason);
    reasons.push(step.reason);
    for (const g of ['a', 'b']) {
      if (step.aspects[g] === 'green' && !open.has(g)) open.set(g, s);
      if (step.aspects[g] === 'yellow' && open.has(g)) {
        greens.push({ group: g, fromS: open.get(g)!, toS: s, why: step.reason.split(': ').at(-1)! });
        open.delete(g);
      }
    }
  }
  return { greens, reasons };
}

test('actuated — a stage gaps out a passage time after its last vehicle, once past min green', (t) => {
  // Vehicles on a's loop every 2 s until second 20; b has a call waiting.
  const { greens } = run('actuated', 40, (s) => ({ da: s <= 20 && s % 2 === 0, db: s === 5 }));
  const first = greens[0]!;
  t.is(first.group, 'a');
  t.is(first.why, 'gap-out');
  t.is(first.toS, 23, 'last vehicle at 20 s + 3 s passage');
});

test('actuated — continuous demand maxes out at the max green; a dead detector counts as a call', (t) => {
  const { greens } = run('actuated', 60, (s) => ({ da: true, db: s === 5 }));
  t.like(greens[0], { group: 'a', fromS: 2, toS: 32, why: 'max-out' });
  // b's detector is down: a failed loop calls all the time, so b is served and runs to max.
  const down = run('actuated', 120, (s) => ({ da: s === 30, dbDown: true }));
  t.like(down.greens[0], { group: 'a', why: 'gap-out' });
  t.like(down.greens[1], { group: 'b', why: 'max-out' });
  t.is(down.greens[1]!.toS - down.greens[1]!.fromS, 30);
});

test('actuated — with no call on the other stage, the green rests past its maximum', (t) => {
  const { greens, reasons } = run('actuated', 200, () => ({ da: true }));
  t.deepEqual(greens, []);
  t.is(reasons.at(-1), 'plan: stage 1/2 green (a), actuated');
});

test('adaptive — the busier approach gets the longer greens', (t) => {
  // a: a vehicle every 2 s (1800 veh/h, saturated), b: one every 10 s. Detectors keep calling,
  // so a gets runs to its maximum green while b gaps out soon after its minimum.
  const { greens } = run('adaptive', 1200, (s) => ({ da: s % 2 === 0, db: s % 10 === 0 }));
  const length = (g: { fromS: number; toS: number }): number => g.toS - g.fromS;
  const early = greens.filter((g) => g.fromS < 140);
  const late = greens.filter((g) => g.fromS > 800);
  t.true(
    early.every((g) => length(g) <= 30),
    'first cycles within the plan greens',
  );
  const lateA = late.filter((g) => g.group === 'a').map(length);
  const lateB = late.filter((g) => g.group === 'b').map(length);
  t.true(lateA.length > 2 && lateB.length > 2);
  t.true(Math.min(...lateA) > Math.max(...lateB), `a ${lateA.join(',')} vs b ${lateB.join(',')}`);
});

test('webster — cycle, clamps and split', (t) => {
  // L = 10 s, Y = 0.5: C0 = (15 + 5) / 0.5 = 40 s.
  t.is(websterCycleS(10, 0.5), 40);
  t.is(websterCycleS(10, 0.1), 30, 'clamped up to 30 s');
  t.is(websterCycleS(10, 0.9), 120, 'clamped down to 120 s');
  t.is(websterCycleS(10, 1.2), 120, 'oversaturated: the maximum');
  // Proportional: 30 s of green in the ratio 2:1 → 20 + 10.
  t.deepEqual(websterSplit(40, 10, [0.4, 0.2], [5, 5]), { greens: [20, 10], cycleS: 40 });
  // A minimum wins and the rest is re-split: b needs 15.
  t.deepEqual(websterSplit(40, 10, [0.4, 0.05], [5, 15]), { greens: [15, 15], cycleS: 40 });
  // Minima beyond the cycle push it longer rather than be cut.
  t.deepEqual(websterSplit(30, 10, [0.3, 0.3], [20, 20]), { greens: [20, 20], cycleS: 50 });
  // No flow: equal split of the shortest cycle.
  t.deepEqual(websterPlan(10, [0, 0], [5, 5]), { greens: [10, 10], cycleS: 30 });
  const p = websterPlan(12, [0.31, 0.17, 0.12], [7, 7, 7]);
  t.is(p.greens.reduce((s, g) => s + g, 0) + 12, p.cycleS);
  t.is(maxPressureStage([3, 9, 9, 1]), 1);
  t.is(maxPressureStage([]), -1);
});
