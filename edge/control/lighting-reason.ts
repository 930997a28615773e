// "Why this level": the deciding rule of a lighting group, composed of clauses a technician reads
// left to right — what raised or lowered the level, then what it is a share of:
//   presence: det-n (hold 60 s) → 80 %; class P6 for low traffic (12 veh/h of 600; design P3,
//   weights 1 22:00–07:00) → 26.7 % of constant light: 83.5 % (MF 0.8, output 0.958 at 33600 h)
//   of schedule: sunset+0 → 100 %
// The console reads the clauses back into codes (edge/console/reason-codes.ts); change both.
import type { LightingPeriodConfig } from '../config/edge-config.js';
import { classLabel, classRatio, trafficBandName } from './lighting-class.js';
import type { LightingDecision } from './lighting-loop.js';
import { overrideReason, type OverrideLease } from './lighting-overrides.js';
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

export function lightingReason(r: ReasonInputs): string {
  const ramp = Math.abs(r.levelPct - r.targetPct) > 0.05 ? ` (ramping to ${round1(r.targetPct)} %)` : '';
  if (r.lease) return overrideReason(r.lease) + ramp;
  if (r.sched.failOn || r.sched.day) return r.sched.reason + ramp;
  if (r.dark === 0) return `photocell: light (≥ ${r.offLux} lx) → off; ${r.sched.reason}${ramp}`;
  let base = r.sched.reason;
  if (r.clo && r.clo.factor < 1)
    base =
      `constant light: ${round1(r.clo.factor * 100)} % (MF ${r.clo.maintenanceFactor}, output ` +
      `${(r.clo.lumenFraction ?? 1).toFixed(3)} at ${Math.round(r.clo.hours)} h) of ${base}`;
  const ratio = classRatio(r.series, r.design, r.cls);
  if (r.cls !== r.design) {
    const period = r.period ? `, weights ${r.period.otherWeights} ${r.period.from}–${r.period.to}` : '';
    base =
      `class ${classLabel(r.series, r.cls)} for ${trafficBandName(r.trafficW)} traffic ` +
      `(${Math.round(r.flow ?? 0)} veh/h of ${r.capacity}; design ${classLabel(r.series, r.design)}${period}) ` +
      `→ ${round1(ratio * 100)} % of ${base}`;
  }
  if (r.holdLeftS > 0 && r.boostPct > 0 && r.targetPct === r.boostPct && r.boostPct > r.schedulePct * ratio)
    return `presence: ${r.presenceSource} (hold ${r.holdS} s) → ${round1(r.boostPct)} %; ${base}${ramp}`;
  return base + ramp;
}

export const round1 = (x: number): number => Math.round(x * 10) / 10;
