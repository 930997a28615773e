// Alarms of one container beyond its fill: fire and tilt. A container fire shows first as the air
// under the lid heating: either a temperature no weather gives (a dark lid in the summer sun stays
// well under 60 °C inside), or a rise faster than the sun can cause. These are the two rules of
// heat detectors (EN 54-5: fixed temperature, and the "R" classes' rate of rise). The thresholds
// are conservative defaults, not calibrated on data: the shared data set has no fire.

const HOUR_MS = 3_600_000;

export interface FireRule {
  /** Raised at or above this temperature, °C. */
  readonly maxC: number;
  /** Raised when the temperature rose more than this within `windowMs`, °C. */
  readonly riseC: number;
  readonly windowMs: number;
  /** Cleared when at or below this and the rise within the window is under half of `riseC`. */
  readonly clearC: number;
}

export const DEFAULT_FIRE_RULE: FireRule = { maxC: 60, riseC: 20, windowMs: HOUR_MS, clearC: 45 };

/** What an update did to an alarm: nothing, raised it or cleared it. */
export type AlarmChange = 'raised' | 'cleared' | undefined;

export class FireWatch {
  readonly #rule: FireRule;
  /** Readings within the window, oldest first. */
  readonly #recent: { t: number; c: number }[] = [];
  #active = false;

  constructor(rule: FireRule = DEFAULT_FIRE_RULE) {
    this.#rule = rule;
  }

  get active(): boolean {
    return this.#active;
  }

  /** The rise within the window that the last update saw, °C (0 with one reading). */
  #rise(tempC: number, timeMs: number): number {
    const r = this.#recent;
    while (r.length > 0 && r[0]!.t < timeMs - this.#rule.windowMs) r.shift();
    const min = r.reduce((m, p) => Math.min(m, p.c), tempC);
    r.push({ t: timeMs, c: tempC });
    return tempC - min;
  }

  /** One temperature reading; non-finite readings are ignored. Returns the change and why. */
  update(tempC: number, timeMs: number): { change: AlarmChange; reason: string } {
    if (!Number.isFinite(tempC)) return { change: undefined, reason: '' };
    const rise = this.#rise(tempC, timeMs);
    const rule = this.#rule;
    const hot = tempC >= rule.maxC;
    const rising = rise > rule.riseC;
    const reason = hot
      ? `${tempC} °C ≥ ${rule.maxC} °C`
      : rising
        ? `rose ${Math.round(rise * 10) / 10} °C within ${rule.windowMs / 60_000} min`
        : `${tempC} °C`;
    if (!this.#active && (hot || rising)) {
      this.#active = true;
      return { change: 'raised', reason };
    }
    if (this.#active && tempC <= rule.clearC && rise < rule.riseC / 2) {
      this.#active = false;
      return { change: 'cleared', reason };
    }
    return { change: undefined, reason };
  }
}

/** Tilt from the device's `tilt` point: degrees from upright, or a boolean / 'tilted' flag. */
export class TiltWatch {
  readonly #raiseDeg: number;
  readonly #clearDeg: number;
  #active = false;

  /** A container lying over or lifted by the collection crane reads tens of degrees. */
  constructor(raiseDeg = 45, clearDeg = 30) {
    this.#raiseDeg = raiseDeg;
    this.#clearDeg = clearDeg;
  }

  get active(): boolean {
    return this.#active;
  }

  update(value: number | boolean | string): AlarmChange {
    const tilted =
      typeof value === 'number'
        ? this.#active
          ? Math.abs(value) > this.#clearDeg
          : Math.abs(value) >= this.#raiseDeg
        : value === true || value === 'tilted';
    if (tilted === this.#active) return undefined;
    this.#active = tilted;
    return tilted ? 'raised' : 'cleared';
  }
}
