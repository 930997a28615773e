// Lighting classes for adaptive lighting (CEN/TR 13201-1): which EN 13201-2 class a road needs
// now, from the sum of its weighting values, one of which — traffic volume — is measured here.
//
// CEN/TR 13201-1: class number = 6 − Σ weighting values (speed, traffic volume, composition,
// separation, junction density, parked vehicles, ambient luminance, navigational task). All but
// traffic volume describe the road and change with the period at most; the site configuration
// carries their sum (`otherWeights`). Traffic volume is weighted from the measured flow as a
// fraction of the road's capacity, in three bands: high +1, moderate 0, low −1. The band limits
// are configurable because they depend on the road type and the edition of the report; the
// defaults (45 % and 15 % of capacity) are those given for ordinary two-lane roads — motorways use
// 65 % and 35 %. The kernel (wasm/lighting.ts) takes a fractional sum to the brighter class and
// never runs below the design class.
import type { LightingClass } from '../config/edge-config.js';
import { M_LUMINANCE, P_ILLUMINANCE } from '../../wasm/lighting.js';

/** The kernel's view of a configured class: its series and number (C classes run as design only). */
export interface ClassSpec {
  readonly series: 'M' | 'P';
  /** 1..6; a C class maps to its number clamped into 1..6 and is never adapted. */
  readonly number: number;
  /** False for C classes: the kernel's tables are M and P only. */
  readonly adaptable: boolean;
}

export function classSpec(cls: LightingClass): ClassSpec {
  const n = Number(cls.slice(1));
  if (cls[0] === 'C') return { series: 'M', number: Math.min(6, Math.max(1, n)), adaptable: false };
  return { series: cls[0] as 'M' | 'P', number: n, adaptable: true };
}

/** "M4" for series M, class 4. */
export const classLabel = (series: 'M' | 'P', n: number): string => `${series}${n}`;

/** Level of class `n` relative to the design class, from EN 13201-2 (M3→M5: 0.5). */
export function classRatio(series: 'M' | 'P', design: number, n: number): number {
  const table = series === 'P' ? P_ILLUMINANCE : M_LUMINANCE;
  return table[n - 1]! / table[design - 1]!;
}

export interface TrafficBands {
  /** Flow at or above this fraction of capacity weighs +1 (high). */
  readonly high: number;
  /** Flow below this fraction weighs −1 (low); between the two, 0 (moderate). */
  readonly low: number;
}

export const DEFAULT_TRAFFIC_BANDS: TrafficBands = { high: 0.45, low: 0.15 };

/** The CEN/TR 13201-1 traffic-volume weighting value for a measured flow. */
export function trafficWeight(
  flowVehPerHour: number,
  capacityVehPerHour: number,
  bands: TrafficBands,
): number {
  const share = flowVehPerHour / capacityVehPerHour;
  return share >= bands.high ? 1 : share < bands.low ? -1 : 0;
}

export const trafficBandName = (w: number): string => (w > 0 ? 'high' : w < 0 ? 'low' : 'moderate');

/**
 * Vehicles counted over fixed periods, giving the flow of the last complete period. A detector
 * lost during a period, or a counter that went backwards (replaced device, wrap), makes that
 * period's flow unknown: unknown traffic keeps the design class, never a dimmer one.
 */
export class PeriodFlow {
  readonly #periodMs: number;
  #periodStartMs: number | undefined;
  #vehicles = 0;
  #tainted = false;
  #flow: number | undefined;

  constructor(periodS: number) {
    this.#periodMs = periodS * 1000;
  }

  /** Flow of the last complete period, veh/h; undefined until one completes cleanly. */
  get flowVehPerHour(): number | undefined {
    return this.#flow;
  }

  add(vehicles: number): void {
    this.#vehicles += vehicles;
  }

  /** This period's count cannot be trusted. */
  taint(): void {
    this.#tainted = true;
  }

  /** Closes the period when due. The first period starts at the first call. */
  advance(nowMs: number): void {
    if (this.#periodStartMs === undefined || nowMs < this.#periodStartMs) {
      this.#restart(nowMs);
      return;
    }
    const elapsed = nowMs - this.#periodStartMs;
    if (elapsed < this.#periodMs) return;
    // A period much longer than planned (the process was stopped) is not a measurement of now.
    this.#flow =
      this.#tainted || elapsed > 2 * this.#periodMs ? undefined : (this.#vehicles * 3_600_000) / elapsed;
    this.#restart(nowMs);
  }

  #restart(nowMs: number): void {
    this.#periodStartMs = nowMs;
    this.#vehicles = 0;
    this.#tainted = false;
  }
}
