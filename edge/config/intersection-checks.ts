// Intersections beyond their shape (site.schema.json): heads and detectors exist and are what they
// claim, signal groups are referred to by ids that exist, conflicts are pairs of two groups,
// intergreens join conflicting groups only, and the plan is safe — no two conflicting groups in
// one stage, every group in some stage, each green at least the plan's minimum and a pedestrian's
// 7 s walk (REFERENCE §2), the cycle the sum of its parts. Once all of that holds, the model the
// controller will run is checked too (its own rules: walk, clearance, intergreens), and whether
// each stage's green holds its groups' walk plus the clearance that runs inside the stage.
import { modelFromConfig, modelProblems } from '../control/intersection-model.js';
import type { IntersectionConfig } from './edge-config.js';
import { at, fieldsOf, itemsOf, type ProblemList } from './problem-list.js';
import type { SiteReferences } from './site-references.js';

/** Pedestrian walk of at least 7 s (REFERENCE §2). */
export const MIN_WALK_S = 7;

export function checkIntersections(v: unknown, problems: ProblemList, refs: SiteReferences): void {
  itemsOf(v).forEach((x, i) => checkIntersection(fieldsOf(x), at('intersections', i), problems, refs));
  refs.uniqueIds(v, 'intersections', 'intersection');
}

function checkIntersection(
  o: Readonly<Record<string, unknown>>,
  p: string,
  problems: ProblemList,
  refs: SiteReferences,
): void {
  const groups = itemsOf(o.signalGroups).map((g) => fieldsOf(g));
  const sgp = at(p, 'signalGroups');
  groups.forEach((g, i) => {
    const gp = at(sgp, i);
    const head = refs.device(g.head, at(gp, 'head'), 'signal-head');
    if (head !== undefined) refs.claim(head, at(gp, 'head'));
  });
  refs.uniqueIds(o.signalGroups, sgp, 'signal group');
  const sgIds = new Set(groups.map((g) => g.id).filter((id): id is string => typeof id === 'string'));
  const sgKind = new Map(groups.map((g) => [g.id, g.kind]));
  const sgRef = (x: unknown, xp: string): string | undefined => {
    const id = problems.text(x, xp);
    if (id !== undefined && !sgIds.has(id)) return problems.fail(xp, `unknown signal group "${id}"`);
    return id;
  };

  const conflictSet = new Set<string>();
  itemsOf(o.conflicts).forEach((pair, i) => {
    const pp = at(at(p, 'conflicts'), i);
    if (!Array.isArray(pair)) return;
    if (pair.length !== 2) return problems.fail(pp, 'must be a pair [groupA, groupB]');
    const a = sgRef(pair[0], at(pp, 0));
    const b = sgRef(pair[1], at(pp, 1));
    if (a !== undefined && a === b) return problems.fail(pp, `a group cannot conflict with itself ("${a}")`);
    if (a !== undefined && b !== undefined) conflictSet.add(`${a}|${b}`).add(`${b}|${a}`);
  });

  const detectors = refs.devices(o.detectors, at(p, 'detectors'), 'detector');
  groups.forEach((g, i) =>
    itemsOf(g.detectors).forEach((d, j) => {
      const dp = at(at(at(sgp, i), 'detectors'), j);
      if (typeof d === 'string' && problems.sound(at(p, 'detectors')) && !detectors.includes(d))
        problems.fail(dp, `"${d}" is not in this intersection's detectors`);
    }),
  );

  itemsOf(o.intergreen).forEach((x, i) => {
    const xp = at(at(p, 'intergreen'), i);
    const xo = fieldsOf(x);
    const from = sgRef(xo.from, at(xp, 'from'));
    const to = sgRef(xo.to, at(xp, 'to'));
    if (from !== undefined && to !== undefined && !conflictSet.has(`${from}|${to}`))
      problems.fail(
        xp,
        `"${from}" and "${to}" do not conflict: an intergreen applies to conflicting groups only`,
      );
  });

  const plan = fieldsOf(o.plan);
  const pp = at(p, 'plan');
  const minGreenS = problems.number(plan.minGreenS, at(pp, 'minGreenS'));
  const served = new Set<string>();
  itemsOf(plan.stages).forEach((s, i) => {
    const sp = at(at(pp, 'stages'), i);
    const so = fieldsOf(s);
    const valid = itemsOf(so.groups)
      .map((g, j) => sgRef(g, at(at(sp, 'groups'), j)))
      .filter((x): x is string => x !== undefined);
    const greenS = problems.number(so.greenS, at(sp, 'greenS'));
    if (greenS !== undefined && minGreenS !== undefined && greenS < minGreenS)
      problems.fail(at(sp, 'greenS'), `${greenS} is below the minimum ${minGreenS}`);
    valid.forEach((a, j) => {
      served.add(a);
      for (const b of valid.slice(j + 1))
        if (conflictSet.has(`${a}|${b}`))
          problems.fail(at(sp, 'groups'), `conflicting groups "${a}" and "${b}" in one stage`);
      if (sgKind.get(a) === 'pedestrian' && greenS !== undefined && greenS < MIN_WALK_S)
        problems.fail(
          at(sp, 'greenS'),
          `${greenS} s is shorter than the ${MIN_WALK_S} s pedestrian walk of "${a}"`,
        );
    });
  });
  if (problems.sound(at(pp, 'stages')))
    for (const id of sgIds)
      if (!served.has(id)) problems.fail(at(pp, 'stages'), `signal group "${id}" is in no stage`);

  if (!problems.sound(pp)) return;
  const stages = plan.stages as readonly { greenS: number }[];
  const [cycleS, yellowS, allRedS] = [plan.cycleS, plan.yellowS, plan.allRedS] as number[];
  const sum = stages.reduce((t, s) => t + s.greenS + yellowS! + allRedS!, 0);
  if (Math.abs(sum - cycleS!) > 1e-6)
    problems.fail(
      at(pp, 'cycleS'),
      `${cycleS} s differs from the stages' total ${sum} s (Σ greenS + stages × (yellowS + allRedS))`,
    );
  if (problems.sound(p)) checkModel(o as unknown as IntersectionConfig, p, problems);
}

/** The controller's model of a sound intersection: its own rules and each stage's green. */
function checkModel(x: IntersectionConfig, p: string, problems: ProblemList): void {
  const model = modelFromConfig(x);
  for (const problem of modelProblems(model)) problems.fail(p, problem);
  x.plan.stages.forEach((s, i) => {
    for (const g of model.groups.filter((m) => s.groups.includes(m.id))) {
      const need = g.minGreenS + g.changeS - model.yellowS;
      if (s.greenS < need)
        problems.fail(
          at(at(at(at(p, 'plan'), 'stages'), i), 'greenS'),
          `${s.greenS} s is shorter than the ${need} s "${g.id}" needs (min green/walk ${g.minGreenS} s + clearance ${g.changeS} s − yellow ${model.yellowS} s)`,
        );
    }
  });
}
