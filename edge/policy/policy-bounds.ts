// Checks a policy bundle's bounds before anything is applied: all of it or none of it. Reasons
// name the proto field ("traffic.yellow_s") so the coordinator's operator can find it. The version
// is not judged here: that is policy-version.ts's, once, before the bounds.
import type { calle } from '../../proto/index.js';
import { SIGNAL_LIMITS } from '../config/edge-config.js';
import type { IntersectionController } from '../control/intersection-controller.js';
import type { LightingSettings } from '../control/lighting-loop.js';
import { HHMM_PATTERN } from '../control/madrid-time.js';
import type { PlanTiming } from '../control/signal-plan.js';
import { part, type ReasonPart } from '../../common/reasons/reason.js';

export interface CheckedPolicy {
  readonly version: number;
  readonly lighting?: LightingSettings;
  /** New timing per intersection id. */
  readonly traffic?: ReadonlyMap<string, PlanTiming>;
  readonly waste?: { readonly collectAtFill: number };
}

const inRange = (v: number, min: number, max: number): boolean => Number.isFinite(v) && v >= min && v <= max;

/** Refused: every problem found, coded (policy.outside, policy.badAt …; English from common/reasons/). */
export type BoundsVerdict = { ok: true; policy: CheckedPolicy } | { ok: false; problems: ReasonPart[] };

/** Every section's values against its limits; traffic timing also against each intersection. */
export function checkPolicyBounds(
  bundle: calle.v1.IPolicyBundle,
  intersections: readonly IntersectionController[],
): BoundsVerdict {
  const problems: ReasonPart[] = [];
  const bad = (field: string, detail: string): void =>
    void problems.push(part('policy.problem', { detail: `${field}: ${detail}` }));
  /** `value` (with its unit) is outside `range`. */
  const outside = (field: string, value: number | string, range: string): void =>
    void problems.push(part('policy.outside', { field, value: String(value), range }));
  const version = Number(bundle.version ?? 0);

  let lighting: LightingSettings | undefined;
  if (bundle.lighting) {
    const l = bundle.lighting;
    const steps = (l.steps ?? []).map((s, i) => {
      const at = s.at ?? '';
      const offsetMin = s.offsetMin ?? 0;
      const levelPct = s.levelPct ?? 0;
      if (at !== 'sunset' && at !== 'sunrise' && !HHMM_PATTERN.test(at)) {
        problems.push(part('policy.badAt', { field: `lighting.steps[${i}].at`, value: JSON.stringify(at) }));
      }
      if (!Number.isInteger(offsetMin) || !inRange(offsetMin, -720, 720)) {
        bad(`lighting.steps[${i}].offset_min`, `${offsetMin} must be an integer within ±720`);
      }
      if (!inRange(levelPct, 0, 100)) outside(`lighting.steps[${i}].level_pct`, levelPct, '0..100');
      return { at, offsetMin, levelPct };
    });
    if (steps.length === 0) problems.push(part('policy.noSteps', { field: 'lighting.steps' }));
    const presenceLevelPct = l.presenceLevelPct ?? 0;
    const presenceHoldS = l.presenceHoldS ?? 0;
    if (!inRange(presenceLevelPct, 0, 100))
      outside('lighting.presence_level_pct', presenceLevelPct, '0..100');
    if (!inRange(presenceHoldS, 0, 3600)) outside('lighting.presence_hold_s', presenceHoldS, '0..3600');
    lighting = { steps, presenceLevelPct, presenceHoldS };
  }

  let traffic: Map<string, PlanTiming> | undefined;
  if (bundle.traffic) {
    const t = {
      cycleS: bundle.traffic.cycleS ?? 0,
      yellowS: bundle.traffic.yellowS ?? 0,
      allRedS: bundle.traffic.allRedS ?? 0,
      minGreenS: bundle.traffic.minGreenS ?? 0,
    };
    const before = problems.length;
    const L = SIGNAL_LIMITS;
    if (!inRange(t.yellowS, L.minYellowS, L.maxYellowS))
      outside('traffic.yellow_s', `${t.yellowS} s`, `${L.minYellowS}..${L.maxYellowS} s`);
    if (!inRange(t.minGreenS, L.minGreenS, 120))
      outside('traffic.min_green_s', `${t.minGreenS} s`, `${L.minGreenS}..120 s`);
    if (!inRange(t.allRedS, 0, L.maxAllRedS))
      outside('traffic.all_red_s', `${t.allRedS} s`, `0..${L.maxAllRedS} s`);
    if (!inRange(t.cycleS, L.minCycleS, L.maxCycleS))
      outside('traffic.cycle_s', `${t.cycleS} s`, `${L.minCycleS}..${L.maxCycleS} s`);
    if (problems.length === before) {
      traffic = new Map();
      for (const x of intersections) {
        const timing = x.retimed(t);
        if (typeof timing === 'string') bad('traffic.cycle_s', `intersection ${x.id}: ${timing}`);
        else traffic.set(x.id, timing);
      }
    }
  }

  let waste: CheckedPolicy['waste'];
  if (bundle.waste) {
    const collectAtFill = bundle.waste.collectAtFill ?? 0;
    if (!(collectAtFill > 0 && collectAtFill <= 1)) outside('waste.collect_at_fill', collectAtFill, '(0, 1]');
    waste = { collectAtFill };
  }

  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    policy: {
      version,
      ...(lighting ? { lighting } : {}),
      ...(traffic ? { traffic } : {}),
      ...(waste ? { waste } : {}),
    },
  };
}
