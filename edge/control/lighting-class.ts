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
import type { LightingAdaptiveConfig, LightingClass, LightingPeriodConfig } from '../config/edge-config.js';
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
 * Vehicles counted over a trailing window (the configured period, 15 minutes by default), kept
 * as BUCKETS sub-buckets so that the flow follows the traffic within one bucket (a minute) rather
 * than one whole period. The estimate errs bright, never dim: it counts the buckets of the full
 * window plus the current partial one over the length of the window alone, so a rise shows at once
 * and a fall only once the busy minutes have left the window (the HIL KPI's under-lit minutes
 * came from a fixed-period count that lagged rising traffic by up to a period).
 *
 * A detector lost during a bucket, or a counter that went backwards (replaced device, wrap),
 * taints that bucket: the flow is unknown until it leaves the window, and unknown traffic keeps
 * the design class, never a dimmer one. So does a window not yet observed in full, and a gap of
 * more than a window between calls (the process was stopped: not a measurement of now).
 */
export class TrailingFlow {
  static readonly BUCKETS = 15;
  readonly #windowMs: number;
  readonly #bucketMs: number;
  /** Vehicles per bucket, a ring; index = bucket number modulo BUCKETS + 1 (the partial one too). */
  readonly #counts = new Float64Array(TrailingFlow.BUCKETS + 1);
  readonly #tainted = new Uint8Array(TrailingFlow.BUCKETS + 1);
  /** Bucket number (time / bucketMs) of the current, partial bucket. */
  #bucket: number | undefined;
  /** First bucket observed since the last restart: the window is complete BUCKETS after it. */
  #firstBucket = 0;

  constructor(windowS: number) {
    this.#windowMs = windowS * 1000;
    this.#bucketMs = this.#windowMs / TrailingFlow.BUCKETS;
  }

  /** Flow over the trailing window, veh/h; undefined until a whole window is observed cleanly. */
  get flowVehPerHour(): number | undefined {
    // The first bucket was entered part-way: a complete window is the 15 buckets after it.
    if (this.#bucket === undefined || this.#bucket - this.#firstBucket <= TrailingFlow.BUCKETS)
      return undefined;
    let vehicles = 0;
    for (let i = 0; i < this.#counts.length; i++) {
      if (this.#tainted[i]) return undefined;
      vehicles += this.#counts[i]!;
    }
    return (vehicles * 3_600_000) / this.#windowMs;
  }

  add(vehicles: number): void {
    if (this.#bucket !== undefined) this.#counts[this.#slot(this.#bucket)]! += vehicles;
  }

  /** The current bucket's count cannot be trusted. */
  taint(): void {
    if (this.#bucket !== undefined) this.#tainted[this.#slot(this.#bucket)] = 1;
  }

  /** Moves the window to `nowMs`. The first call starts observing. */
  advance(nowMs: number): void {
    const bucket = Math.floor(nowMs / this.#bucketMs);
    if (
      this.#bucket === undefined ||
      bucket < this.#bucket ||
      nowMs - this.#bucket * this.#bucketMs > 2 * this.#windowMs
    ) {
      this.#counts.fill(0);
      this.#tainted.fill(0);
      this.#bucket = bucket;
      this.#firstBucket = bucket;
      return;
    }
    // Clear every bucket the window slid past (at most the whole ring).
    for (let b = this.#bucket + 1; b <= Math.min(bucket, this.#bucket + this.#counts.length); b++) {
      this.#counts[this.#slot(b)] = 0;
      this.#tainted[this.#slot(b)] = 0;
    }
    this.#bucket = bucket;
  }

  #slot(bucket: number): number {
    return bucket % this.#counts.length;
  }
}

/** Minutes after Madrid midnight of a "HH:MM" (checked by the loader). */
const minuteOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));

/**
 * The weights other than traffic volume in force at Madrid minute-of-day `minute`: a period's
 * where one covers it (from inclusive, to exclusive, wrapping midnight), the group's otherwise.
 * Periods are the CEN/TR 13201-1 "per period" selection: the parameters that describe the road
 * (ambient luminance once shop windows go dark, parked vehicles, composition) change with the
 * time of day; traffic volume is the one measured.
 */
export function otherWeightsAt(
  adaptive: Pick<LightingAdaptiveConfig, 'otherWeights' | 'periods'>,
  minute: number,
): { weights: number; period?: LightingPeriodConfig } {
  for (const p of adaptive.periods ?? []) {
    const [a, b] = [minuteOf(p.from), minuteOf(p.to)];
    if (a < b ? minute >= a && minute < b : minute >= a || minute < b)
      return { weights: p.otherWeights, period: p };
  }
  return { weights: adaptive.otherWeights };
}
