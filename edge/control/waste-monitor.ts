// Fill level of one container from its ultrasonic sensor: distance → fill %, with the two faults
// real sensors show (REFERENCE §4, Frankfurt glass data): "no echo" readings at the top of the
// range (11.8 % of readings) are dropped, and isolated spikes (1.35 %) are removed by a median of
// the last three accepted readings. The fill rate is a least-squares slope since the last
// emptying — a simple baseline, not the predictor (that belongs to the WASM fill kernels).

/** Readings at or above this are "no echo" (the sensors report 254 cm), never a real distance. */
export const NO_ECHO_CM = 250;
/** A drop of this many fill points between filtered readings is taken as an emptying. */
const EMPTIED_DROP_PCT = 30;
const DAY_MS = 86_400_000;
const RATE_WINDOW = 48;

export type WasteReading =
  | { readonly accepted: false; readonly reason: string }
  | { readonly accepted: true; readonly fillPct: number; readonly emptied: boolean };

export class WasteMonitor {
  readonly #depthCm: number;
  readonly #recent: number[] = [];
  #fillPct: number | undefined;
  /** (time, fill) since the last emptying, for the rate. */
  #history: { t: number; f: number }[] = [];

  constructor(opts: { depthCm: number }) {
    this.#depthCm = opts.depthCm;
  }

  /** Last filtered fill, percent; undefined until the first accepted reading. */
  get fillPct(): number | undefined {
    return this.#fillPct;
  }

  /** Fill rate since the last emptying, percent per day; undefined with fewer than 3 readings. */
  get ratePctPerDay(): number | undefined {
    const h = this.#history;
    if (h.length < 3) return undefined;
    const n = h.length;
    const mt = h.reduce((s, p) => s + p.t, 0) / n;
    const mf = h.reduce((s, p) => s + p.f, 0) / n;
    const sxx = h.reduce((s, p) => s + (p.t - mt) ** 2, 0);
    if (sxx === 0) return undefined;
    const sxy = h.reduce((s, p) => s + (p.t - mt) * (p.f - mf), 0);
    return (sxy / sxx) * DAY_MS;
  }

  add(distanceCm: number, timeMs: number): WasteReading {
    if (!Number.isFinite(distanceCm) || distanceCm < 0)
      return { accepted: false, reason: `invalid distance ${distanceCm}` };
    if (distanceCm >= NO_ECHO_CM) return { accepted: false, reason: `no echo (${distanceCm} cm)` };
    this.#recent.push(Math.min(distanceCm, this.#depthCm));
    if (this.#recent.length > 3) this.#recent.shift();
    const sorted = [...this.#recent].sort((a, b) => a - b);
    const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
    const fill = Math.round(((this.#depthCm - median) / this.#depthCm) * 1000) / 10;
    const emptied = this.#fillPct !== undefined && this.#fillPct - fill >= EMPTIED_DROP_PCT;
    if (emptied) {
      this.#history = [];
      // Readings from before the emptying would hold the median up for two more readings.
      this.#recent.splice(0, this.#recent.length, median);
    }
    this.#fillPct = fill;
    this.#history.push({ t: timeMs, f: fill });
    if (this.#history.length > RATE_WINDOW) this.#history.shift();
    return { accepted: true, fillPct: fill, emptied };
  }
}
