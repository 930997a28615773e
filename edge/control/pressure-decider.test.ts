// Issue 14's decisions on small hand-made intersections, one rule per test: gaps that fit the
// detector, the protected stage of a left running permissive, and the adaptive decider's reasons
// (pressure, bay overflow, starvation).
import test from 'ava';
import type { IntersectionConfig, SignalMode } from '../config/edge-config.js';
import type { DetectorKind, DetectorReading } from './detector-calls.js';
import { IntersectionController } from './intersection-controller.js';
import { BAY_FULL_VEH, MAX_WAIT_S } from './pressure-decider.js';

const T0 = Date.UTC(2025, 0, 15, 12);

/**
 * North through `n`, its left `l` (permissive against the south through `s`), the cross street `c`.
 * Stages: 1 {n, s, l} (l permissive), 2 {n, l} (l protected, leading), 3 {c}.
 */
const junction = (mode: SignalMode): IntersectionConfig => ({
  id: 'j',
  name: 'j',
  signalGroups: ['n', 's', 'l', 'c'].map((id) => ({
    id,
    head: `h${id}`,
    kind: 'vehicle' as const,
    detectors: [`d${id}`],
    maxGreenS: 40,
  })),
  conflicts: [
    ['n', 'c'],
    ['s', 'c'],
    ['l', 'c'],
  ],
  detectors: ['dn', 'ds', 'dl', 'dc'],
  plan: {
    cycleS: 90,
    yellowS: 3,
    allRedS: 2,
    minGreenS: 7,
    stages: [
      { groups: ['n', 's', 'l'], greenS: 30 },
      { groups: ['n', 'l'], greenS: 10 },
      { groups: ['c'], greenS: 30 },
    ],
  },
  control: { mode, passageS: 3, adaptEveryCycles: 3 },
});

type Tick = Partial<Record<'n' | 's' | 'l' | 'c', { occupied?: boolean; queue?: number }>>;

/** One-second ticks; returns each decision (the label of the first step of a change) with its second. */
function run(
  mode: SignalMode,
  seconds: number,
  at: (s: number) => Tick,
  opts: { kind?: DetectorKind; permissive?: boolean } = {},
): { decisions: { s: number; label: string }[]; labels: string[] } {
  const x = new IntersectionController(junction(mode), T0, {
    permissive: opts.permissive === false ? [] : [['l', 's']],
  });
  const counts: Record<string, number> = { n: 0, s: 0, l: 0, c: 0 };
  const decisions: { s: number; label: string }[] = [];
  const labels: string[] = [];
  let last = '';
  for (let s = 1; s <= seconds; s++) {
    const tick = at(s);
    const readings = new Map<string, DetectorReading>();
    for (const g of ['n', 's', 'l', 'c'] as const) {
      const v = tick[g] ?? {};
      if (v.occupied) counts[g]!++;
      readings.set(`d${g}`, {
        available: true,
        count: counts[g],
        occupancy: v.occupied ? 40 : 0,
        ...(v.queue !== undefined ? { queue: v.queue } : {}),
        kind: opts.kind ?? 'presence',
      });
    }
    const step = x.step(T0 + s * 1000, [], readings);
    if (step.latched) throw new Error(step.latched.reason);
    labels.push(step.reason);
    if (/yellow/.test(step.reason) && !/yellow/.test(last)) decisions.push({ s, label: step.reason });
    last = step.reason;
  }
  return { decisions, labels };
}

test('gap — a presence zone gaps out when empty for a second; a passage time on it never does', (t) => {
  // The cross street calls throughout. North/south: one vehicle every 5 s that keeps a 50 m zone
  // occupied for 4 s of them (a 5 s headway, ~720 veh/h per lane).
  const traffic = (s: number): Tick => ({
    n: { occupied: s % 5 !== 0 },
    s: { occupied: s % 5 !== 0 },
    c: { occupied: true },
  });
  const zone = run('actuated', 120, traffic, { kind: 'presence', permissive: false });
  const first = zone.decisions[0]!;
  t.regex(first.label, /: gap-out$/, first.label);
  t.true(first.s <= 12, `ended at ${first.s} s, within a few seconds of the 7 s minimum`);
  // The same readings as point loops (passage 3 s): the 1 s gaps never reach it, so max-out.
  const loop = run('actuated', 120, traffic, { kind: 'point', permissive: false });
  t.regex(loop.decisions[0]!.label, /: max-out$/, loop.decisions[0]!.label);
});

test('protected left — a left running permissive calls its protected stage (it was never served)', (t) => {
  // Left vehicles keep arriving; the through traffic stops after 20 s; no cross-street call
  // until 60 s. Before issue 14 the protected stage 2 was skipped, its groups all being green.
  const { labels } = run('actuated', 90, (s) => ({
    n: { occupied: s < 20 },
    s: { occupied: s < 20 },
    l: { occupied: s % 3 !== 0 },
    c: { occupied: s > 60 },
  }));
  t.true(
    labels.some((l) => l.startsWith('plan: stage 2/3 green (n, l)')),
    'stage 2 (the protected left) was served',
  );
});

test('adaptive — every green ends with its reason: pressure, then bay overflow, then starvation', (t) => {
  // Heavy cross-street queue against a trickle on north/south: the green ends by pressure once
  // past PRESSURE_MIN_GREEN_S, with the counts in the reason.
  const pressure = run('adaptive', 60, (s) => ({
    n: { occupied: s % 2 === 0, queue: 0 },
    s: { occupied: s % 2 === 1, queue: 0 },
    c: { occupied: true, queue: 12 },
  }));
  t.regex(pressure.decisions[0]!.label, /: pressure: 12\.\d waiting vs 1 passing$/);
  // The permissive left's zone fills: its protected stage is called before the bay overflows.
  const bay = run('adaptive', 60, (s) => ({
    n: { occupied: true, queue: 0 },
    s: { occupied: true, queue: 0 },
    l: { occupied: true, queue: s > 10 ? BAY_FULL_VEH : 1 },
  }));
  t.regex(bay.decisions[0]!.label, new RegExp(`: bay overflow: l has ${BAY_FULL_VEH} waiting$`));
  // North, south and the left saturate: stages 1 and 2 take turns by demand, each to its maximum,
  // and the cross street's one waiting vehicle never outweighs them. The starvation bound serves
  // it after MAX_WAIT_S.
  const starved = run('adaptive', MAX_WAIT_S + 60, (s) => ({
    n: { occupied: true, queue: 3 },
    s: { occupied: true, queue: 3 },
    l: { occupied: true, queue: 3 },
    c: { occupied: s === 5, queue: s >= 5 ? 1 : 0 },
  }));
  t.true(
    starved.decisions.filter((x) => x.s < MAX_WAIT_S).every((x) => !/\(c\)/.test(x.label)),
    'c is not served before the bound',
  );
  const d = starved.decisions.find((x) => /starvation/.test(x.label));
  t.truthy(d, starved.decisions.map((x) => x.label).join('\n'));
  t.regex(d!.label, /: starvation: c waited \d+ s$/);
});
