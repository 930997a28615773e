// Manual lighting overrides as leases (TALQ "timed override"): a level held for a group until a
// deadline, then given back to the schedule on its own. A lease, not a switch, because an
// override forgotten by a technician would otherwise hold a street at 0 % or waste energy for
// months; the default lease is 30 minutes, and no lease outlives 24 hours.
import { madridHHMM } from './madrid-time.js';
import { part, type ReasonPart } from '../../common/reasons/reason.js';

export const DEFAULT_OVERRIDE_S = 30 * 60;
export const MAX_OVERRIDE_S = 24 * 3600;

export interface OverrideLease {
  readonly levelPct: number;
  readonly actor: string;
  readonly startMs: number;
  readonly expiresMs: number;
}

export type OverrideResult = { ok: true; expiresMs: number } | { ok: false; reason: string };

/** The problem with an override request, or undefined. Reasons name the argument. */
export function overrideProblem(
  levelPct: number,
  durationS: number | undefined,
  actor: string,
): string | undefined {
  if (!(Number.isFinite(levelPct) && levelPct >= 0 && levelPct <= 100))
    return `levelPct: ${levelPct} is outside 0..100`;
  if (
    durationS !== undefined &&
    !(Number.isFinite(durationS) && durationS > 0 && durationS <= MAX_OVERRIDE_S)
  )
    return `durationS: ${durationS} is outside (0, ${MAX_OVERRIDE_S}] s`;
  if (actor.trim() === '') return 'actor: must name who overrides';
  return undefined;
}

export class LightingOverrides {
  readonly #leases = new Map<string, OverrideLease>();

  /** Grants or replaces a group's lease. The caller has checked the group and the clock. */
  grant(
    groupId: string,
    levelPct: number,
    durationS: number | undefined,
    actor: string,
    nowMs: number,
  ): OverrideResult {
    const problem = overrideProblem(levelPct, durationS, actor);
    if (problem !== undefined) return { ok: false, reason: problem };
    const expiresMs = nowMs + (durationS ?? DEFAULT_OVERRIDE_S) * 1000;
    this.#leases.set(groupId, { levelPct, actor, startMs: nowMs, expiresMs });
    return { ok: true, expiresMs };
  }

  /** Ends a group's lease early; false when it had none. */
  clear(groupId: string): boolean {
    return this.#leases.delete(groupId);
  }

  /**
   * The group's lease in force at `nowMs`, dropping an expired one (reported through `expired`
   * once). A clock that went backwards before the lease started also ends it: its deadline can no
   * longer be trusted.
   */
  active(
    groupId: string,
    nowMs: number,
    expired?: (lease: OverrideLease) => void,
  ): OverrideLease | undefined {
    const lease = this.#leases.get(groupId);
    if (!lease) return undefined;
    if (nowMs >= lease.expiresMs || nowMs < lease.startMs) {
      this.#leases.delete(groupId);
      expired?.(lease);
      return undefined;
    }
    return lease;
  }

  /** Every lease, for the console. */
  list(): ReadonlyMap<string, OverrideLease> {
    return this.#leases;
  }
}

/** "override by ana until 21:30 → 100 %" (Madrid time). */
export const overrideReason = (lease: OverrideLease): ReasonPart =>
  part('light.override', { actor: lease.actor, until: madridHHMM(lease.expiresMs), level: lease.levelPct });
