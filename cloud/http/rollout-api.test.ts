// POST /api/rollouts refuses timing the health gate cannot honour (issue 13, finding 9): a zero
// window or stage timeout, values below one or two gate ticks, absurdly long ones, and a rollback
// to version 0 — 400 naming each field, and nothing is started or published.
import test from 'ava';
import { MAX_STAGE_TIMEOUT_MS, MAX_WINDOW_MS } from '../rollouts/rollout-bounds.js';
import { testLogger } from '../testing/harness.js';
import { localState, tempStore } from '../testing/local-state.js';
import type { ProblemJson } from './policy-api.js';
import { registerRolloutApi } from './rollout-api.js';
import { buildStatusApi } from './status-api.js';

const TICK_MS = 1_000;
const policy = { target: { districts: ['centro'] }, lighting: { steps: [{ at: 'sunset', levelPct: 70 }] } };

test('rollout api — windowMs, stageTimeoutMs and rollbackTo outside their bounds are 400 naming the field', async (t) => {
  const { log } = testLogger(t);
  const db = tempStore(t);
  // The gate is not under test; only the bounds it implies.
  const state = await localState(db, log, { rollouts: { tickMs: 3_600_000 } });
  const { history } = state;
  const rollouts = state.rollouts!;
  const app = buildStatusApi({ store: db, log });
  registerRolloutApi(app, { rollouts, store: db, gateTickMs: TICK_MS });
  t.teardown(async () => {
    await app.close();
    rollouts.close();
  });
  await db.registry.register({
    id: 'edge-a',
    district: 'centro',
    tags: [],
    softwareVersion: '0.1.0',
    nowMs: Date.now(),
  });
  const start = async (timing: Record<string, unknown>) =>
    app.inject({ method: 'POST', url: '/api/rollouts', payload: { policy, stages: '100%', ...timing } });

  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ windowMs: 0 }, 'windowMs', /^0 is below the minimum 1000 \(one health-gate tick\)/],
    [{ windowMs: 999 }, 'windowMs', /below the minimum 1000/],
    [{ windowMs: MAX_WINDOW_MS + 1 }, 'windowMs', /above the maximum/],
    [{ windowMs: -5 }, 'windowMs', /below the minimum/],
    [{ windowMs: 1.5e3 + 0.5 }, 'windowMs', /must be a whole number/],
    [{ stageTimeoutMs: 0 }, 'stageTimeoutMs', /^0 is below the minimum 2000 \(two health-gate ticks\)/],
    [{ stageTimeoutMs: 1_999 }, 'stageTimeoutMs', /below the minimum 2000/],
    [{ stageTimeoutMs: MAX_STAGE_TIMEOUT_MS + 1 }, 'stageTimeoutMs', /above the maximum/],
    [{ stageTimeoutMs: '600000' }, 'stageTimeoutMs', /must be a whole number, got "600000"/],
    [{ rollbackTo: 0 }, 'rollbackTo', /below the minimum 1 \(versions start at 1\)/],
  ];
  for (const [timing, field, reason] of cases) {
    const res = await start(timing);
    t.is(res.statusCode, 400, JSON.stringify(timing));
    const body = res.json<ProblemJson>();
    t.is(body.error, 'CALLE_ERR_POLICY_INVALID');
    t.is(body.problems?.length, 1, JSON.stringify(body.problems));
    t.is(body.problems?.[0]?.field, field);
    t.regex(body.problems?.[0]?.reason ?? '', reason);
    t.regex(body.message, new RegExp(`${field}: `));
  }
  // Every problem at once.
  const both = await start({ windowMs: 0, stageTimeoutMs: 0 });
  t.deepEqual(
    both.json<ProblemJson>().problems?.map((p) => p.field),
    ['windowMs', 'stageTimeoutMs'],
  );
  t.deepEqual(await rollouts.list(), [], 'nothing was started');
  t.deepEqual(await history.list(), [], 'nothing was published');

  // The floors themselves are accepted.
  const ok = await start({ windowMs: TICK_MS, stageTimeoutMs: 2 * TICK_MS });
  t.is(ok.statusCode, 201, ok.body);
  t.like(ok.json(), { windowMs: TICK_MS, stageTimeoutMs: 2 * TICK_MS });
});
