// A luminaire controller as the map in edge/devices/protocol-pieces.ts describes it: holding
// registers for the target level (0.1 %) and fade time (0.1 s); input registers for active power
// (IEEE 754 single, low word first), energy (Wh, 32 bits, high word first) and the level the
// lamp actually shows during a fade (0.1 %).
import { EXCEPTION, ModbusRefusal, RegisterBank } from './modbus-server.js';
import { mulberry32 } from '../../common/random/seeded-random.js';

export const LIGHTING_LAYOUT = {
  holding: { level: 0, fade: 1 },
  input: { power: 0, energy: 2, actualLevel: 4 },
} as const;

export interface LightingControllerOptions {
  /** Input power at 100 %, W. */
  ratedW: number;
  /** Draw of the driver and controller with the lamp off, W (D4i drivers: well under 1 W). */
  standbyW?: number;
  seed?: number;
}

/**
 * Input power at a level, W. LED drivers are close to linear in output current, with a fixed
 * overhead (driver and control losses) that makes deep dimming less efficient: modelled as 6 % of
 * rated plus 94 % × level, which puts 10 % light at about 15 % power, the shape of typical
 * constant-current driver datasheet curves. Level 0 switches the output off: standby only.
 */
export function powerAtLevel(levelPct: number, ratedW: number, standbyW: number): number {
  if (levelPct <= 0) return standbyW;
  return standbyW + ratedW * (0.06 + 0.94 * (levelPct / 100));
}

export class LightingController {
  readonly bank = new RegisterBank({ holding: 2, input: 5 });
  readonly #rated: number;
  readonly #standby: number;
  readonly #rand: () => number;
  /** DALI's default power-on level is 100 % (IEC 62386-102): a controller that reboots comes back lit. */
  #actual = 100;
  #fadeFrom = 100;
  #fadeStartMs = 0;
  #energyWh = 0;
  #lastMs: number | undefined;

  constructor(opts: LightingControllerOptions) {
    this.#rated = opts.ratedW;
    this.#standby = opts.standbyW ?? 0.5;
    this.#rand = mulberry32(opts.seed ?? 1);
    this.bank.holding[LIGHTING_LAYOUT.holding.level] = 1000;
    this.bank.beforeWrite = (table, address, values) => {
      values.forEach((v, i) => {
        const a = address + i;
        if (table === 'holding' && a === LIGHTING_LAYOUT.holding.level && (v as number) > 1000)
          throw new ModbusRefusal(EXCEPTION.illegalDataValue, `level ${v as number} > 1000`);
        // DALI's longest fade is 90.5 s (IEC 62386-102, fade time 15).
        if (table === 'holding' && a === LIGHTING_LAYOUT.holding.fade && (v as number) > 905)
          throw new ModbusRefusal(EXCEPTION.illegalDataValue, `fade ${v as number} > 905`);
      });
    };
    this.bank.afterWrite = (table, address, count) => {
      const { level } = LIGHTING_LAYOUT.holding;
      if (table === 'holding' && address <= level && level < address + count) {
        this.#fadeFrom = this.#actual;
        this.#fadeStartMs = this.#lastMs ?? 0;
        if (this.#lastMs !== undefined) this.tick(this.#lastMs);
      }
    };
  }

  get targetPct(): number {
    return this.bank.holding[LIGHTING_LAYOUT.holding.level]! / 10;
  }

  get actualPct(): number {
    return this.#actual;
  }

  get energyWh(): number {
    return this.#energyWh;
  }

  /** Advances the fade and integrates energy to `nowMs`. */
  tick(nowMs: number): void {
    const dtMs = this.#lastMs === undefined ? 0 : Math.max(0, nowMs - this.#lastMs);
    this.#lastMs = nowMs;
    const target = this.targetPct;
    const fadeMs = this.bank.holding[LIGHTING_LAYOUT.holding.fade]! * 100;
    const progress = fadeMs === 0 ? 1 : Math.min(1, (nowMs - this.#fadeStartMs) / fadeMs);
    this.#actual = this.#fadeFrom + (target - this.#fadeFrom) * progress;
    // A meter's reading wanders a little (class 1 meters: ±1 %); ±0.3 % here.
    const watts = powerAtLevel(this.#actual, this.#rated, this.#standby) * (1 + (this.#rand() - 0.5) * 0.006);
    this.#energyWh += (watts * dtMs) / 3_600_000;
    const f = Buffer.alloc(4);
    f.writeFloatBE(watts, 0);
    const { input } = LIGHTING_LAYOUT;
    this.bank.input[input.power] = f.readUInt16BE(2);
    this.bank.input[input.power + 1] = f.readUInt16BE(0);
    const wh = Math.floor(this.#energyWh) >>> 0;
    this.bank.input[input.energy] = Math.floor(wh / 0x10000);
    this.bank.input[input.energy + 1] = wh & 0xffff;
    this.bank.input[input.actualLevel] = Math.round(this.#actual * 10);
  }
}
