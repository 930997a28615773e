// The model built from SUMO nets, cross-checked against SUMO's own data: the foe matrix must be
// symmetric under right-to-left indexing, and the net's own programs must never show two links
// that our matrix says conflict both as protected green.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import type { DetectorReading } from './detector-calls.js';
import { IntersectionController } from './intersection-controller.js';
import { modelFromConfig, modelProblems } from './intersection-model.js';
import {
  scanXmlTags,
  SUMO_GO,
  sumoDetectors,
  sumoIntersectionConfig,
  sumoSignalModel,
  sumoTrafficLights,
  type SumoSignalModel,
} from './sumo-net-model.js';

const DATA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/data/sumo');
const X1 = readFileSync(path.join(DATA, 'x1/x1_static.net.xml'), 'utf8');
const INGOLSTADT7 = readFileSync(path.join(DATA, 'ingolstadt7/ingolstadt7.net.xml'), 'utf8');

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
  let seed = 42;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (const mode of ['actuated', 'adaptive'] as const) {
    const T0 = Date.UTC(2025, 0, 15, 8);
    const x = new IntersectionController({ ...cfg, control: { mode, passageS: 2, adaptEveryCycles: 2 } }, T0);
    const counts = new Map(cfg.detectors.map((d) => [d, 0]));
    const served = new Set<string>();
    for (let s = 1; s <= 3600; s++) {
      const readings = new Map<string, DetectorReading>();
      for (const d of cfg.detectors) {
        if (rand() < 0.15) counts.set(d, counts.get(d)! + 1);
        readings.set(d, { available: true, count: counts.get(d)! });
      }
      const step = x.step(T0 + s * 1000, [], readings);
      if (step.latched) return t.fail(`${mode} at ${s} s: ${step.latched.reason}`);
      for (const [g, a] of Object.entries(step.aspects)) if (a === 'green') served.add(g);
    }
    t.is(served.size, 20, `${mode}: every link served`);
  }
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
