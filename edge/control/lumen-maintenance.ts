// Constant light output (CLO): an LED's flux falls with burning hours, so a design carries a
// maintenance factor MF (CIE 154:2003, MF = LLMF × LSF × LMF) and a new installation gives
// 1 / MF times the light the class needs. CLO dims it to what the design needs and raises the
// level as the luminaire ages:
//   level factor = MF / (LLMF(hours) × LMF), at most 1,
// with LLMF the datasheet's lumen maintenance curve (L90 at 100 000 h and the like, as data)
// and LMF the dirt left at the end of the cleaning interval — dirt is not measured here, so the
// factor assumes the lantern is as dirty as the design allowed (errs bright).
//
// Burning hours are not counted across the luminaire's life (the node may be younger than the
// luminaire); they are taken as every dusk-to-dawn hour since installation by the astronomical
// clock (NOAA, wasm/solar.ts). A street light burns at most that, and dimmed LEDs age slower,
// so the estimate over-states depreciation: the level errs bright, never dark.
// Beyond the curve's last point the output is unknown and the factor is 1 (full design level).
import type { LightingMaintenanceConfig } from '../config/edge-config.js';
import { sunTimes } from '../../wasm/solar.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** LLMF at `hours` by linear interpolation (from 1 at 0 h); undefined beyond the last point. */
export function lumenFraction(
  curve: readonly { readonly hours: number; readonly fraction: number }[],
  hours: number,
): number | undefined {
  let prev = { hours: 0, fraction: 1 };
  for (const pt of curve) {
    if (hours <= pt.hours) {
      if (pt.hours === prev.hours) return pt.fraction;
      const f = (hours - prev.hours) / (pt.hours - prev.hours);
      return prev.fraction + f * (pt.fraction - prev.fraction);
    }
    prev = pt;
  }
  return undefined;
}

/** The CLO state of a group at one moment, for the level and for its reason. */
export interface CloState {
  /** The level factor, (0, 1]: 1 = no CLO dimming. */
  readonly factor: number;
  /** Estimated burning hours since installation. */
  readonly hours: number;
  /** LLMF at those hours, or undefined beyond the curve. */
  readonly lumenFraction: number | undefined;
  /** The design's MF. */
  readonly maintenanceFactor: number;
}

/** CLO level factor for a group's maintenance data at `hours` of burning. */
export function cloState(m: LightingMaintenanceConfig, hours: number): CloState {
  const llmf = lumenFraction(m.lumenMaintenance, hours);
  const factor = llmf === undefined ? 1 : Math.min(1, m.factor / (llmf * m.dirtFactor));
  return { factor, hours, lumenFraction: llmf, maintenanceFactor: m.factor };
}

/** The installation instant: midnight UTC of the (checked) `installed` date. */
export const installedMs = (m: LightingMaintenanceConfig): number => Date.parse(`${m.installed}T00:00:00Z`);

/** A group's constant light output over time: burning hours counted on from the last call. */
export class CloTracker {
  readonly #m: LightingMaintenanceConfig;
  readonly #nights: NightHours;
  readonly #installedMs: number;
  #at: { ms: number; hours: number } | undefined;

  constructor(m: LightingMaintenanceConfig, nights: NightHours) {
    this.#m = m;
    this.#nights = nights;
    this.#installedMs = installedMs(m);
  }

  /** The CLO state at `nowMs`; a clock that went back recounts from installation. */
  at(nowMs: number): CloState {
    const last = this.#at;
    const hours =
      last && nowMs >= last.ms
        ? last.hours + this.#nights.between(Math.max(last.ms, this.#installedMs), nowMs)
        : this.#nights.between(this.#installedMs, nowMs);
    this.#at = { ms: nowMs, hours };
    return cloState(this.#m, hours);
  }
}

/**
 * Dusk-to-dawn hours between two instants at a place, by the astronomical clock: the burning
 * hours of a luminaire switched on at sunset and off at sunrise. Cumulative sums per UTC day are
 * kept, so a controller asking once a minute pays for each day once.
 */
export class NightHours {
  readonly #lat: number;
  readonly #lon: number;
  /** Each night (sunset of UTC day n to the next sunrise), by n; a few thousand over a life. */
  readonly #nights = new Map<number, { startMs: number; endMs: number }>();

  constructor(latitude: number, longitude: number) {
    this.#lat = latitude;
    this.#lon = longitude;
  }

  /** Hours of night between `fromMs` and `toMs` (0 when to ≤ from). */
  between(fromMs: number, toMs: number): number {
    if (!(toMs > fromMs)) return 0;
    let hours = 0;
    // Night n runs from day n's sunset to day n+1's sunrise; the night before `fromMs`'s day
    // may still be running at `fromMs`.
    for (let n = Math.floor(fromMs / DAY_MS) - 1; n <= Math.floor(toMs / DAY_MS); n++) {
      const { startMs, endMs } = this.#night(n);
      if (startMs >= fromMs && endMs <= toMs) hours += (endMs - startMs) / HOUR_MS;
      else hours += Math.max(0, Math.min(endMs, toMs) - Math.max(startMs, fromMs)) / HOUR_MS;
    }
    return hours;
  }

  /** Night n; where the sun does not set or rise (polar), 12 h from 18:00 UTC, a plain guess. */
  #night(n: number): { startMs: number; endMs: number } {
    let night = this.#nights.get(n);
    if (!night) {
      const sunsetMs = sunTimes(this.#lat, this.#lon, n * DAY_MS).sunsetMs;
      const sunriseMs = sunTimes(this.#lat, this.#lon, (n + 1) * DAY_MS).sunriseMs;
      night =
        Number.isFinite(sunsetMs) && Number.isFinite(sunriseMs) && sunriseMs > sunsetMs
          ? { startMs: sunsetMs, endMs: sunriseMs }
          : { startMs: n * DAY_MS + 18 * HOUR_MS, endMs: n * DAY_MS + 30 * HOUR_MS };
      this.#nights.set(n, night);
    }
    return night;
  }
}
