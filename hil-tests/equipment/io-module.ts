// A digital I/O module in a signal cabinet, as the Modbus map in edge/devices/protocol-pieces.ts
// describes it: per head, 4 coils (red, amber, green, flash-amber mode) with lamp-current sensing
// on 3 input registers and a lamp-out flag on a discrete input; per loop detector, a 32-bit pulse
// counter, the occupancy of the last second and the present/absent input.
import { RegisterBank } from './modbus-server.js';
import { mulberry32 } from '../../common/random/seeded-random.js';

export type Lamp = 'red' | 'yellow' | 'green';
const LAMPS: readonly Lamp[] = ['red', 'yellow', 'green'];

/**
 * Currents of 230 V LED signal lamps, mA: 8–15 W modules draw roughly 40–65 mA. An off output
 * still shows a little leakage through its triac snubber; a failed lamp draws next to nothing.
 */
const NOMINAL_MA: Record<Lamp, number> = { red: 60, yellow: 55, green: 50 };
const LEAKAGE_MA = 1;
/** Below this a commanded lamp is out (monitors compare against a fraction of nominal). */
export const LAMP_OUT_BELOW_MA = 20;
/** A car over a loop: ≈ 6 m car + 2 m loop at 50 km/h ≈ 0.6 s. */
const OCCUPY_MS = 600;
/** Flash-amber period of the module's own flasher: about 1 Hz, 50 % duty, as signal flashers run. */
const FLASH_PERIOD_MS = 1000;

/** Register layout; the same numbers as ioModuleHeadRegisters / ioModuleDetectorRegisters. */
export const IO_LAYOUT = { detectorInputBase: 100, detectorDiscreteBase: 100, maxHeads: 32 } as const;

export interface IoModuleOptions {
  heads: number;
  detectors: number;
  /** Random vehicle arrivals per hour on every detector; 0 = only vehicle() calls. */
  vehiclesPerHour?: number;
  seed?: number;
}

export class IoModule {
  readonly bank: RegisterBank;
  readonly #heads: number;
  readonly #detectors: number;
  readonly #rate: number;
  readonly #rand: () => number;
  readonly #lampOut = new Set<string>();
  readonly #counts: number[];
  /** Per detector, occupied intervals that may still overlap the last second. */
  readonly #occupied: { start: number; end: number }[][];
  #lastMs: number | undefined;

  constructor(opts: IoModuleOptions) {
    if (opts.heads > IO_LAYOUT.maxHeads) throw new Error(`at most ${IO_LAYOUT.maxHeads} heads`);
    this.#heads = opts.heads;
    this.#detectors = opts.detectors;
    this.#rate = opts.vehiclesPerHour ?? 0;
    this.#rand = mulberry32(opts.seed ?? 1);
    this.#counts = new Array<number>(opts.detectors).fill(0);
    this.#occupied = Array.from({ length: opts.detectors }, () => []);
    this.bank = new RegisterBank({
      coils: 4 * opts.heads,
      discrete: Math.max(opts.heads, IO_LAYOUT.detectorDiscreteBase + opts.detectors),
      input: Math.max(3 * opts.heads, IO_LAYOUT.detectorInputBase + 3 * opts.detectors),
    });
    this.bank.afterWrite = () => this.#refreshLamps(this.#lastMs ?? 0);
  }

  /** Injects (or repairs) a failed lamp. */
  setLampOut(head: number, lamp: Lamp, out: boolean): void {
    this.#checkHead(head);
    if (out) this.#lampOut.add(`${head}:${lamp}`);
    else this.#lampOut.delete(`${head}:${lamp}`);
    this.#refreshLamps(this.#lastMs ?? 0);
  }

  /** A vehicle crosses detector `d` at `nowMs`. */
  vehicle(d: number, nowMs: number, occupyMs = OCCUPY_MS): void {
    if (!(d >= 0 && d < this.#detectors)) throw new Error(`no detector ${d}`);
    this.#counts[d] = (this.#counts[d]! + 1) % 2 ** 32;
    this.#occupied[d]!.push({ start: nowMs, end: nowMs + occupyMs });
    this.#refreshDetectors(nowMs);
  }

  /** Advances arrivals, flashing and occupancy to `nowMs`. */
  tick(nowMs: number): void {
    const dt = this.#lastMs === undefined ? 0 : nowMs - this.#lastMs;
    this.#lastMs = nowMs;
    if (this.#rate > 0 && dt > 0) {
      const p = (this.#rate * dt) / 3_600_000;
      for (let d = 0; d < this.#detectors; d++) if (this.#rand() < p) this.vehicle(d, nowMs);
    }
    this.#refreshLamps(nowMs);
    this.#refreshDetectors(nowMs);
  }

  /** What the lamps show, for tests and logs. */
  state(): {
    heads: { lamps: Record<Lamp, boolean>; flash: boolean; ma: Record<Lamp, number>; fault: boolean }[];
    counts: number[];
  } {
    const heads = Array.from({ length: this.#heads }, (_, h) => ({
      lamps: Object.fromEntries(LAMPS.map((l, i) => [l, this.bank.coils[4 * h + i]!])) as Record<
        Lamp,
        boolean
      >,
      flash: this.bank.coils[4 * h + 3]!,
      ma: Object.fromEntries(LAMPS.map((l, i) => [l, this.bank.input[3 * h + i]!])) as Record<Lamp, number>,
      fault: this.bank.discrete[h]!,
    }));
    return { heads, counts: [...this.#counts] };
  }

  #checkHead(h: number): void {
    if (!(h >= 0 && h < this.#heads)) throw new Error(`no head ${h}`);
  }

  #refreshLamps(nowMs: number): void {
    const flashOn = nowMs % FLASH_PERIOD_MS < FLASH_PERIOD_MS / 2;
    for (let h = 0; h < this.#heads; h++) {
      const flash = this.bank.coils[4 * h + 3]!;
      let fault = false;
      LAMPS.forEach((lamp, i) => {
        const commanded = this.bank.coils[4 * h + i]! || (lamp === 'yellow' && flash);
        const lit = commanded && !(lamp === 'yellow' && flash && !this.bank.coils[4 * h + 1] && !flashOn);
        const out = this.#lampOut.has(`${h}:${lamp}`);
        const noise = 1 + (this.#rand() - 0.5) * 0.04;
        const ma = lit && !out ? NOMINAL_MA[lamp] * noise : out ? 0 : LEAKAGE_MA;
        this.bank.input[3 * h + i] = Math.round(ma);
        // A lamp flashing in its off phase is not "out"; the monitor judges it when it should be lit.
        if (lit && ma < LAMP_OUT_BELOW_MA) fault = true;
        if (commanded && out) fault = true;
      });
      this.bank.discrete[h] = fault;
    }
  }

  #refreshDetectors(nowMs: number): void {
    for (let d = 0; d < this.#detectors; d++) {
      const from = nowMs - 1000;
      const list = this.#occupied[d]!.filter((iv) => iv.end > from);
      this.#occupied[d] = list;
      const ms = list.reduce(
        (t, iv) => t + Math.max(0, Math.min(iv.end, nowMs) - Math.max(iv.start, from)),
        0,
      );
      const base = IO_LAYOUT.detectorInputBase + 3 * d;
      const count = this.#counts[d]!;
      this.bank.input[base] = Math.floor(count / 0x10000);
      this.bank.input[base + 1] = count & 0xffff;
      this.bank.input[base + 2] = Math.min(1000, Math.round(ms));
      this.bank.discrete[IO_LAYOUT.detectorDiscreteBase + d] = list.some(
        (iv) => iv.start <= nowMs && iv.end > nowMs,
      );
    }
  }
}
