// Lamp failure and day-burner detection from a luminaire's measured power against the level it
// was commanded — what a central management system (TALQ's lamp monitor, D4i diagnostics) flags
// from a metered node: a lit command drawing next to nothing is a failed lamp or driver; an off
// command drawing power is a day burner (a stuck relay, a driver ignoring DALI, a bypassed
// photocell), which wastes a night's energy every day.
//
// Thresholds, and why:
//   - failed: commanded ≥ 5 % and drawing less than standby + a quarter of the modelled active
//     power. LED drivers at low levels draw more than the proportional model, not less, so a
//     working luminaire stays well above a quarter; 5 % keeps the lowest DALI levels (where a
//     meter's resolution is of the order of the draw) out of it.
//   - day burner: commanded 0 % and drawing more than standby + max(2 W, 5 % of rated).
//   - either must hold for CONFIRM_S of measured ticks in a row with the command unchanged, so a
//     fade, a meter that updates every few seconds or a driver that answers late raises nothing.
// No meter reading, no judgement: a luminaire without a power reading is neither failed nor fine.

export const LAMP_EVENTS = { lampFailure: 'LAMP_FAILURE', dayBurner: 'DAY_BURNER' } as const;
export type LampCondition = 'failed' | 'day-burner';

/** Seconds a condition must hold before it is raised, and be gone before it clears. */
export const CONFIRM_S = 120;
const MIN_LIT_PCT = 5;
const FAILED_SHARE = 0.25;
const DAY_BURN_MIN_W = 2;
const DAY_BURN_SHARE = 0.05;

export interface LampSpec {
  readonly ratedW: number;
  readonly standbyW: number;
}

/** A change to report: raised (active) or cleared. */
export interface LampChange {
  readonly index: number;
  readonly condition: LampCondition;
  readonly active: boolean;
  readonly message: string;
}

/** The monitor of one group's luminaires. */
export class LampMonitor {
  readonly #specs: readonly LampSpec[];
  /** Per luminaire: the condition seen now (undefined = normal) and for how long. */
  readonly #seen: (LampCondition | undefined)[];
  readonly #seenS: Float64Array;
  readonly #raised: (LampCondition | undefined)[];
  readonly #lastLevel: Float64Array;

  constructor(specs: readonly LampSpec[]) {
    this.#specs = specs;
    this.#seen = specs.map(() => undefined);
    this.#seenS = new Float64Array(specs.length);
    this.#raised = specs.map(() => undefined);
    this.#lastLevel = new Float64Array(specs.length).fill(Number.NaN);
  }

  /** The condition raised for luminaire `i` now, if any. */
  raised(i: number): LampCondition | undefined {
    return this.#raised[i];
  }

  /**
   * One tick of luminaire `i`: the level commanded (after ramp) and the power measured, or
   * undefined without a reading. Returns what changed.
   */
  check(i: number, levelPct: number, measuredW: number | undefined, dtS: number): LampChange[] {
    const steady = this.#lastLevel[i] === levelPct;
    this.#lastLevel[i] = levelPct;
    if (measuredW === undefined || !steady) {
      // Nothing can be judged: start the confirmation again from the next steady reading.
      this.#seenS[i] = 0;
      return [];
    }
    const now = this.#judge(this.#specs[i]!, levelPct, measuredW);
    if (now !== this.#seen[i]) {
      this.#seen[i] = now;
      this.#seenS[i] = 0;
    }
    this.#seenS[i]! += dtS;
    const raised = this.#raised[i];
    if (now === raised || this.#seenS[i]! < CONFIRM_S) return [];
    const out: LampChange[] = [];
    if (raised !== undefined)
      out.push({ index: i, condition: raised, active: false, message: `${describe(raised)} cleared` });
    if (now !== undefined)
      out.push({
        index: i,
        condition: now,
        active: true,
        message: `${describe(now)}: ${measuredW} W at ${levelPct} % commanded (rated ${this.#specs[i]!.ratedW} W)`,
      });
    this.#raised[i] = now;
    return out;
  }

  #judge(s: LampSpec, levelPct: number, measuredW: number): LampCondition | undefined {
    if (levelPct >= MIN_LIT_PCT) {
      const active = (s.ratedW * levelPct) / 100;
      return measuredW < s.standbyW + FAILED_SHARE * active ? 'failed' : undefined;
    }
    if (levelPct === 0)
      return measuredW > s.standbyW + Math.max(DAY_BURN_MIN_W, DAY_BURN_SHARE * s.ratedW)
        ? 'day-burner'
        : undefined;
    return undefined;
  }
}

const describe = (c: LampCondition): string =>
  c === 'failed' ? 'lamp failure (no light drawn)' : 'day burner (lit while commanded off)';

/** The event code of a condition. */
export const lampEventCode = (c: LampCondition): string =>
  c === 'failed' ? LAMP_EVENTS.lampFailure : LAMP_EVENTS.dayBurner;
