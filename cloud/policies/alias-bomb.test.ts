// A YAML alias bomb ("billion laughs": each anchor a list of aliases to the one before, so a few
// hundred bytes expand into 9^7 strings) sent as a policy (issue 13, finding 9): every reader of
// policy text answers with a problem naming the aliases — 400 on the operator API and when the
// dashboard publishes, a failed check in the dashboard's editor — never a 500, and nothing is
// published.
import test from 'ava';
import { dashboardFixture } from '../dashboard/testing/dashboard-fixture.js';
import { registerPolicyApi, type ProblemJson } from '../http/policy-api.js';
import { buildStatusApi } from '../http/status-api.js';
import { testLogger } from '../testing/harness.js';
import { MAX_ALIAS_COUNT, parsePolicyText, POLICY_INVALID } from './policy-document.js';
import { localState, tempStore } from '../testing/local-state.js';

const BOMB = [
  'target: { allEdges: true }',
  'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
  ...['b', 'c', 'd', 'e', 'f', 'g'].map((k, i) => {
    const prev = 'abcdefg'[i]!;
    return `${k}: &${k} [${Array(9).fill(`*${prev}`).join(', ')}]`;
  }),
  'lighting: { steps: [{ at: sunset, levelPct: 70 }], presenceLevelPct: *g }',
  '',
].join('\n');
const REASON = new RegExp(`^aliases: the document expands its anchors more than ${MAX_ALIAS_COUNT} times`);

test('alias bomb — the policy reader reports it as a problem of the document', (t) => {
  const parsed = parsePolicyText(BOMB);
  t.false(parsed.ok);
  if (!parsed.ok) t.regex(parsed.problems[0]!.reason, REASON);
  // A document with a few aliases is still fine.
  t.like(parsePolicyText('x: &x 5\ny: *x\n'), { ok: true, value: { x: 5, y: 5 } });
});

test('alias bomb — POST /api/policies answers 400 naming the aliases and publishes nothing', async (t) => {
  const { log } = testLogger(t);
  const db = tempStore(t);
  const app = buildStatusApi({ store: db, log });
  const { publisher, history } = await localState(db, log);
  registerPolicyApi(app, { publisher, history });
  t.teardown(async () => app.close());
  for (const type of ['application/yaml', 'application/json']) {
    const res = await app.inject({
      method: 'POST',
      url: '/api/policies',
      headers: { 'content-type': type },
      payload: BOMB,
    });
    t.is(res.statusCode, 400, type);
    t.is(res.json<ProblemJson>().error, POLICY_INVALID);
    t.regex(res.json<ProblemJson>().problems?.[0]?.reason ?? '', REASON);
  }
  t.is((await db.policies.after(0)).length, 0);
});

test("alias bomb — the dashboard's editor refuses it: a failed check, and 400 on publish", async (t) => {
  const f = await dashboardFixture(t);
  await f.addUser('eva', 'engineer');
  const eva = await f.signIn('eva');
  const checked = await f.call<{ ok: boolean; problems: { reason: string }[] }>(
    eva,
    'POST',
    'policies/validate',
    { text: BOMB },
  );
  t.is(checked.status, 200);
  t.false(checked.json.ok);
  t.regex(checked.json.problems[0]!.reason, REASON);
  for (const path of ['policies', 'rollouts']) {
    const res = await f.call<{ problems: { reason: string }[] }>(eva, 'POST', path, { text: BOMB });
    t.is(res.status, 400, path);
    t.regex(res.json.problems[0]!.reason, REASON);
  }
});
