// "Why this level": the deciding rule of a lighting group, composed of clauses a technician reads
// left to right — what raised or lowered the level, then what it is a share of:
//   presence: det-n (hold 60 s) → 80 %; class P6 for low traffic (12 veh/h of 600; design P3,
//   weights 1 22:00–07:00) → 26.7 % of constant light: 83.5 % (MF 0.8, output 0.958 at 33600 h)
//   of schedule: sunset+0 → 100 %
// Each clause is a coded part (common/reasons/reason-catalogue.ts holds its English).
import type { LightingPeriodConfig } from '../config/edge-config.js';
import { classLabel, classRatio, trafficBandName } from './lighting-class.js';
import type { LightingDecision } from './lighting-loop.js';
import { overrideReason, type OverrideLease } from './lighting-overrides.js';
import { part, type Reason, type ReasonPart } from '../../common/reasons/reason.js';
import type { CloState } from './lumen-maintenance.js';

/** What the reason is built from: the group's decision inputs and the kernel's outputs. */
export interface ReasonInputs {
  readonly series: 'M' | 'P';
  readonly design: number;
  /** Class in force now (kernel output). */
  readonly cls: number;
  readonly sched: LightingDecision;
  readonly lease: OverrideLease | undefined;
  readonly capacity: number | undefined;
  readonly flow: number | undefined;
  readonly trafficW: number;
  readonly period: LightingPeriodConfig | undefined;
  readonly clo: CloState | undefined;
  readonly offLux: number;
  /** Kernel outputs of the group's first luminaire. */
  readonly targetPct: number;
  readonly levelPct: number;
  readonly dark: number;
  readonly boostPct: number;
  readonly holdLeftS: number;
  readonly holdS: number;
  /** The schedule level after constant light output, as given to the kernel. */
  readonly schedulePct: number;
  readonly presenceSource: string;
}

/** The group's reason as coded parts, left to right; the controller renders the English. */
export function lightingReason(r: ReasonInputs): Reason {
  const ramp =
    Math.abs(r.levelPct - r.targetPct) > 0.05 ? [part('light.ramp', { level: round1(r.targetPct) })] : [];
  if (r.lease) return [overrideReason(r.lease), ...ramp];
  if (r.sched.failOn || r.sched.day) return [r.sched.reasonCode, ...ramp];
  if (r.dark === 0) return [part('light.photocell', { lux: r.offLux }), r.sched.reasonCode, ...ramp];
  let base: ReasonPart[] = [r.sched.reasonCode];
  if (r.clo && r.clo.factor < 1)
    base = [
      part('light.clo', {
        pct: round1(r.clo.factor * 100),
        mf: r.clo.maintenanceFactor,
        output: r.clo.lumenFraction ?? 1,
        hours: Math.round(r.clo.hours),
      }),
      ...base,
    ];
  const ratio = classRatio(r.series, r.design, r.cls);
  if (r.cls !== r.design) {
    const common = {
      label: classLabel(r.series, r.cls),
      band: trafficBandName(r.trafficW),
      flow: Math.round(r.flow ?? 0),
      capacity: r.capacity ?? 0,
      design: classLabel(r.series, r.design),
    };
    const cls = r.period
      ? part('light.classPeriod', {
          ...common,
          weights: r.period.otherWeights,
          from: r.period.from,
          to: r.period.to,
          pct: round1(ratio * 100),
        })
      : part('light.class', { ...common, pct: round1(ratio * 100) });
    base = [cls, ...base];
  }
  if (r.holdLeftS > 0 && r.boostPct > 0 && r.targetPct === r.boostPct && r.boostPct > r.schedulePct * ratio)
    return [
      part('light.presence', { detector: r.presenceSource, hold: r.holdS, level: round1(r.boostPct) }),
      ...base,
      ...ramp,
    ];
  return [...base, ...ramp];
}

export const round1 = (x: number): number => Math.round(x * 10) / 10;
