// The model built from SUMO nets, cross-checked against SUMO's own data: the foe matrix must be
// symmetric under right-to-left indexing, and the net's own programs must never show two links
// that our matrix says conflict both as protected green.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import type { IntersectionConfig } from '../../edge/config/edge-config.js';
import type { DetectorReading } from '../../edge/control/detector-calls.js';
import { IntersectionController } from '../../edge/control/intersection-controller.js';
import { modelFromConfig, modelProblems } from '../../edge/control/intersection-model.js';
import {
  scanXmlTags,
  SUMO_GO,
  sumoDetectors,
  sumoIntersectionConfig,
  sumoSignalModel,
  sumoTrafficLights,
  type SumoSignalGroup,
  type SumoSignalModel,
} from './sumo-net-model.js';
import { iteClearance } from './sumo-clearance.js';
import { SUMO_DATA } from '../../hil-tests/data/data-dirs.js';

const DATA = SUMO_DATA;
const X1 = readFileSync(path.join(DATA, 'x1/x1_static.net.xml'), 'utf8');
const INGOLSTADT7 = readFileSync(path.join(DATA, 'ingolstadt7/ingolstadt7.net.xml'), 'utf8');
const TWO_WAY = readFileSync(path.join(DATA, '2way-single-intersection/single-intersection.net.xml'), 'utf8');

/** An hour of actuated and adaptive control on random detector calls; the first supervisor trip. */
function tripInAnHour(cfg: IntersectionConfig, detectors: readonly string[]): string | undefined {
  let seed = 42;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (const mode of ['actuated', 'adaptive'] as const) {
    const T0 = Date.UTC(2025, 0, 15, 8);
    const x = new IntersectionController({ ...cfg, control: { mode, passageS: 2, adaptEveryCycles: 2 } }, T0);
    const counts = new Map(detectors.map((d) => [d, 0]));
    const served = new Set<string>();
    for (let s = 1; s <= 3600; s++) {
      const readings = new Map<string, DetectorReading>();
      for (const d of detectors) {
        if (rand() < 0.15) counts.set(d, counts.get(d)! + 1);
        readings.set(d, { available: true, count: counts.get(d)! });
      }
      const step = x.step(T0 + s * 1000, [], readings);
      if (step.latched) return `${mode} at ${s} s: ${step.latched.reason}`;
      for (const [g, a] of Object.entries(step.aspects)) if (a === 'green') served.add(g);
    }
    if (served.size !== cfg.signalGroups.length) return `${mode}: served only ${served.size} groups`;
  }
  return undefined;
}

/** Phases that show two conflicting links both as go, and whether either was minor green `g`. */
function overlaps(m: SumoSignalModel): { protectedBoth: string[]; withMinor: number } {
  const protectedBoth: string[] = [];
  let withMinor = 0;
  m.phases.forEach((p, k) => {
    const prev = m.phases[(k + m.phases.length - 1) % m.phases.length]!.state;
    for (const [a, b] of m.conflicts) {
      const i = Number(a.slice(1));
      const j = Number(b.slice(1));
      if (!SUMO_GO.test(p.state[i]!) || !SUMO_GO.test(p.state[j]!)) continue;
      // A minor green, or the yellow that ends one, is a permissive overlap, not a protected one.
      const minor = (x: number): boolean => p.state[x] === 'g' || (p.state[x] === 'y' && prev[x] === 'g');
      if (minor(i) || minor(j)) withMinor++;
      else protectedBoth.push(`${a}/${b} in ${p.state}`);
    }
  });
  return { protectedBoth, withMinor };
}

test('sumo net — x1: the foe bitstrings are symmetric read right-to-left, not left-to-right', (t) => {
  const foes: string[] = [];
  for (const tag of scanXmlTags(X1))
    if (tag.name === 'request' && tag.parentAttrs?.id === 'A0')
      foes[Number(tag.attrs.index)] = tag.attrs.foes!;
  t.is(foes.length, 20);
  const n = foes.length;
  let rtl = 0;
  let ltr = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if ((foes[i]![n - 1 - j] === '1') !== (foes[j]![n - 1 - i] === '1')) rtl++;
      if ((foes[i]![j] === '1') !== (foes[j]![i] === '1')) ltr++;
    }
  }
  t.is(rtl, 0, 'right-to-left: symmetric');
  t.true(ltr > 0, 'left-to-right would not be');
});

test('sumo net — x1: 20 vehicle groups, strict conflicts match the junction, the program never overlaps protected greens', (t) => {
  const m = sumoSignalModel(X1, 'A0');
  t.is(m.groups.length, 20);
  t.true(m.groups.every((g) => g.kind === 'vehicle'));
  t.is(m.phases.length, 8);
  // Link 0 (north arm right turn into the west exit) meets only the westbound through lanes 6, 7.
  const of = (g: string): string[] =>
    m.conflicts.flatMap(([a, b]) => (a === g ? [b] : b === g ? [a] : [])).sort();
  t.deepEqual(of('l0'), ['l6', 'l7']);
  t.is(m.conflicts.length, 64);
  t.deepEqual(m.groups.find((g) => g.id === 'l3')?.lanes, ['top0A0.240.00_2']);
  const o = overlaps(m);
  t.deepEqual(o.protectedBoth, []);
  t.true(o.withMinor > 0, 'the program does run permitted left turns against through traffic');

  // From the program: those permitted pairs become compatible, and SUMO's junction logic agrees
  // that the minor-green link is the one that yields (a pair failing that would stay hard).
  const p = sumoSignalModel(X1, 'A0', { permissive: 'from-program' });
  t.is(p.permissive.length, 16);
  t.is(p.conflicts.length + p.permissive.length, m.conflicts.length);
  t.deepEqual(overlaps(p), { protectedBoth: [], withMinor: 0 });
  t.true(
    p.permissive.some(([y, q]) => y === 'l3' && q === 'l11'),
    'north left turn yields to south through',
  );
});

test('sumo net — ingolstadt7: every traffic light reads, and no program overlaps two protected conflicting greens', (t) => {
  const tls = sumoTrafficLights(INGOLSTADT7);
  t.is(tls.length, 7);
  let groups = 0;
  for (const tl of tls) {
    const m = sumoSignalModel(INGOLSTADT7, tl);
    groups += m.groups.length;
    t.true(
      m.phases.every((p) => p.state.length >= m.groups.length),
      tl,
    );
    t.deepEqual(overlaps(m).protectedBoth, [], tl);
    const p = sumoSignalModel(INGOLSTADT7, tl, { permissive: 'from-program' });
    t.deepEqual(overlaps(p), { protectedBoth: [], withMinor: 0 }, tl);
  }
  t.is(groups, 72);
  t.throws(() => sumoSignalModel(INGOLSTADT7, 'no-such-light'), {
    message: /tlLogic "no-such-light": not found/,
  });
});

test('sumo net — x1 drives the controller: actuated and adaptive for an hour on random detector calls, no trip', (t) => {
  const detectors = sumoDetectors(readFileSync(path.join(DATA, 'x1/x1.det.add.xml'), 'utf8'));
  t.is(detectors.length, 20);
  const m = sumoSignalModel(X1, 'A0', { permissive: 'from-program' });
  const cfg = sumoIntersectionConfig(m, { id: 'x1', detectors });
  t.deepEqual(modelProblems(modelFromConfig(cfg)), []);
  t.is(cfg.plan.stages.length, 4);
  t.is(cfg.detectors.length, 12, 'the lane-area detectors on the incoming lanes');
  // The program's short protected lefts cap their maximum green unless one is given (the HIL runs
  // give SUMO's actuated maxDur; before that, calle's lefts starved on 2way-single-intersection).
  t.is(tripInAnHour(cfg, cfg.detectors), undefined);
  const ite = sumoIntersectionConfig(m, { id: 'x1', detectors, clearance: 'ite' });
  t.deepEqual(modelProblems(modelFromConfig(ite)), []);
  t.is(tripInAnHour(ite, ite.detectors), undefined, 'with ITE clearances');
});

test('sumo net — a given maximum green replaces the short program greens that starved protected lefts', (t) => {
  // 2way-single-intersection: 6 s protected lefts carrying 300 veh/h each. With the program's
  // green as their maximum (7 s after the minimum), calle's actuated control could not clear them
  // (HIL: 254 s mean delay against SUMO actuated's 22 s, which may extend every phase to 50 s).
  const xml = readFileSync(path.join(DATA, '2way-single-intersection/single-intersection.net.xml'), 'utf8');
  const m = sumoSignalModel(xml, 't');
  const plain = modelFromConfig(sumoIntersectionConfig(m, { id: 'tl' })).groups;
  const lefts = plain.filter((g) => g.maxGreenS < 10);
  t.is(lefts.length, 4, 'the four protected lefts are capped at their minimum green');
  const extended = modelFromConfig(sumoIntersectionConfig(m, { id: 'tl', maxGreenS: 50 })).groups;
  for (const [i, g] of extended.entries())
    t.is(g.maxGreenS, g.kind === 'pedestrian' ? plain[i]!.maxGreenS : 50, g.id);
});

test('sumo net — ITE clearance on 2way-single-intersection: the hand-computed yellows, all-reds and intergreens', (t) => {
  // Every approach lane n_t_0… has speed 13.90 m/s; via lengths :t_0_0 5.00 (right), :t_1_0 16.10
  // (through), :t_2_0 15.64 (left), likewise on the other arms.
  //   yellow  = 1 + 13.9 / (2 · 3.0) = 3.317  → 3.4 s
  //   all-red = (5.00 + 6) / 13.9 = 0.79 → 1 s (floor); (16.10 + 6) / 13.9 = 1.59 → 1.6 s;
  //             (15.64 + 6) / 13.9 = 1.56 → 1.6 s
  // Intergreen from a right turn 3.4 + 1 = 4.4 s, from a through or left 3.4 + 1.6 = 5 s.
  const m = sumoSignalModel(TWO_WAY, 't');
  const byDir = (dir: string): SumoSignalGroup => m.groups.find((g) => g.dirs.includes(dir))!;
  t.deepEqual(byDir('r').clearing, [{ speedMs: 13.9, widthM: 5 }]);
  t.deepEqual(iteClearance(byDir('r')), { yellowS: 3.4, allRedS: 1 });
  t.deepEqual(iteClearance(byDir('s')), { yellowS: 3.4, allRedS: 1.6 });
  t.deepEqual(iteClearance(byDir('l')), { yellowS: 3.4, allRedS: 1.6 });
  const cfg = sumoIntersectionConfig(m, { id: 'tl', maxGreenS: 50, clearance: 'ite' });
  t.like(cfg.plan, { yellowS: 3.4, allRedS: 1.6 });
  const ig = new Map(cfg.intergreen!.map((x) => [`${x.from}>${x.to}`, x.s]));
  t.is(ig.size, 2 * m.conflicts.length, 'both directions of every conflict');
  t.is(ig.get('l0>l4'), 4.4, 'north right turn clearing for the east through');
  t.is(ig.get('l4>l0'), 5);
  t.deepEqual(modelProblems(modelFromConfig(cfg)), []);
  t.is(tripInAnHour(cfg, []), undefined, 'no detectors: every group on recall');
  t.throws(() => sumoIntersectionConfig(m, { id: 'tl', clearance: 'ite', allRedS: 2 }), {
    message: /tl: yellowS\/allRedS are computed from the net/,
  });
});

test('sumo net — ITE clearance: a left turn past an internal junction clears both internal lanes', (t) => {
  // ingolstadt1 link 2: lane 201963537#1_3 (13.89 m/s), via :cluster_…_2_0 (12.87 m) then
  // :cluster_…_8_0 (13.19 m): W = 26.06 m, all-red (26.06 + 6) / 13.89 = 2.31 → 2.4 s.
  const xml = readFileSync(path.join(DATA, 'ingolstadt1/ingolstadt1.net.xml'), 'utf8');
  const g = sumoSignalModel(xml, 'gneJ207').groups.find((x) => x.id === 'l2')!;
  t.deepEqual(g.clearing, [{ speedMs: 13.89, widthM: 26.06 }]);
  t.is(iteClearance(g).allRedS, 2.4);
});

test('sumo net — ITE clearance: yellow clamped to 3–6 s, and every all-red runs after the yellow shown', (t) => {
  // 8 m/s: 1 + 8/6 = 2.33 → 3 s (floor); 16 m/s: 1 + 16/6 = 3.67 → 3.7 s; 40 m/s: 7.67 → 6 s (cap).
  // All-red (10 + 6) / 8 = 2 s, (10 + 6) / 16 = 1 s, (34 + 6) / 40 = 1 s.
  const group = (link: number, speedMs: number, widthM: number): SumoSignalGroup => ({
    id: `l${link}`,
    linkIndex: link,
    kind: 'vehicle',
    lanes: [`in${link}_0`],
    dirs: ['s'],
    clearing: [{ speedMs, widthM }],
  });
  const m: SumoSignalModel = {
    tlId: 'j',
    programId: '0',
    groups: [group(0, 8, 10), group(1, 16, 10), group(2, 40, 34)],
    conflicts: [
      ['l0', 'l1'],
      ['l1', 'l2'],
    ],
    permissive: [],
    phases: [
      { durationS: 20, state: 'Grr' },
      { durationS: 20, state: 'rGr' },
      { durationS: 20, state: 'rrG' },
    ],
  };
  t.deepEqual(m.groups.map(iteClearance), [
    { yellowS: 3, allRedS: 2 },
    { yellowS: 3.7, allRedS: 1 },
    { yellowS: 6, allRedS: 1 },
  ]);
  const cfg = sumoIntersectionConfig(m, { id: 'j', clearance: 'ite' });
  // The plan has one vehicle yellow, 6 s: the slow group's 2 s all-red follows that, not its own 3 s.
  t.like(cfg.plan, { yellowS: 6, allRedS: 2 });
  t.deepEqual(cfg.intergreen, [
    { from: 'l0', to: 'l1', s: 8 },
    { from: 'l1', to: 'l0', s: 7 },
    { from: 'l1', to: 'l2', s: 7 },
    { from: 'l2', to: 'l1', s: 7 },
  ]);
  t.deepEqual(modelProblems(modelFromConfig(cfg)), []);
});
