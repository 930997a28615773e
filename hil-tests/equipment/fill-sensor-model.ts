// An ultrasonic fill sensor over a glass container, with the behaviour of the real ones in the
// Frankfurt data (REFERENCE §4): 11.8 % of readings are the no-echo value 254 cm, 1.35 % are
// isolated spikes, the resolution is 1 cm; glass arrives in bursts at a median 3.5 cm/day and the
// container is emptied about every 9.5 days. The sensor converts time of flight at the speed of
// sound for 20 °C, so it over-reads in the cold and under-reads in the heat: c = 331.3 + 0.606·T
// m/s, about 1.8 mm per °C per metre.
import { exponential, mulberry32, normal } from '../../common/random/seeded-random.js';

export const NO_ECHO_CM = 254;
const NO_ECHO_P = 0.118;
const SPIKE_P = 0.0135;
const CALIBRATION_C = 20;
const HOUR_MS = 3_600_000;

export const speedOfSound = (tempC: number): number => 331.3 + 0.606 * tempC;

export interface FillSensorOptions {
  /** Distance from the sensor to the empty container's floor, cm. */
  depthCm?: number;
  /** This container's mean fill rate, cm/day; default drawn around the 3.5 cm/day median. */
  fillCmPerDay?: number;
  /** Mean days between collections; default 9.5. */
  emptyEveryDays?: number;
  /** Glass deposits per day (each a burst of several bottles); default 4. */
  depositsPerDay?: number;
  seed?: number;
  /** Simulated start time, ms since the epoch. */
  startMs?: number;
}

export interface FillReading {
  readonly timeMs: number;
  readonly distanceCm: number;
  readonly temperatureC: number;
  readonly batteryPct: number;
  /** What is really in the container, for checking a node's estimates. */
  readonly trueWasteCm: number;
  readonly kind: 'normal' | 'no-echo' | 'spike';
}

export class FillSensorModel {
  readonly depthCm: number;
  readonly #rand: () => number;
  readonly #ratePerDay: number;
  readonly #emptyEveryDays: number;
  readonly #depositsPerDay: number;
  #timeMs: number;
  #wasteCm: number;
  #batteryPct = 100;
  #emptied = 0;

  constructor(opts: FillSensorOptions = {}) {
    this.#rand = mulberry32(opts.seed ?? 1);
    this.depthCm = opts.depthCm ?? 150;
    // Containers differ: log-normal around the median rate.
    this.#ratePerDay = opts.fillCmPerDay ?? 3.5 * Math.exp(0.4 * normal(this.#rand));
    this.#emptyEveryDays = opts.emptyEveryDays ?? 9.5;
    this.#depositsPerDay = opts.depositsPerDay ?? 4;
    this.#timeMs = opts.startMs ?? Date.UTC(2024, 0, 15);
    this.#wasteCm = this.#rand() * 0.3 * this.depthCm;
  }

  get timeMs(): number {
    return this.#timeMs;
  }

  get emptyings(): number {
    return this.#emptied;
  }

  /** Empties the container now (a collection). */
  empty(): void {
    // A collection leaves a little broken glass behind.
    this.#wasteCm = this.#rand() * 3;
    this.#emptied++;
  }

  /** Advances the simulation by `hours` and takes one reading. */
  step(hours: number): FillReading {
    const days = hours / 24;
    // Bursty filling: Poisson deposits, each an exponential amount with the right daily mean.
    let t = exponential(this.#rand, 1 / this.#depositsPerDay);
    while (t < days) {
      this.#wasteCm += exponential(this.#rand, this.#ratePerDay / this.#depositsPerDay);
      t += exponential(this.#rand, 1 / this.#depositsPerDay);
    }
    // Collections: a Poisson process, more likely when the container is full (crews are called).
    const fullness = this.#wasteCm / this.depthCm;
    const rate = (1 / this.#emptyEveryDays) * (fullness > 0.9 ? 4 : 1);
    if (this.#rand() < 1 - Math.exp(-rate * days)) this.empty();
    this.#wasteCm = Math.min(this.#wasteCm, this.depthCm);
    this.#timeMs += hours * HOUR_MS;
    // LoRaWAN sensors lose about a percent a month at hourly reporting.
    this.#batteryPct = Math.max(0, this.#batteryPct - days / 30);
    return this.#read();
  }

  #read(): FillReading {
    const temperatureC = this.#temperature();
    const base = {
      timeMs: this.#timeMs,
      temperatureC,
      batteryPct: Math.round(this.#batteryPct),
      trueWasteCm: this.#wasteCm,
    };
    const r = this.#rand();
    if (r < NO_ECHO_P) return { ...base, distanceCm: NO_ECHO_CM, kind: 'no-echo' };
    if (r < NO_ECHO_P + SPIKE_P)
      return { ...base, distanceCm: Math.round(this.#rand() * this.depthCm), kind: 'spike' };
    const trueCm = this.depthCm - this.#wasteCm;
    const measured = (trueCm * speedOfSound(CALIBRATION_C)) / speedOfSound(temperatureC);
    return { ...base, distanceCm: Math.max(0, Math.min(255, Math.round(measured))), kind: 'normal' };
  }

  /** Air in a closed container in Madrid in winter: a daily swing around 9 °C, peak mid-afternoon. */
  #temperature(): number {
    const hour = (this.#timeMs / HOUR_MS) % 24;
    const c = 9 + 7 * Math.sin((2 * Math.PI * (hour - 9)) / 24) + normal(this.#rand);
    return Math.round(Math.max(-40, Math.min(85, c)));
  }
}

/** The sensor's 4-byte payload on FPort 2, as lorawan-ultrasonic-fill's layout reads it. */
export function encodeFillPayload(
  r: Pick<FillReading, 'distanceCm' | 'temperatureC' | 'batteryPct'>,
): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(r.distanceCm, 0);
  b.writeInt8(r.temperatureC, 2);
  b.writeUInt8(r.batteryPct, 3);
  return b;
}
