// How a staged rollout splits its target into stages. Stages are cumulative sizes ("1" edge, then
// "10%", then "100%" of the edges the target matched when the rollout started); each stage holds
// the edges the previous ones did not. The last stage must be 100 %: a rollout that stops at a
// canary would leave the fleet split between two versions with nothing tracking it.
//
// Edges are taken in id order. That makes the canary predictable for the operator (and the tests);
// a district-spread or random canary is a later refinement that only changes `planStages`.

/** One stage of the operator's spec: an absolute number of edges or a share of the target. */
export type StageSize = { readonly edges: number } | { readonly percent: number };

export const DEFAULT_STAGES: readonly StageSize[] = [{ edges: 1 }, { percent: 10 }, { percent: 100 }];

export class StageSpecError extends Error {
  override readonly name = 'StageSpecError';
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

/** Parses "1,10%,100%" (the CLI's and the API's short form). */
export function parseStageSpec(text: string, field = 'stages'): StageSize[] {
  const parts = text.split(',').map((p) => p.trim());
  return parts.map((part, i) => {
    const percent = /^(\d+(?:\.\d+)?)%$/.exec(part);
    if (percent) return { percent: Number(percent[1]) };
    if (/^\d+$/.test(part)) return { edges: Number(part) };
    throw new StageSpecError(
      `${field}[${i}]`,
      `${JSON.stringify(part)} is neither a number of edges (e.g. 1) nor a percentage (e.g. 10%)`,
    );
  });
}

/** Checks a spec given as JSON (`[{ "edges": 1 }, { "percent": 10 }]` or the short string form). */
export function stageSpecOf(value: unknown, field = 'stages'): StageSize[] {
  if (value === undefined) return [...DEFAULT_STAGES];
  const spec = typeof value === 'string' ? parseStageSpec(value, field) : value;
  if (!Array.isArray(spec) || spec.length === 0)
    throw new StageSpecError(field, 'must be a non-empty list of stages, e.g. "1,10%,100%"');
  const checked = spec.map((s: unknown, i): StageSize => {
    const f = `${field}[${i}]`;
    const o = s as { edges?: unknown; percent?: unknown } | null;
    if (o && typeof o.edges === 'number' && o.percent === undefined) {
      if (!Number.isSafeInteger(o.edges) || o.edges < 1)
        throw new StageSpecError(`${f}.edges`, 'must be a whole number of edges, at least 1');
      return { edges: o.edges };
    }
    if (o && typeof o.percent === 'number' && o.edges === undefined) {
      if (!(o.percent > 0 && o.percent <= 100))
        throw new StageSpecError(`${f}.percent`, 'must be above 0 and at most 100');
      return { percent: o.percent };
    }
    throw new StageSpecError(f, 'must be { "edges": N } or { "percent": P }');
  });
  const last = checked.at(-1);
  if (!last || !('percent' in last) || last.percent !== 100)
    throw new StageSpecError(
      `${field}[${checked.length - 1}]`,
      'the last stage must be 100% (a rollout ends with every targeted edge on the new version)',
    );
  return checked;
}

/**
 * Splits `edgeIds` into the stages of `spec`. Sizes are cumulative and rounded up (10 % of 3 edges
 * is 1), so a stage is never empty by rounding; stages that add no edge are dropped.
 */
export function planStages(edgeIds: readonly string[], spec: readonly StageSize[]): string[][] {
  const sorted = [...new Set(edgeIds)].sort();
  const n = sorted.length;
  const stages: string[][] = [];
  let taken = 0;
  for (const size of spec) {
    const wanted = 'edges' in size ? size.edges : Math.ceil((size.percent * n) / 100);
    const upTo = Math.min(n, Math.max(taken, wanted));
    if (upTo > taken) stages.push(sorted.slice(taken, upTo));
    taken = upTo;
  }
  return stages;
}
