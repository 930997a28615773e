import test from 'ava';
import type { IntersectionConfig } from '../config/edge-config.js';
import { modelFromConfig, type IntersectionModel } from './intersection-model.js';
import type { PlanTiming } from './signal-plan.js';
import { SignalSupervisor } from './signal-supervisor.js';
import { StagePlanner } from './stage-planner.js';

const GROUPS = ['veh-ew', 'veh-ns', 'walk-ew', 'walk-ns'];
const CONFLICTS: [string, string][] = [
  ['veh-ew', 'veh-ns'],
  ['veh-ns', 'walk-ew'],
  ['veh-ew', 'walk-ns'],
];
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
const T0 = Date.UTC(2025, 0, 15, 12);
const CFG: IntersectionConfig = {
  id: 'x',
  name: 'x',
  signalGroups: GROUPS.map((id) => ({
    id,
    head: `h-${id}`,
    kind: id.startsWith('walk') ? 'pedestrian' : 'vehicle',
  })),
  conflicts: CONFLICTS,
  detectors: [],
  plan: TIMING,
};
const MODEL: IntersectionModel = modelFromConfig(CFG);

const supervisor = (model = MODEL): SignalSupervisor => new SignalSupervisor(model, T0);
const all = (a: string, over: Record<string, string> = {}): Record<string, string> => ({
  ...Object.fromEntries(GROUPS.map((g) => [g, a])),
  ...over,
});

test('supervisor — the fixed-time plan runs for an hour with jittery ticks and never trips', (t) => {
  const sup = supervisor();
  const plan = new StagePlanner(MODEL, TIMING, { mode: 'fixed-time', passageS: 3, adaptEveryCycles: 3 }, T0);
  const greens = new Map<string, number>();
  let now = T0;
  let prev = sup.aspects();
  for (let i = 0; i < 3600; i++) {
    now += 1000 + ((i * 7919) % 300) - 150; // ticks 0.85–1.15 s apart
    const r = sup.propose(plan.step(now).aspects, now);
    t.true(r.ok, r.ok ? '' : r.latch.reason);
    if (!r.ok) return;
    for (const g of GROUPS)
      if (r.aspects[g] === 'green' && prev[g] !== 'green') greens.set(g, (greens.get(g) ?? 0) + 1);
    prev = r.aspects;
  }
  // About 45 cycles of 80 s in an hour (longer with tick rounding); every group served each cycle.
  for (const g of GROUPS) t.true((greens.get(g) ?? 0) >= 40, `${g}: ${greens.get(g)}`);
});

test('supervisor — a planner proposing a conflicting green latches flash until a local clear', (t) => {
  const sup = supervisor();
  // A legitimate start: E-W green after the start-up all-red.
  t.true(sup.propose(all('red', { 'veh-ew': 'green', 'walk-ew': 'green' }), T0 + 2000).ok);
  // The rogue planner: N-S green while E-W is still green.
  const rogue = sup.propose(
    all('red', { 'veh-ew': 'green', 'walk-ew': 'green', 'veh-ns': 'green' }),
    T0 + 20_000,
  );
  t.false(rogue.ok);
  if (rogue.ok) return;
  t.is(rogue.latch.reason, 'conflict: "veh-ew" green and "veh-ns" green at once');
  t.deepEqual(rogue.aspects, all('flash'));
  // Latched: even a perfectly safe proposal is ignored, and the first reason is kept.
  const later = sup.propose(all('red'), T0 + 60_000);
  t.false(later.ok);
  t.deepEqual(later.aspects, all('flash'));
  t.is(sup.latch?.atMs, T0 + 20_000);
  // A person on site clears it: all red, and the first green again waits the all-red.
  sup.clearLocal(T0 + 100_000);
  t.deepEqual(sup.aspects(), all('red'));
  t.false(
    sup.propose(all('red', { 'veh-ns': 'green' }), T0 + 101_000).ok,
    'green 1 s after clear is too soon',
  );
});

test('supervisor — minimum green, yellow, missing yellow and all-red are enforced', (t) => {
  const cases: [string, (s: SignalSupervisor) => ReturnType<SignalSupervisor['propose']>, RegExp][] = [
    [
      'min green',
      (s) => {
        s.propose(all('red', { 'veh-ew': 'green' }), T0 + 2000);
        return s.propose(all('red', { 'veh-ew': 'yellow' }), T0 + 5000);
      },
      /"veh-ew" green → yellow after 3 s, below min green 7 s/,
    ],
    [
      'short yellow',
      (s) => {
        s.propose(all('red', { 'veh-ew': 'green' }), T0 + 2000);
        s.propose(all('red', { 'veh-ew': 'yellow' }), T0 + 10_000);
        return s.propose(all('red'), T0 + 12_000);
      },
      /"veh-ew" yellow → red after 2 s, below yellow 3 s/,
    ],
    [
      'no yellow',
      (s) => {
        s.propose(all('red', { 'veh-ew': 'green' }), T0 + 2000);
        return s.propose(all('red'), T0 + 20_000);
      },
      /"veh-ew" green → red without yellow/,
    ],
    [
      'all-red',
      (s) => {
        s.propose(all('red', { 'veh-ew': 'green' }), T0 + 2000);
        s.propose(all('red', { 'veh-ew': 'yellow' }), T0 + 10_000);
        s.propose(all('red'), T0 + 13_000);
        return s.propose(all('red', { 'veh-ns': 'green' }), T0 + 14_000);
      },
      /"veh-ns" red → green 4 s after conflicting "veh-ew" ended green, below intergreen 5 s/,
    ],
    [
      'unknown group',
      (s) => s.propose({ ...all('red'), 'veh-xx': 'red' }, T0 + 2000),
      /unknown signal group "veh-xx"/,
    ],
  ];
  for (const [name, run, reason] of cases) {
    const r = run(supervisor());
    t.false(r.ok, name);
    if (!r.ok) t.regex(r.latch.reason, reason, name);
  }
});

test('supervisor — a model with yellow below 3 s or a short intergreen is refused outright', (t) => {
  t.throws(() => supervisor({ ...MODEL, yellowS: 2 }), { message: /yellow 2 s is below 3 s/ });
  t.throws(() => supervisor({ ...MODEL, intergreenS: { ...MODEL.intergreenS, 'veh-ew>veh-ns': 2 } }), {
    message: /intergreen veh-ew → veh-ns: 2 s is shorter than the yellow\/clearance 3 s/,
  });
  t.throws(() => supervisor({ ...MODEL, intergreenS: { ...MODEL.intergreenS, 'veh-ew>walk-ew': 5 } }), {
    message: /intergreen veh-ew → walk-ew: the groups do not conflict/,
  });
});

test('supervisor — the intergreen matrix is per ordered pair, not one global all-red', (t) => {
  // Clearing N-S into E-W needs 8 s; the other way round keeps the default 3 + 2 s.
  const sup = supervisor({ ...MODEL, intergreenS: { ...MODEL.intergreenS, 'veh-ns>veh-ew': 8 } });
  t.true(sup.propose(all('red', { 'veh-ns': 'green' }), T0 + 2000).ok);
  t.true(sup.propose(all('red', { 'veh-ns': 'yellow' }), T0 + 10_000).ok);
  t.true(sup.propose(all('red'), T0 + 13_000).ok);
  const early = sup.propose(all('red', { 'veh-ew': 'green' }), T0 + 17_000);
  t.false(early.ok);
  if (!early.ok)
    t.regex(early.latch.reason, /7 s after conflicting "veh-ns" ended green, below intergreen 8 s/);

  const ok = supervisor({ ...MODEL, intergreenS: { ...MODEL.intergreenS, 'veh-ns>veh-ew': 8 } });
  // From start-up (every group as if its yellow just ended) E-W also waits 8 − 3 s.
  t.false(supervisor(ok.model).propose(all('red', { 'veh-ew': 'green' }), T0 + 4000).ok);
  t.true(ok.propose(all('red', { 'veh-ew': 'green' }), T0 + 5000).ok);
  t.true(ok.propose(all('red', { 'veh-ew': 'yellow' }), T0 + 12_000).ok);
  t.true(ok.propose(all('red'), T0 + 15_000).ok);
  t.true(ok.propose(all('red', { 'veh-ns': 'green' }), T0 + 17_000).ok, 'E-W → N-S keeps 5 s');
});

test('supervisor — with no all-red, the clearing group may turn red as the entering one turns green', (t) => {
  const sup = supervisor(modelFromConfig(CFG, { ...TIMING, allRedS: 0, cycleS: 76 }));
  t.true(sup.propose(all('red', { 'veh-ew': 'green' }), T0 + 1000).ok);
  t.true(sup.propose(all('red', { 'veh-ew': 'yellow' }), T0 + 9000).ok);
  const r = sup.propose(all('red', { 'veh-ns': 'green' }), T0 + 12_000);
  t.true(r.ok, r.ok ? '' : r.latch.reason);
});
