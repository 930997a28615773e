// How a staged rollout splits its target into stages. Stages are cumulative sizes ("1" edge, then
// "10%", then "100%" of the edges the target matched when the rollout started); each stage holds
// the edges the previous ones did not. The last stage must be 100 %: a rollout that stops at a
// canary would leave the fleet split between two versions with nothing tracking it.
//
// Edges are ordered by a hash of their id, and a stage is stored as the highest hash it holds (a
// "cut"), never as a list of ids: a record listing every edge per stage outgrew the 1 MB KV
// payload at ~39,000 edges (issue #16, "max_payload size exceeded"). Membership is then a pure
// function of the edge id and the record, the same on every replica, and an edge registered after
// the start falls in the stage its hash says. The hash is of the id alone, so the same cabinets
// are the canary of every rollout: an operator can watch them; a per-rollout salt would spread the
// risk instead and only changes `stageHash`. Hash order also spreads the canary across districts,
// where id order took the first district's cabinets.
import { createHash } from 'node:crypto';

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

/** Hashes fill 48 bits: exact in a JavaScript number, and collisions are negligible for a city. */
export const MAX_STAGE_HASH = 2 ** 48 - 1;

const hashes = new Map<string, number>();
/** Bounds the memo: a city's edge ids, many times over. */
const MAX_MEMO = 1_000_000;

/** The position of an edge in every rollout's stage order: the first 48 bits of SHA-256 of its id. */
export function stageHash(edgeId: string): number {
  let h = hashes.get(edgeId);
  if (h === undefined) {
    h = createHash('sha256').update(edgeId).digest().readUIntBE(0, 6);
    if (hashes.size >= MAX_MEMO) hashes.clear();
    hashes.set(edgeId, h);
  }
  return h;
}

/** Edge ids in stage order (by hash, ties by id): the canary first. */
export function inStageOrder(edgeIds: readonly string[]): string[] {
  return [...new Set(edgeIds)].sort((a, b) => stageHash(a) - stageHash(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/** How a rollout's stages are stored: no edge ids, a few numbers per stage. */
export interface StagePlan {
  /** The highest stage hash of each stage, inclusive; the last is MAX_STAGE_HASH. */
  readonly cuts: readonly number[];
  /** Edges per stage when the rollout started (for the operator; membership uses the cuts). */
  readonly sizes: readonly number[];
}

/** The stage (1-based) an edge belongs to under `cuts`. */
export function stageOf(cuts: readonly number[], edgeId: string): number {
  const h = stageHash(edgeId);
  // Stages are few (the spec's length): a linear walk beats a binary search here.
  for (let i = 0; i < cuts.length; i++) if (h <= cuts[i]!) return i + 1;
  return cuts.length;
}

/**
 * Splits `edgeIds` into the stages of `spec`. Sizes are cumulative and rounded up (10 % of 3 edges
 * is 1), so a stage is never empty by rounding; stages that add no edge are dropped. The last
 * stage's cut is MAX_STAGE_HASH, so every edge, however late it registers, is in some stage.
 */
export function planStages(edgeIds: readonly string[], spec: readonly StageSize[]): StagePlan {
  const ordered = inStageOrder(edgeIds);
  const n = ordered.length;
  const cuts: number[] = [];
  const sizes: number[] = [];
  let taken = 0;
  for (const size of spec) {
    const wanted = 'edges' in size ? size.edges : Math.ceil((size.percent * n) / 100);
    let upTo = Math.min(n, Math.max(taken, wanted));
    // Edges sharing the cut's hash share its stage (48-bit collisions: a formality).
    while (upTo > 0 && upTo < n && stageHash(ordered[upTo]!) === stageHash(ordered[upTo - 1]!)) upTo++;
    if (upTo > taken) {
      cuts.push(stageHash(ordered[upTo - 1]!));
      sizes.push(upTo - taken);
    }
    taken = upTo;
  }
  if (cuts.length > 0) cuts[cuts.length - 1] = MAX_STAGE_HASH;
  return { cuts, sizes };
}

/** The edges of each stage among `edgeIds` (the targeted edges registered now), in stage order. */
export function edgesByStage(cuts: readonly number[], edgeIds: readonly string[]): string[][] {
  const stages: string[][] = cuts.map(() => []);
  for (const id of inStageOrder(edgeIds)) stages[stageOf(cuts, id) - 1]!.push(id);
  return stages;
}
