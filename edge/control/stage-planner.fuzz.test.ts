// The planners must be correct by construction: over long random detector sequences, with modes
// and timings changed mid-run and jittery ticks, the supervisor never has to step in. The
// supervisor is the safety net, not the mechanism.
import test from 'ava';
import type { IntersectionConfig, SignalGroupConfig } from '../config/edge-config.js';
import type { DetectorReading } from './detector-calls.js';
import { IntersectionController } from './intersection-controller.js';
import { modelFromConfig, modelProblems } from './intersection-model.js';

const INTERSECTIONS = 150;
const TICKS = 2500;

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MODES = ['fixed-time', 'actuated', 'adaptive'] as const;

/** A random but valid intersection: stages packed greedily so no stage holds a conflict. */
export function randomIntersection(r: () => number, seed: number): IntersectionConfig {
  const n = 2 + Math.floor(r() * 7);
  const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
  const groups: SignalGroupConfig[] = Array.from({ length: n }, (_, i) => {
    const ped = r() < 0.3;
    return {
      id: `g${i}`,
      head: `h${i}`,
      kind: ped ? 'pedestrian' : 'vehicle',
      ...(ped && r() < 0.7 ? { crossingM: int(4, 22) } : {}),
      ...(ped && r() < 0.3 ? { walkS: int(7, 12) } : {}),
      ...(!ped ? { detectors: Array.from({ length: int(0, 2) }, (_, k) => `d${i}-${k}`) } : {}),
      ...(!ped && r() < 0.3 ? { minGreenS: int(5, 15) } : {}),
      ...(r() < 0.3 ? { maxGreenS: int(15, 60) } : {}),
    };
  });
  const conflicts: [string, string][] = [];
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) if (r() < 0.5) conflicts.push([`g${i}`, `g${j}`]);
  // At least one conflict, so there are at least two stages.
  if (conflicts.length === 0) conflicts.push(['g0', 'g1']);
  const conflict = (a: string, b: string): boolean =>
    conflicts.some(([x, y]) => (x === a && y === b) || (x === b && y === a));
  const stages: string[][] = [];
  for (const g of groups.map((x) => x.id).sort(() => r() - 0.5)) {
    const home = stages.find((s) => s.every((h) => !conflict(g, h)));
    if (home) home.push(g);
    else stages.push([g]);
  }
  // Overlaps: a group also runs in another stage when it is compatible with it.
  for (const g of groups)
    for (const s of stages)
      if (!s.includes(g.id) && s.every((h) => !conflict(g.id, h)) && r() < 0.3) s.push(g.id);
  const yellowS = int(3, 5);
  const allRedS = int(0, 3);
  const plan = {
    cycleS: 0,
    yellowS,
    allRedS,
    minGreenS: int(5, 8),
    stages: stages.map((groups) => ({ groups, greenS: 0 })),
  };
  const draft: IntersectionConfig = {
    id: `x${seed}`,
    name: 'fuzz',
    signalGroups: groups,
    conflicts,
    detectors: groups.flatMap((g) => g.detectors ?? []),
    plan,
    control: { mode: MODES[int(0, 2)]!, passageS: int(2, 5), adaptEveryCycles: int(1, 3) },
  };
  // Greens long enough for each group's minimum plus the clearance that runs inside the stage.
  const model = modelFromConfig(draft);
  const change = (g: string): number => model.groups.find((m) => m.id === g)!.changeS;
  const intergreen = conflicts.flatMap(([a, b]) =>
    r() < 0.2 ? [{ from: a, to: b, s: change(a) + int(0, 6) }] : [],
  );
  const need = (s: readonly string[]): number =>
    Math.max(
      ...s.map((g) => model.groups.find((m) => m.id === g)!).map((g) => g.minGreenS + g.changeS - yellowS),
    );
  const timed = plan.stages.map((s) => ({ groups: s.groups, greenS: need(s.groups) + int(0, 30) }));
  const cycleS = timed.reduce((t, s) => t + s.greenS + yellowS + allRedS, 0);
  return { ...draft, intergreen, plan: { ...plan, stages: timed, cycleS } };
}

test('planner fuzz — actuated, adaptive and fixed-time never trip the supervisor over long random detector runs, manual flashes included', (t) => {
  const served = { groups: 0, never: 0, modeChanges: 0, retimes: 0, ticks: 0, flashes: 0, restores: 0 };
  for (let k = 0; k < INTERSECTIONS; k++) {
    const r = prng(7919 * (k + 1));
    const cfg = randomIntersection(r, k);
    t.deepEqual(modelProblems(modelFromConfig(cfg)), [], `case ${k}`);
    let now = 1_700_000_000_000;
    // Permissive pairs, detector kinds and queues from their own generator too: some compatible
    // groups sharing a stage run one yielding to the other (the adaptive decider's protected /
    // permissive choice), detectors are presence zones or loops and zones report queues.
    const p = prng(15_485_863 * (k + 1));
    const permissive: [string, string][] = [];
    for (const st of cfg.plan.stages)
      for (const a of st.groups)
        for (const b of st.groups) if (a < b && p() < 0.3) permissive.push(p() < 0.5 ? [a, b] : [b, a]);
    const kinds = new Map(
      cfg.detectors.map((d) => [d, p() < 0.5 ? ('presence' as const) : ('point' as const)]),
    );
    const x = new IntersectionController(cfg, now, { permissive });
    const counts = new Map(cfg.detectors.map((d) => [d, Math.floor(r() * 2 ** 32)]));
    const rate = new Map(cfg.detectors.map((d) => [d, r() * 0.6]));
    const greens = new Set<string>();
    // Manual flashes from their own generator, so the detector and timing sequences stay as they were.
    const f = prng(104_729 * (k + 1));
    for (let i = 0; i < TICKS; i++) {
      now += 200 + Math.floor(r() * 1300);
      if (f() < 0.002 && x.requestFlash('fuzz', now).ok) served.flashes++;
      if (x.operation === 'manual-flash' && f() < 0.05 && x.restore(now).ok) served.restores++;
      if (r() < 0.002) {
        served.modeChanges++;
        t.is(x.setMode(MODES[Math.floor(r() * 3)]!, { passageS: 1 + Math.floor(r() * 5) }), undefined);
      }
      if (r() < 0.001) {
        const timing = x.retimed({
          cycleS: 30 + Math.floor(r() * 150),
          yellowS: 3 + Math.floor(r() * 3),
          allRedS: Math.floor(r() * 4),
          minGreenS: 5 + Math.floor(r() * 4),
        });
        if (typeof timing !== 'string') {
          served.retimes++;
          x.setTiming(timing);
        }
      }
      const readings = new Map<string, DetectorReading>();
      for (const d of cfg.detectors) {
        if (r() < 0.01) rate.set(d, r() * 0.6); // demand changes: bursts and lulls
        const arrivals = r() < rate.get(d)! ? 1 + Math.floor(r() * 2) : 0;
        counts.set(d, (counts.get(d)! + arrivals) % 2 ** 32);
        const kind = kinds.get(d)!;
        readings.set(d, {
          available: r() > 0.003,
          count: counts.get(d)!,
          occupancy: arrivals > 0 ? 30 : 0,
          kind,
          ...(kind === 'presence' ? { queue: Math.floor(p() * 8) } : {}),
        });
      }
      const step = x.step(now, [], readings);
      served.ticks++;
      if (step.latched) {
        t.fail(`case ${k} (${cfg.control?.mode}) tick ${i}: ${step.latched.reason}`);
        return;
      }
      for (const [g, a] of Object.entries(step.aspects)) if (a === 'green') greens.add(g);
    }
    served.groups += cfg.signalGroups.length;
    served.never += cfg.signalGroups.filter((g) => !greens.has(g.id)).length;
  }
  t.log(served);
  t.is(served.never, 0, 'every group is served');
  t.true(served.modeChanges > 100 && served.retimes > 50);
  t.true(served.flashes > 300 && served.restores > 300, 'flashes entered and left mid-stage, mid-change');
});
