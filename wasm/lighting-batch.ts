// Lighting kernel object: a batch of luminaires, one call per control tick. Kernel:
// wasm/assembly/lighting.ts; twin, method and sources: wasm/lighting.ts.

import { allocBlock, checkCount, checkFieldCount, checkParam, fieldViews, type Engine } from './engine.js';
import { core, type F64Block } from './instance.js';
import {
  DEFAULT_LIGHTING_PARAMS,
  LIGHTING,
  LIGHTING_FIELDS,
  lightingStep,
  type LightingParams,
} from './lighting.js';

checkFieldCount(core, 'LIGHTING_FIELDS', LIGHTING_FIELDS);

export interface LuminaireSetup {
  /** Design class number 1..6 (gets 100 % of the schedule level). */
  designClass: number;
  series: 'M' | 'P';
  ratedW: number;
  /** Level while a presence is held, %. */
  boostPct: number;
  holdS: number;
}

/**
 * Per tick: write `weightSum`, `schedulePct`, `presence` (0/1) and `lux` (NaN: none) per
 * luminaire, call `step(dtS)`, send `daliLevel`, read `levelPct`, `lightingClass`, `powerW`,
 * `energyWh`. Set each luminaire up once with `setup()` (validated); the parameter views can be
 * written directly too, unvalidated (the kernel clamps the class so it stays in its tables).
 */
export class LightingBatch {
  readonly luminaires: number;
  readonly params: LightingParams;
  readonly views: { [K in keyof typeof LIGHTING]: Float64Array };
  readonly #block: F64Block;
  readonly #wasm: boolean;

  constructor(luminaires: number, params: Partial<LightingParams> = {}, engine: Engine = 'wasm') {
    const owner = 'LightingBatch';
    checkCount(owner, 'luminaires', luminaires);
    const p = { ...DEFAULT_LIGHTING_PARAMS, ...params };
    checkParam(p.onLux >= 0, owner, 'onLux', '≥ 0', p.onLux);
    checkParam(p.offLux > p.onLux, owner, 'offLux', `above onLux (${p.onLux})`, p.offLux);
    checkParam(p.rampUpS >= 0, owner, 'rampUpS', '≥ 0', p.rampUpS);
    checkParam(p.rampDownS >= 0, owner, 'rampDownS', '≥ 0', p.rampDownS);
    this.luminaires = luminaires;
    this.params = Object.freeze(p);
    this.#block = allocBlock(engine, luminaires * LIGHTING_FIELDS, owner);
    this.#wasm = engine === 'wasm';
    this.views = fieldViews(this.#block.view, luminaires, LIGHTING);
    for (let i = 0; i < luminaires; i++) {
      this.setup(i, { designClass: 3, series: 'M', ratedW: 100, boostPct: 100, holdS: 60 });
    }
    this.views.presence.fill(0);
    this.reset();
  }

  /** Sets luminaire `i`'s parameters, validated. */
  setup(i: number, s: LuminaireSetup): void {
    const owner = `LightingBatch.setup(${i})`;
    checkParam(
      Number.isInteger(i) && i >= 0 && i < this.luminaires,
      owner,
      'index',
      `in [0, ${this.luminaires - 1}]`,
      i,
    );
    checkParam([1, 2, 3, 4, 5, 6].includes(s.designClass), owner, 'designClass', '1..6', s.designClass);
    checkParam(s.series === 'M' || s.series === 'P', owner, 'series', "'M' or 'P'", s.series);
    checkParam(s.ratedW >= 0, owner, 'ratedW', '≥ 0', s.ratedW);
    checkParam(s.boostPct >= 0 && s.boostPct <= 100, owner, 'boostPct', 'in [0, 100]', s.boostPct);
    checkParam(s.holdS >= 0, owner, 'holdS', '≥ 0', s.holdS);
    const v = this.views;
    v.designClass[i] = s.designClass;
    v.series[i] = s.series === 'P' ? 1 : 0;
    v.ratedW[i] = s.ratedW;
    v.boostPct[i] = s.boostPct;
    v.holdS[i] = s.holdS;
  }

  /** Forgets levels, holds, photocell states and energy. */
  reset(): void {
    const v = this.views;
    v.levelPct.fill(Number.NaN);
    v.dark.fill(Number.NaN);
    v.holdLeftS.fill(0);
    v.energyWh.fill(0);
  }

  /** One control tick, `dtS` seconds after the previous. */
  step(dtS: number): void {
    checkParam(dtS >= 0 && Number.isFinite(dtS), 'LightingBatch', 'dtS', 'a finite number ≥ 0', dtS);
    const p = this.params;
    if (this.#wasm)
      core.lightingStep(this.#block.ptr, this.luminaires, dtS, p.onLux, p.offLux, p.rampUpS, p.rampDownS);
    else lightingStep(this.#block.view, this.luminaires, dtS, p);
  }
}
