// Which edges a policy is for. The rule is the contract's (proto/calle/v1/policy.proto,
// PolicyTarget): an edge matches if the target names the whole fleet, its district, one of its
// tags, or its id. Empty lists match nothing, so a bundle with no target reaches no edge rather
// than every edge: a forgotten target must not light up the whole city.
import type { calle } from '../../proto/index.js';

/** The parts of an edge's registration that targeting looks at. */
export interface TargetableEdge {
  readonly id: string;
  readonly district: string;
  readonly tags: readonly string[];
}

export function targetMatches(
  target: calle.v1.PolicyTarget.$Properties | null | undefined,
  edge: TargetableEdge,
): boolean {
  if (!target) return false;
  if (target.allEdges === true) return true;
  if (target.edgeIds?.includes(edge.id)) return true;
  // A district is matched by its registered name exactly: "centro" and "Centro" are different
  // districts to the coordinator, which keeps the rule predictable for the operator.
  if (edge.district !== '' && target.districts?.includes(edge.district)) return true;
  return target.tags?.some((tag) => edge.tags.includes(tag)) ?? false;
}
