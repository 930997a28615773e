// Energy a lighting group can bill: per luminaire, watt-hours from its meter where it reports
// power (D4i, IEC 62386-252, or a cabinet meter channel) and from the model (level × rated power
// on the DALI curve, plus standby) where it does not, kept apart so a report can say which; the
// hours each luminaire burned; and the baseline the savings are measured against — the same
// luminaires at 100 % from sunset to sunrise (the node's built-in schedule), modelled.
//
// The counters run from the controller's start; the energy ledger (edge/energy/energy-ledger.ts)
// stores differences, so a restart loses at most the period in progress.

import type { Reason } from '../../common/reasons/reason.js';

/** One group's counters; luminaire arrays are in the group's order. */
export class GroupEnergy {
  /** Total Wh per luminaire (metered + modelled). */
  readonly wh: Float64Array;
  /** The metered part of wh. */
  readonly meteredWh: Float64Array;
  /** Seconds each luminaire was commanded above 0 %. */
  readonly burningS: Float64Array;
  /** Full power dusk to dawn plus standby, Wh (modelled). */
  baselineWh = 0;
  /** Wh that constant light output kept from being drawn (modelled: power × (1/factor − 1)). */
  cloSavedWh = 0;
  /** The group's power at the last tick, W. */
  powerW = 0;

  constructor(luminaires: number) {
    this.wh = new Float64Array(luminaires);
    this.meteredWh = new Float64Array(luminaires);
    this.burningS = new Float64Array(luminaires);
  }

  /** Adds `dtS` seconds of luminaire `i` at `powerW` (metered or not), lit or not. */
  add(i: number, powerW: number, metered: boolean, lit: boolean, dtS: number): void {
    const wh = (powerW * dtS) / 3600;
    this.wh[i]! += wh;
    if (metered) this.meteredWh[i]! += wh;
    if (lit) this.burningS[i]! += dtS;
  }

  get totalWh(): number {
    return sum(this.wh);
  }

  get totalMeteredWh(): number {
    return sum(this.meteredWh);
  }
}

/** What the console, telemetry and the ledger read for one luminaire. */
export interface LuminaireEnergy {
  readonly id: string;
  readonly group: string;
  readonly energyWh: number;
  readonly meteredWh: number;
  readonly burningH: number;
}

/** One group's state (EdgeSite.lightingGroups, the console, telemetry). */
export interface LightingGroupState {
  readonly id: string;
  /** The deciding rule in English (the API's `reason`), rendered from reasonCode. */
  readonly reason: string;
  readonly reasonCode: Reason;
  readonly lightingClass: string;
  readonly powerW: number;
  /** Since the controller started, metered where luminaires report power, modelled otherwise. */
  readonly energyWh: number;
  /** The metered part of energyWh. */
  readonly meteredWh: number;
  /** The same luminaires at 100 % from sunset to sunrise, plus standby (modelled). */
  readonly baselineWh: number;
  /** Energy constant light output saved (modelled). */
  readonly cloSavedWh: number;
  /** Constant light output level now, % of the design level (100 = none). */
  readonly cloPct: number;
  /** Burning hours since start of the group's longest-burning luminaire. */
  readonly burningH: number;
}

const sum = (a: Float64Array): number => a.reduce((t, x) => t + x, 0);
