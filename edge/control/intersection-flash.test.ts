import test from 'ava';
import type { IntersectionConfig } from '../config/edge-config.js';
import { IntersectionController } from './intersection-controller.js';
import { modelFromConfig } from './intersection-model.js';
import { SignalSupervisor, type SignalAspect } from './signal-supervisor.js';

const GROUPS = ['veh-ew', 'veh-ns', 'walk-ew', 'walk-ns'];
const T0 = Date.UTC(2025, 0, 15, 12);
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
  plan: {
    cycleS: 80,
    yellowS: 3,
    allRedS: 2,
    minGreenS: 7,
    stages: [
      { groups: ['veh-ew', 'walk-ew'], greenS: 40 },
      { groups: ['veh-ns', 'walk-ns'], greenS: 30 },
    ],
  },
};

/** Steps every 100 ms, recording what the heads showed, until `until` holds or `maxS` passes. */
function run(
  x: IntersectionController,
  from: number,
  maxS: number,
  until: (aspects: Readonly<Record<string, SignalAspect>>) => boolean = () => false,
): { now: number; trace: { t: number; aspects: Readonly<Record<string, SignalAspect>>; reason: string }[] } {
  const trace = [];
  let now = from;
  for (let i = 0; i < maxS * 10; i++) {
    now += 100;
    const step = x.step(now, []);
    trace.push({ t: now, aspects: step.aspects, reason: step.reason });
    if (until(step.aspects)) break;
  }
  return { now, trace };
}

const firstGreenAt = (trace: ReturnType<typeof run>['trace']) =>
  trace.find((s) => Object.values(s.aspects).includes('green'))?.t;

test('intersection flash — a manual flash ends the green only after min green and its yellow, then flashes from all red', (t) => {
  const x = new IntersectionController(CFG, T0);
  // Into stage 1's green, then ask for flash 2 s in: below the 7 s minimum green.
  const start = run(x, T0, 20, (a) => a['veh-ew'] === 'green');
  const greenAt = start.now;
  const { now: asked } = run(x, greenAt, 2);
  t.like(x.requestFlash('eva', asked), { ok: true });
  t.is(x.operation, 'entering-flash');
  t.like(x.requestFlash('eva', asked), { ok: false, reason: 'already entering flash' });

  const { trace, now } = run(x, asked, 30, (a) => a['veh-ew'] === 'flash');
  t.is(x.operation, 'manual-flash');
  t.is(x.latch, undefined, 'the supervisor accepted every step on the way');
  const yellowAt = trace.find((s) => s.aspects['veh-ew'] === 'yellow')!.t;
  t.true(yellowAt - greenAt >= 7000, `green held ${(yellowAt - greenAt) / 1000} s`);
  const redAt = trace.find((s) => s.aspects['veh-ew'] === 'red')!.t;
  t.true(redAt - yellowAt >= 3000, `yellow held ${(redAt - yellowAt) / 1000} s`);
  const beforeFlash = trace[trace.length - 2]!;
  t.deepEqual(Object.values(beforeFlash.aspects), ['red', 'red', 'red', 'red'], 'flash only from all red');
  t.true(
    now - redAt >= 2000,
    `all red shown ${(now - redAt) / 1000} s (the plan's all-red) before the flash`,
  );
  t.regex(beforeFlash.reason, /entering manual flash \(by eva\)/);
  t.is(trace[trace.length - 1]!.reason, 'manual flash: by eva');
  t.like(x.manualFlash, { actor: 'eva', requestedMs: asked, flashingMs: now });

  // It holds: a minute later every head still flashes.
  const held = run(x, now, 60);
  t.true(held.trace.every((s) => Object.values(s.aspects).every((a) => a === 'flash')));
});

test('intersection flash — restore is refused while draining, then runs the full intergreen before the first green', (t) => {
  const x = new IntersectionController(CFG, T0);
  const { now: greenAt } = run(x, T0, 20, (a) => a['veh-ew'] === 'green');
  x.requestFlash('eva', greenAt);
  t.like(x.restore(greenAt + 100), {
    ok: false,
    reason: 'still entering flash: restore once the heads flash',
  });
  const { now } = run(x, greenAt, 30, (a) => a['veh-ew'] === 'flash');
  t.like(x.restore(now), { ok: true });
  t.is(x.operation, 'plan');
  t.is(x.manualFlash, undefined);
  t.like(x.restore(now), { ok: false, reason: 'not in manual flash' });
  const after = run(x, now, 30, (a) => a['veh-ew'] === 'green');
  t.deepEqual(Object.values(after.trace[0]!.aspects), ['red', 'red', 'red', 'red'], 'flash → all red');
  // Yellow 3 s + all-red 2 s from the end of the flash, as if every group had just left green.
  const first = firstGreenAt(after.trace)!;
  t.true(first - now >= 5000, `first green ${(first - now) / 1000} s after the flash`);
  t.is(x.latch, undefined);
});

test('intersection flash — a fault overrides a manual flash; a latched intersection refuses flash and restore', (t) => {
  const x = new IntersectionController(CFG, T0);
  const { now } = run(x, T0, 20, (a) => a['veh-ew'] === 'green');
  x.requestFlash('eva', now);
  const flashing = run(x, now, 30, (a) => a['veh-ew'] === 'flash').now;
  const tripped = x.step(flashing + 100, ['h-walk-ns']);
  t.is(tripped.reason, 'flash: head h-walk-ns unavailable', 'the fault, not the manual flash, is shown');
  t.is(x.operation, 'latched');
  t.like(x.restore(flashing + 200), { ok: false });
  t.regex(x.restore(flashing + 200).reason!, /clear the fault locally/);
  t.like(x.requestFlash('eva', flashing + 200), { ok: false });
  t.like(x.clearLatch('local', flashing + 300), { cleared: true });
  t.is(x.operation, 'plan', 'a local clear returns to the plan');
  const after = run(x, flashing + 300, 20, (a) => a['veh-ew'] === 'green');
  t.truthy(firstGreenAt(after.trace));
  t.is(x.latch, undefined);
});

test('intersection flash — the supervisor refuses a manual flash unless all red, and trips on a proposal during it', (t) => {
  const sup = new SignalSupervisor(modelFromConfig(CFG), T0);
  const green = { 'veh-ew': 'green', 'veh-ns': 'red', 'walk-ew': 'green', 'walk-ns': 'red' };
  t.true(sup.propose(green, T0 + 5000).ok);
  t.is(sup.enterManualFlash(T0 + 6000), 'not all red: "veh-ew" green, "walk-ew" green');
  t.is(sup.leaveManualFlash(T0 + 6000), 'not in manual flash');
  const allRed = { 'veh-ew': 'red', 'veh-ns': 'red', 'walk-ew': 'red', 'walk-ns': 'red' };
  t.true(sup.propose({ ...green, 'veh-ew': 'yellow', 'walk-ew': 'yellow' }, T0 + 12_000).ok);
  t.true(sup.propose(allRed, T0 + 15_000).ok);
  t.is(sup.enterManualFlash(T0 + 16_000), 'all red for 1 s, below 2 s', 'the common red is seen first');
  t.is(sup.enterManualFlash(T0 + 17_000), undefined);
  t.deepEqual(Object.values(sup.aspects()), ['flash', 'flash', 'flash', 'flash']);
  t.is(sup.latch, undefined, 'a manual flash is not a latch');
  const r = sup.propose(allRed, T0 + 18_000);
  t.false(r.ok);
  t.is(sup.latch?.reason, 'a state was proposed during a manual flash');
});
