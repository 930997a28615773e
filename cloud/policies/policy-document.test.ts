import test from 'ava';
import fc from 'fast-check';
import { SIGNAL_LIMITS } from '../../edge/config/edge-config.js';
import { checkPolicyBounds } from '../../edge/policy/policy-bounds.js';
import { v1 } from '../../proto/index.js';
import {
  checkPolicyDocument,
  documentOf,
  parsePolicyText,
  policySchema,
  readPolicyText,
} from './policy-document.js';
import { compileSchema } from '../../common/schema/json-schema.js';

const YAML_POLICY = `# Atocha pilot: dim after midnight
target:
  districts: [centro]
lighting:
  steps:
    - at: sunset
      offsetMin: -10
      levelPct: 80
    - at: 00:30        # unquoted: YAML 1.1 would read this as the number 30
      levelPct: 40
  presenceLevelPct: 80
  presenceHoldS: 60
traffic: { cycleS: 90, minGreenS: 7, yellowS: 4, allRedS: 2 }
`;

test('policy document — a YAML policy becomes a draft with the protobuf JSON names', (t) => {
  const result = readPolicyText(YAML_POLICY);
  if (!result.ok) return t.fail(JSON.stringify(result.problems));
  t.deepEqual(result.draft, {
    target: { districts: ['centro'] },
    lighting: {
      steps: [
        { at: 'sunset', offsetMin: -10, levelPct: 80 },
        { at: '00:30', levelPct: 40 },
      ],
      presenceLevelPct: 80,
      presenceHoldS: 60,
    },
    traffic: { cycleS: 90, minGreenS: 7, yellowS: 4, allRedS: 2 },
  });
  // And back: what GET /api/policies/:version shows reads as the same policy.
  const shown = documentOf(v1.PolicyBundle.fromObject({ version: 1, ...result.draft }));
  t.like(readPolicyText(JSON.stringify(shown)), { ok: true, draft: { lighting: { presenceHoldS: 60 } } });
});

test('policy document — every field problem is reported at once, named in the document’s spelling', (t) => {
  const result = readPolicyText(
    JSON.stringify({
      target: { districts: ['centro'], edgeIds: ['Atocha 01'] },
      lighting: { steps: [{ at: '25:00', levelPct: 120 }], presenceHoldS: 1.5 },
      traffic: { cycleS: 90.5, minGreenS: 7, yellowS: 2, allRedS: '2' },
      waste: { collectAtFill: 0 },
      colour: 'blue',
    }),
  );
  t.false(result.ok);
  const lines = result.ok ? [] : result.problems.map((p) => `${p.field}: ${p.reason}`);
  t.deepEqual(lines, [
    'target.edgeIds[0]: "Atocha 01" does not match ^[a-z0-9][a-z0-9_-]{0,62}$',
    'lighting.steps[0].at: "25:00" does not match ^(sunset|sunrise|([01][0-9]|2[0-3]):[0-5][0-9])$',
    'lighting.steps[0].levelPct: 120 is above the maximum 100',
    'lighting.presenceHoldS: must be a whole number, got 1.5',
    'traffic.cycleS: must be a whole number, got 90.5',
    'traffic.yellowS: 2 is below the minimum 3',
    'traffic.allRedS: must be a number, got string "2"',
    'waste.collectAtFill: 0 must be greater than 0',
    'colour: unknown field (known: $schema, target, lighting, traffic, waste)',
  ]);
});

test('policy document — syntax errors carry line and column; a repeated key is an error, in JSON too', (t) => {
  const broken = parsePolicyText('target:\n  allEdges: true\n waste: [');
  t.false(broken.ok);
  t.regex(broken.ok ? '' : (broken.problems[0]?.reason ?? ''), /^line 3, column \d+: /);
  const twice = parsePolicyText(
    '{ "target": { "allEdges": true }, "waste": { "collectAtFill": 0.5 }, "waste": {} }',
  );
  t.false(twice.ok);
  t.regex(twice.ok ? '' : (twice.problems[0]?.reason ?? ''), /unique/i);
});

test('policy document — rules beyond the schema: a section is needed, the target must name an edge, offsets only on sun anchors', (t) => {
  const reasons = (doc: unknown): string[] => {
    const r = checkPolicyDocument(doc);
    return r.ok ? [] : r.problems.map((p) => `${p.field}: ${p.reason}`);
  };
  t.deepEqual(reasons({ target: { allEdges: true } }), [': needs at least one of lighting, traffic, waste']);
  t.deepEqual(reasons({ target: { districts: [] }, waste: { collectAtFill: 0.5 } }), [
    'target: names no edge; set allEdges: true or list districts, tags or edgeIds',
  ]);
  t.deepEqual(
    reasons({
      target: { allEdges: true },
      lighting: { steps: [{ at: '01:00', offsetMin: 5, levelPct: 1 }] },
    }),
    ['lighting.steps[0].offsetMin: applies only to sunset and sunrise, not to the clock time 01:00'],
  );
  t.deepEqual(reasons({ target: { tags: ['pilot\ud800'] }, waste: { collectAtFill: 0.5 } }), [
    'target.tags[0]: is not valid Unicode text (it holds a lone UTF-16 surrogate)',
  ]);
  t.deepEqual(reasons({ target: { allEdges: true }, waste: { collectAtFill: Number.NaN } }), [
    'waste.collectAtFill: must be a number, got NaN',
  ]);
});

test('policy schema — compiles strictly; an unknown keyword or format is refused, not ignored', (t) => {
  t.notThrows(() => compileSchema(policySchema));
  t.throws(() => compileSchema({ type: 'object', properties: { a: { type: 'string', maxLenght: 3 } } }), {
    message: /unknown keyword: "maxLenght"/,
  });
  t.throws(() => compileSchema({ type: 'string', format: 'e-mail' }), { message: /unknown format "e-mail"/ });
});

test('policy schema — traffic bounds are the edge’s SIGNAL_LIMITS', (t) => {
  const traffic = policySchema.properties.traffic.properties;
  t.is(traffic.yellowS.minimum, SIGNAL_LIMITS.minYellowS);
  t.is(traffic.yellowS.maximum, SIGNAL_LIMITS.maxYellowS);
  t.is(traffic.minGreenS.minimum, SIGNAL_LIMITS.minGreenS);
  t.is(traffic.allRedS.maximum, SIGNAL_LIMITS.maxAllRedS);
  t.is(traffic.cycleS.minimum, SIGNAL_LIMITS.minCycleS);
  t.is(traffic.cycleS.maximum, SIGNAL_LIMITS.maxCycleS);
});

test('policy schema — property: whatever the schema admits, the edge’s bounds check admits too', (t) => {
  const level = fc.double({ min: 0, max: 100, noNaN: true });
  const doc = fc.record(
    {
      lighting: fc.record({
        steps: fc.array(
          fc.oneof(
            fc.record({
              at: fc.constantFrom('sunset', 'sunrise'),
              offsetMin: fc.integer({ min: -720, max: 720 }),
              levelPct: level,
            }),
            fc.record({ at: fc.constantFrom('00:00', '23:59', '06:30'), levelPct: level }),
          ),
          { minLength: 1, maxLength: 24 },
        ),
        presenceLevelPct: level,
        presenceHoldS: fc.integer({ min: 0, max: 3600 }),
      }),
      traffic: fc.record({
        cycleS: fc.integer({ min: 30, max: 180 }),
        minGreenS: fc.integer({ min: 5, max: 120 }),
        yellowS: fc.double({ min: 3, max: 6, noNaN: true }),
        allRedS: fc.double({ min: 0, max: 6, noNaN: true }),
      }),
      waste: fc.record({ collectAtFill: fc.double({ min: Number.MIN_VALUE, max: 1, noNaN: true }) }),
    },
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(doc, (d) => {
      const checked = checkPolicyDocument({ target: { allEdges: true }, ...d });
      if (!checked.ok) return Object.keys(d).length === 0; // only "needs a section"
      const edge = checkPolicyBounds(v1.PolicyBundle.fromObject({ version: 1, ...checked.draft }), []);
      return edge.ok;
    }),
    { numRuns: 300 },
  );
  t.pass();
});
