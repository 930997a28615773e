import test from 'ava';
import { parseStageSpec, planStages, StageSpecError, stageSpecOf } from './rollout-plan.js';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `edge-${String(i).padStart(3, '0')}`);

test('rollout plan — 1, 10 %, 100 % of 100 edges: 1, 9, 90, cumulative and in id order', (t) => {
  const stages = planStages(ids(100).reverse(), stageSpecOf('1,10%,100%'));
  t.deepEqual(
    stages.map((s) => s.length),
    [1, 9, 90],
  );
  t.deepEqual(stages[0], ['edge-000']);
  t.is(new Set(stages.flat()).size, 100);
});

test('rollout plan — rounding up never leaves a stage empty; stages adding no edge are dropped', (t) => {
  t.deepEqual(
    planStages(ids(3), stageSpecOf('1,10%,100%')).map((s) => s.length),
    [1, 2],
  );
  t.deepEqual(
    planStages(ids(1), stageSpecOf('1,10%,100%')).map((s) => s.length),
    [1],
  );
  t.deepEqual(
    planStages(ids(20), stageSpecOf([{ percent: 10 }, { edges: 5 }, { percent: 100 }])).map((s) => s.length),
    [2, 3, 15],
  );
});

test('rollout plan — bad specs name the stage and the reason', (t) => {
  const err = (spec: unknown) => t.throws(() => stageSpecOf(spec), { instanceOf: StageSpecError })?.message;
  t.is(
    err('1,10%'),
    'stages[1]: the last stage must be 100% (a rollout ends with every targeted edge on the new version)',
  );
  t.is(
    err('1,ten,100%'),
    'stages[1]: "ten" is neither a number of edges (e.g. 1) nor a percentage (e.g. 10%)',
  );
  t.is(err([{ percent: 0 }, { percent: 100 }]), 'stages[0].percent: must be above 0 and at most 100');
  t.is(err([]), 'stages: must be a non-empty list of stages, e.g. "1,10%,100%"');
  t.deepEqual(parseStageSpec('2, 50% ,100%'), [{ edges: 2 }, { percent: 50 }, { percent: 100 }]);
});
