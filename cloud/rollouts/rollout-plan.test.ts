import test from 'ava';
import {
  edgesByStage,
  inStageOrder,
  MAX_STAGE_HASH,
  parseStageSpec,
  planStages,
  stageOf,
  StageSpecError,
  stageSpecOf,
} from './rollout-plan.js';
import { upgradeRecord, type RolloutRecord } from './rollout-store.js';
import { encodeEntry } from '../replication/state-entries.js';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `edge-${String(i).padStart(3, '0')}`);
const sizesOf = (edgeIds: readonly string[], spec: string) =>
  edgesByStage(planStages(edgeIds, stageSpecOf(spec)).cuts, edgeIds).map((s) => s.length);

test('rollout plan — 1, 10 %, 100 % of 100 edges: 1, 9, 90, cumulative and in hash order', (t) => {
  const plan = planStages(ids(100).reverse(), stageSpecOf('1,10%,100%'));
  t.deepEqual(plan.sizes, [1, 9, 90]);
  t.is(plan.cuts.at(-1), MAX_STAGE_HASH);
  const stages = edgesByStage(plan.cuts, ids(100));
  t.deepEqual(
    stages.map((s) => s.length),
    [1, 9, 90],
  );
  // The canary is the edge of lowest hash, whatever the order the ids came in.
  t.deepEqual(stages[0], [inStageOrder(ids(100))[0]]);
  t.is(new Set(stages.flat()).size, 100);
  for (const [i, stage] of stages.entries()) for (const id of stage) t.is(stageOf(plan.cuts, id), i + 1);
});

test('rollout plan — an edge registered after the start falls in the stage its hash says', (t) => {
  const plan = planStages(ids(100), stageSpecOf('1,10%,100%'));
  const late = ids(200).slice(100);
  const stages = edgesByStage(plan.cuts, [...ids(100), ...late]);
  t.is(stages.flat().length, 200, 'every edge is in some stage');
  for (const id of late) t.true(stages[stageOf(plan.cuts, id) - 1]!.includes(id));
  // Hash order is not id order: late edges land in every stage, not only the last.
  t.true(stages[2]!.some((id) => late.includes(id)) && stages[1]!.some((id) => late.includes(id)));
});

test('rollout plan — the record of a rollout to 50,000 edges stays far below the 1 MB KV payload (regression)', (t) => {
  // Regression (issue #16): the record listed every edge id per stage: ~39,000 edges overflowed
  // the hub's max_payload and the rollout could not start.
  const edgeIds = Array.from(
    { length: 50_000 },
    (_, i) => `madrid-centro-cabinet-${String(i).padStart(6, '0')}`,
  );
  const plan = planStages(edgeIds, stageSpecOf('1,1%,10%,50%,100%'));
  const record: RolloutRecord = {
    id: 1,
    version: 1,
    target: { allEdges: true },
    spec: stageSpecOf('1,1%,10%,50%,100%'),
    ...plan,
    releasedStages: 1,
    stageStartedMs: 0,
    allAppliedMs: null,
    state: 'running',
    reason: '',
    rollbackTo: null,
    rollbackVersion: null,
    windowMs: 60_000,
    stageTimeoutMs: 600_000,
    createdMs: 0,
    updatedMs: 0,
  };
  t.deepEqual(plan.sizes, [1, 499, 4_500, 20_000, 25_000]);
  t.true(encodeEntry(record).length < 1_000, `${encodeEntry(record).length} bytes`);
});

test('rollout plan — a record stored with edge lists is read with cuts that release no listed edge later', (t) => {
  const listed = [['edge-004'], ['edge-001', 'edge-002'], ['edge-000', 'edge-003', 'edge-005']];
  const old = { id: 1, version: 2, releasedStages: 2, stages: listed } as unknown;
  const r = upgradeRecord(old);
  t.deepEqual(r.sizes, [1, 2, 3]);
  t.false('stages' in r);
  for (const [i, stage] of listed.entries())
    for (const id of stage) t.true(stageOf(r.cuts, id) <= i + 1, `${id} listed in stage ${i + 1}`);
});

test('rollout plan — rounding up never leaves a stage empty; stages adding no edge are dropped', (t) => {
  t.deepEqual(sizesOf(ids(3), '1,10%,100%'), [1, 2]);
  t.deepEqual(sizesOf(ids(1), '1,10%,100%'), [1]);
  t.deepEqual(
    planStages(ids(20), stageSpecOf([{ percent: 10 }, { edges: 5 }, { percent: 100 }])).sizes,
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
