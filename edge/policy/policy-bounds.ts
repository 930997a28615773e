// Checks a policy bundle's bounds before anything is applied: all of it or none of it. Reasons
// name the proto field ("traffic.yellow_s") so the coordinator's operator can find it. The version
// is not judged here: that is policy-version.ts's, once, before the bounds.
import type { calle } from '../../proto/index.js';
import { SIGNAL_LIMITS } from '../config/edge-config.js';
import type { IntersectionController } from '../control/intersection-controller.js';
import type { LightingSettings } from '../control/lighting-loop.js';
import { HHMM_PATTERN } from '../control/madrid-time.js';
import type { PlanTiming } from '../control/signal-plan.js';

export interface CheckedPolicy {
  readonly version: number;
  readonly lighting?: LightingSettings;
  /** New timing per intersection id. */
  readonly traffic?: ReadonlyMap<string, PlanTiming>;
  readonly waste?: { readonly collectAtFill: number };
}

const inRange = (v: number, min: number, max: number): boolean => Number.isFinite(v) && v >= min && v <= max;

export type BoundsVerdict = { ok: true; policy: CheckedPolicy } | { ok: false; problems: string[] };

/** Every section's values against its limits; traffic timing also against each intersection. */
export function checkPolicyBounds(
  bundle: calle.v1.IPolicyBundle,
  intersections: readonly IntersectionController[],
): BoundsVerdict {
  const problems: string[] = [];
  const bad = (field: string, reason: string): void => void problems.push(`${field}: ${reason}`);
  const version = Number(bundle.version ?? 0);

  let lighting: LightingSettings | undefined;
  if (bundle.lighting) {
    const l = bundle.lighting;
    const steps = (l.steps ?? []).map((s, i) => {
      const at = s.at ?? '';
      const offsetMin = s.offsetMin ?? 0;
      const levelPct = s.levelPct ?? 0;
      if (at !== 'sunset' && at !== 'sunrise' && !HHMM_PATTERN.test(at)) {
        bad(`lighting.steps[${i}].at`, `${JSON.stringify(at)} must be "sunset", "sunrise" or "HH:MM"`);
      }
      if (!Number.isInteger(offsetMin) || !inRange(offsetMin, -720, 720)) {
        bad(`lighting.steps[${i}].offset_min`, `${offsetMin} must be an integer within ±720`);
      }
      if (!inRange(levelPct, 0, 100)) bad(`lighting.steps[${i}].level_pct`, `${levelPct} is outside 0..100`);
      return { at, offsetMin, levelPct };
    });
    if (steps.length === 0) bad('lighting.steps', 'needs at least one step');
    const presenceLevelPct = l.presenceLevelPct ?? 0;
    const presenceHoldS = l.presenceHoldS ?? 0;
    if (!inRange(presenceLevelPct, 0, 100))
      bad('lighting.presence_level_pct', `${presenceLevelPct} is outside 0..100`);
    if (!inRange(presenceHoldS, 0, 3600))
      bad('lighting.presence_hold_s', `${presenceHoldS} is outside 0..3600`);
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
    if (!inRange(t.yellowS, SIGNAL_LIMITS.minYellowS, SIGNAL_LIMITS.maxYellowS)) {
      bad(
        'traffic.yellow_s',
        `${t.yellowS} s is outside ${SIGNAL_LIMITS.minYellowS}..${SIGNAL_LIMITS.maxYellowS} s`,
      );
    }
    if (!inRange(t.minGreenS, SIGNAL_LIMITS.minGreenS, 120)) {
      bad('traffic.min_green_s', `${t.minGreenS} s is outside ${SIGNAL_LIMITS.minGreenS}..120 s`);
    }
    if (!inRange(t.allRedS, 0, SIGNAL_LIMITS.maxAllRedS)) {
      bad('traffic.all_red_s', `${t.allRedS} s is outside 0..${SIGNAL_LIMITS.maxAllRedS} s`);
    }
    if (!inRange(t.cycleS, SIGNAL_LIMITS.minCycleS, SIGNAL_LIMITS.maxCycleS)) {
      bad(
        'traffic.cycle_s',
        `${t.cycleS} s is outside ${SIGNAL_LIMITS.minCycleS}..${SIGNAL_LIMITS.maxCycleS} s`,
      );
    }
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
    if (!(collectAtFill > 0 && collectAtFill <= 1))
      bad('waste.collect_at_fill', `${collectAtFill} is outside (0, 1]`);
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
