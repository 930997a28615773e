import test from 'ava';
import type { IntersectionConfig } from '../config/edge-config.js';
import { modelFromConfig } from './intersection-model.js';
import { retime, type PlanTiming } from './signal-plan.js';
import { StagePlanner } from './stage-planner.js';

const GROUPS = ['veh-ew', 'veh-ns', 'walk-ew', 'walk-ns'];
const TIMING: PlanTiming = {
  cycleS: 80,
  yellowS: 3,
  allRedS: 2,
  minGreenS: 7,
  stages: [
    { groups: ['veh-ew', 'walk-ew'], greenS: 40 },
    { groups: ['veh-ns', 'walk-ns'], greenS: 30 },
  ],
};
const CFG: IntersectionConfig = {
  id: 'x',
  name: 'x',
  signalGroups: GROUPS.map((id) => ({
    id,
    head: `h-${id}`,
    kind: id.startsWith('walk') ? 'pedestrian' : 'vehicle',
  })),
  conflicts: [
    ['veh-ew', 'veh-ns'],
    ['veh-ns', 'walk-ew'],
    ['veh-ew', 'walk-ns'],
  ],
  detectors: [],
  plan: TIMING,
};
const FIXED = { mode: 'fixed-time', passageS: 3, adaptEveryCycles: 3 } as const;
const T0 = Date.UTC(2025, 0, 15, 12);

test('signal plan — stages step through yellow and all-red', (t) => {
  const plan = new StagePlanner(modelFromConfig(CFG), TIMING, FIXED, T0);
  const at = (s: number) => plan.step(T0 + s * 1000);
  t.is(at(1).label, 'start-up all-red');
  t.deepEqual(at(2).aspects, { 'veh-ew': 'green', 'veh-ns': 'red', 'walk-ew': 'green', 'walk-ns': 'red' });
  t.is(at(41).label, 'stage 1/2 green (veh-ew, walk-ew)');
  t.deepEqual(at(42).aspects, { 'veh-ew': 'yellow', 'veh-ns': 'red', 'walk-ew': 'yellow', 'walk-ns': 'red' });
  t.is(at(45).label, 'stage 1/2 all-red (veh-ew, walk-ew)');
  t.deepEqual(at(47).aspects, { 'veh-ew': 'red', 'veh-ns': 'green', 'walk-ew': 'red', 'walk-ns': 'green' });
});

test('signal plan — a pedestrian clearance longer than the yellow runs inside the stage, cycle unchanged', (t) => {
  // 12 m crossing: 12 / 1.07 = 11.2 → 12 s of flashing green, starting 9 s before the vehicles' yellow.
  const cfg: IntersectionConfig = {
    ...CFG,
    signalGroups: CFG.signalGroups.map((g) => (g.id === 'walk-ew' ? { ...g, crossingM: 12 } : g)),
  };
  const model = modelFromConfig(cfg);
  t.is(model.groups.find((g) => g.id === 'walk-ew')?.changeS, 12);
  t.is(model.intergreenS['walk-ew>veh-ns'], 14);
  const plan = new StagePlanner(model, TIMING, FIXED, T0);
  const at = (s: number) => plan.step(T0 + s * 1000).aspects;
  for (let s = 1; s <= 32; s++) at(s);
  t.like(at(33), { 'veh-ew': 'green', 'walk-ew': 'yellow' });
  t.like(at(42), { 'veh-ew': 'yellow', 'walk-ew': 'yellow' });
  t.like(at(45), { 'veh-ew': 'red', 'walk-ew': 'red', 'veh-ns': 'red' });
  t.like(at(47), { 'veh-ns': 'green', 'walk-ns': 'green' });
});

test('signal plan — new timing applies at the cycle boundary and keeps the stage split', (t) => {
  const next = retime(TIMING, { cycleS: 100, yellowS: 4, allRedS: 2, minGreenS: 7 });
  t.not(typeof next, 'string');
  if (typeof next === 'string') return;
  t.deepEqual(
    next.stages.map((s) => s.greenS),
    [51, 37],
  );
  t.regex(
    retime(TIMING, { cycleS: 24, yellowS: 4, allRedS: 2, minGreenS: 7 }) as string,
    /below min_green_s 7/,
  );

  const plan = new StagePlanner(modelFromConfig(CFG), TIMING, FIXED, T0);
  plan.step(T0 + 2000); // start-up over: stage 1 green
  plan.setTiming(next, modelFromConfig(CFG, next));
  let applied: number | undefined;
  for (let s = 3; s < 200 && applied === undefined; s++)
    if (plan.step(T0 + s * 1000).timingApplied) applied = s;
  // Stage 1 green 40 + 3 + 2, stage 2 green 30 + 3 + 2: the next stage 1 starts at 2 + 80 s.
  t.is(applied, 82);
});

test('signal plan — a stage holding two conflicting groups is refused', (t) => {
  const bad = { ...TIMING, stages: [{ groups: ['veh-ew', 'veh-ns'], greenS: 40 }, TIMING.stages[1]!] };
  t.throws(() => new StagePlanner(modelFromConfig(CFG), bad, FIXED, T0), {
    message: /stage 1: conflicting groups "veh-ew" and "veh-ns"/,
  });
});
