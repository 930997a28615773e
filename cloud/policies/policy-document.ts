// A policy as an operator writes it: JSON or YAML against policy.schema.json, turned into the
// draft the publisher versions and signs. Every problem is reported at once, each naming the
// field in the document's own spelling ("traffic.yellowS: 2 is below the minimum 3").
//
// Both formats are read with the `yaml` package in YAML 1.2 (a superset of JSON): YAML 1.1's traps
// do not apply ("00:30" stays a string instead of the sexagesimal 30, "no" stays a string) and a key
// given twice is an error in JSON too, where JSON.parse would silently keep the last one.
import { parseDocument } from 'yaml';
import type { calle } from '../../proto/index.js';
import type { PolicyDraft } from './policy-publisher.js';
import policySchema from './policy.schema.json' with { type: 'json' };
import { compileSchema, type FieldProblem } from '../../common/schema/json-schema.js';

export { policySchema };
export type { FieldProblem };

/** Stable code of a policy document that fails its checks (HTTP 400 body, CLI output). */
export const POLICY_INVALID = 'CALLE_ERR_POLICY_INVALID';

const validateSchema = compileSchema(policySchema);

/**
 * How far aliases may expand (the yaml package's maxAliasCount, its default): a policy needs a few
 * anchors at most, a "billion laughs" document needs exponentially many.
 */
export const MAX_ALIAS_COUNT = 100;

export type ParseResult = { ok: true; value: unknown } | { ok: false; problems: FieldProblem[] };

/** Parses JSON or YAML text. Syntax errors carry line and column. */
export function parsePolicyText(text: string): ParseResult {
  const doc = parseDocument(text, { version: '1.2', uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        const where = pos ? `line ${pos.line}, column ${pos.col}: ` : '';
        // The first line of a pretty error is the message; the rest is a source excerpt.
        return { field: '', reason: `${where}${e.message.split('\n')[0] ?? e.code}` };
      }),
    };
  }
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as unknown };
  } catch (err) {
    // An alias bomb ("billion laughs": anchors of anchors, each alias multiplying the last) parses
    // into a small tree but expands into an exponential one; the yaml package stops the expansion
    // with a ReferenceError. That is the document's fault, so it is a 400 naming it, not a 500.
    if (err instanceof ReferenceError && /alias count/i.test(err.message))
      return {
        ok: false,
        problems: [
          {
            field: '',
            reason: `aliases: the document expands its anchors more than ${MAX_ALIAS_COUNT} times (an alias bomb); write the values out`,
          },
        ],
      };
    throw err;
  }
}

export type CheckResult = { ok: true; draft: PolicyDraft } | { ok: false; problems: FieldProblem[] };

/** Checks a parsed document against the schema and the rules the schema cannot say. */
export function checkPolicyDocument(value: unknown): CheckResult {
  const problems = validateSchema(value);
  if (problems.length > 0) return { ok: false, problems };
  const doc = value as AuthoredPolicy;

  // A policy with no section would take a version, be signed and pushed, and change nothing.
  if (!doc.lighting && !doc.traffic && !doc.waste)
    problems.push({ field: '', reason: 'needs at least one of lighting, traffic, waste' });
  // Empty lists match nothing (policy-target.ts): say so now rather than publish to no edge.
  const t = doc.target;
  if (t.allEdges !== true && !t.districts?.length && !t.tags?.length && !t.edgeIds?.length)
    problems.push({
      field: 'target',
      reason: 'names no edge; set allEdges: true or list districts, tags or edgeIds',
    });
  const steps = doc.lighting?.steps ?? [];
  steps.forEach((s, i) => {
    if (/^\d/.test(s.at) && s.offsetMin !== undefined && s.offsetMin !== 0)
      problems.push({
        field: `lighting.steps[${i}].offsetMin`,
        reason: `applies only to sunset and sunrise, not to the clock time ${s.at}`,
      });
  });
  if (problems.length > 0) return { ok: false, problems };

  return {
    ok: true,
    draft: {
      target: doc.target,
      ...(doc.lighting ? { lighting: doc.lighting } : {}),
      ...(doc.traffic ? { traffic: doc.traffic } : {}),
      ...(doc.waste ? { waste: doc.waste } : {}),
    },
  };
}

/** Parses and checks in one step. */
export function readPolicyText(text: string): CheckResult {
  const parsed = parsePolicyText(text);
  return parsed.ok ? checkPolicyDocument(parsed.value) : parsed;
}

/** The content of a bundle in the authored form (what `GET /api/policies/:version` shows). */
export function documentOf(bundle: calle.v1.PolicyBundle): Record<string, unknown> {
  const json = bundle.toJSON();
  const doc: Record<string, unknown> = { target: json.target ?? {} };
  for (const section of ['lighting', 'traffic', 'waste'] as const)
    if (json[section] !== undefined) doc[section] = json[section];
  return doc;
}

/** The shape the schema admits, for the code that reads a checked document. */
interface AuthoredPolicy {
  target: calle.v1.PolicyTarget.$Properties;
  lighting?: Omit<calle.v1.LightingPolicy.$Properties, 'steps'> & {
    steps: { at: string; offsetMin?: number; levelPct: number }[];
  };
  traffic?: calle.v1.TrafficPolicy.$Properties;
  waste?: calle.v1.WastePolicy.$Properties;
}
