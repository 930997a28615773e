// The luminaires of one lighting group after the kernel has stepped: the level each is commanded
// to, and what follows from that level — the power it draws (its meter, or the model), its energy
// and burning hours (lighting-energy.ts), and the lamp watch (lamp-monitor.ts). This is the one
// place a device's own limit enters a luminaire's level: a DALI driver cannot hold less than its
// minimum arc power (level 1 is 0.1 % by IEC 62386-102; most LED drivers hold 1 % or more, the
// catalogue's `minLevelPct`), so asked for less it is commanded its minimum, says so, and is
// modelled, metered and judged at the level it really runs at. 0 stays off.
//
// Before, the site clamped after the controller had written the reason and counted the energy:
// the reason said "→ 0.5 %" while the luminaire ran at 1 %, and the lamp monitor judged its power
// against the 0.5 %.
import type { EdgeEvent } from '../telemetry-sink.js';
import { LampMonitor, lampEventCode } from './lamp-monitor.js';
import { GroupEnergy } from './lighting-energy.js';

/** One luminaire as the controller needs it. */
export interface LuminaireSpec {
  readonly id: string;
  /** Rated power, W: models power while no meter reading is available. */
  readonly ratedW: number;
  /** Standby draw when off, W (default 0): part of the model and of the lamp monitor's thresholds. */
  readonly standbyW?: number;
  /** A read point in lx on this device, used as the group's photocell. */
  readonly luxPoint?: string;
  /** The lowest level the device's driver holds, %; absent = any. */
  readonly minLevelPct?: number;
}

/** What the controller reads from the site each tick (no copies: the site's live state). */
export interface LightingReadings {
  available(deviceId: string): boolean;
  /** A number point's current value, or undefined. */
  number(deviceId: string, point: string): number | undefined;
}

/** The level to command, % (one decimal), for the kernel's level and the device's minimum. */
export function driverLevel(kernelPct: number, minPct: number | undefined): number {
  const level = Math.round(kernelPct * 10) / 10;
  if (!(level > 0)) return 0;
  return minPct !== undefined && level < minPct ? minPct : level;
}

/** One tick's context for settle(). */
export interface SettleTick {
  readonly groupId: string;
  readonly nowMs: number;
  readonly dtS: number;
  /** Day: the baseline (full power dusk to dawn) counts standby only. */
  readonly day: boolean;
  /** Constant light output factor in force (1 = none), for the energy it saved. */
  readonly clo: number;
  readonly readings: LightingReadings;
  readonly onLampEvent: ((event: EdgeEvent) => void) | undefined;
}

export class GroupLuminaires {
  readonly specs: readonly LuminaireSpec[];
  readonly energy: GroupEnergy;
  /** Per luminaire: the level commanded at the last settle(). */
  readonly levels: Float64Array;
  /** Per luminaire: 1 while held at its driver's minimum. */
  readonly atMinimum: Uint8Array;
  readonly #lamps: LampMonitor;

  constructor(specs: readonly LuminaireSpec[]) {
    this.specs = specs;
    this.energy = new GroupEnergy(specs.length);
    this.levels = new Float64Array(specs.length);
    this.atMinimum = new Uint8Array(specs.length);
    this.#lamps = new LampMonitor(specs.map((l) => ({ ratedW: l.ratedW, standbyW: l.standbyW ?? 0 })));
  }

  /**
   * Takes the kernel's levels and modelled power (per luminaire), decides each commanded level,
   * and counts power, energy and lamp conditions at it.
   */
  settle(kernel: { readonly levelPct: Float64Array; readonly powerW: Float64Array }, t: SettleTick): void {
    const e = this.energy;
    let powerW = 0;
    let baselineW = 0;
    let modelW = 0;
    for (let i = 0; i < this.specs.length; i++) {
      const l = this.specs[i]!;
      const level = driverLevel(kernel.levelPct[i]!, l.minLevelPct);
      const raised = level > Math.round(kernel.levelPct[i]! * 10) / 10;
      this.levels[i] = level;
      this.atMinimum[i] = raised ? 1 : 0;
      // Held at its minimum, the kernel's power (at the lower level) is not what it draws.
      const activeW = raised ? (l.ratedW * level) / 100 : kernel.powerW[i]!;
      // The luminaire's meter where it reports, the model (active + standby) otherwise.
      const measured = t.readings.available(l.id) ? t.readings.number(l.id, 'power') : undefined;
      const p = measured ?? activeW + (l.standbyW ?? 0);
      powerW += p;
      modelW += activeW;
      baselineW += (t.day ? 0 : l.ratedW) + (l.standbyW ?? 0);
      e.add(i, p, measured !== undefined, level > 0, t.dtS);
      if (t.onLampEvent)
        for (const change of this.#lamps.check(i, level, measured, t.dtS))
          t.onLampEvent({
            deviceId: l.id,
            code: lampEventCode(change.condition),
            severity: 'warning',
            message: `${l.id} (${t.groupId}): ${change.message}`,
            timeMs: t.nowMs,
            active: change.active,
          });
    }
    e.powerW = powerW;
    e.baselineWh += (baselineW * t.dtS) / 3600;
    if (t.clo < 1) e.cloSavedWh += (modelW * (1 / t.clo - 1) * t.dtS) / 3600;
  }
}
