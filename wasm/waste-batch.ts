// Waste kernel object: a batch of containers, one reading each per call. Kernel:
// wasm/assembly/waste.ts; twin and method: wasm/waste.ts.

import { allocBlock, checkCount, checkFieldCount, checkParam, type Engine } from './engine.js';
import { core, type F64Block } from './instance.js';
import { DEFAULT_WASTE_PARAMS, WASTE, WASTE_FIELDS, wasteStep, type WasteParams } from './waste.js';

checkFieldCount(core, 'WASTE_FIELDS', WASTE_FIELDS);

/**
 * Per call: write `distanceCm` (NaN: no reading) and `temperatureC` (NaN: unknown), call
 * `step(dtHours)`, read `fill`, `rate` (fraction per hour), `ttfHours` with `ttfLowHours`..
 * `ttfHighHours`, and `flag` (WASTE_FLAG). Set `depthCm` and `fullAt` per container at start.
 */
export class WasteBatch {
  readonly containers: number;
  readonly params: WasteParams;
  readonly distanceCm: Float64Array;
  readonly temperatureC: Float64Array;
  readonly depthCm: Float64Array;
  readonly fullAt: Float64Array;
  readonly fill: Float64Array;
  readonly rate: Float64Array;
  readonly ttfHours: Float64Array;
  readonly ttfLowHours: Float64Array;
  readonly ttfHighHours: Float64Array;
  readonly flag: Float64Array;
  readonly #block: F64Block;
  readonly #wasm: boolean;

  constructor(containers: number, params: Partial<WasteParams> = {}, engine: Engine = 'wasm') {
    const owner = 'WasteBatch';
    checkCount(owner, 'containers', containers);
    const p = { ...DEFAULT_WASTE_PARAMS, ...params };
    checkParam(p.noEchoCm > 0, owner, 'noEchoCm', '> 0', p.noEchoCm);
    checkParam(p.spikeCm > 0, owner, 'spikeCm', '> 0 (Infinity disables)', p.spikeCm);
    checkParam(p.emptyDrop > 0 && p.emptyDrop <= 1, owner, 'emptyDrop', 'in (0, 1]', p.emptyDrop);
    checkParam(p.priorHours >= 0 && Number.isFinite(p.priorHours), owner, 'priorHours', '≥ 0', p.priorHours);
    checkParam(Number.isFinite(p.refTempC), owner, 'refTempC', 'a finite temperature', p.refTempC);
    checkParam(p.z >= 0, owner, 'z', '≥ 0', p.z);
    checkParam(p.cycleWeight > 0 && p.cycleWeight <= 1, owner, 'cycleWeight', 'in (0, 1]', p.cycleWeight);
    this.containers = containers;
    this.params = Object.freeze(p);
    this.#block = allocBlock(engine, containers * WASTE_FIELDS, owner);
    this.#wasm = engine === 'wasm';
    const field = (f: number) => this.#block.view.subarray(f * containers, (f + 1) * containers);
    this.distanceCm = field(WASTE.distanceCm);
    this.temperatureC = field(WASTE.temperatureC);
    this.depthCm = field(WASTE.depthCm);
    this.fullAt = field(WASTE.fullAt);
    this.fill = field(WASTE.fill);
    this.rate = field(WASTE.rate);
    this.ttfHours = field(WASTE.ttfHours);
    this.ttfLowHours = field(WASTE.ttfLowHours);
    this.ttfHighHours = field(WASTE.ttfHighHours);
    this.flag = field(WASTE.flag);
    this.depthCm.fill(100);
    this.fullAt.fill(0.8);
    this.reset();
  }

  /** Forgets every container's history. */
  reset(): void {
    const n = this.containers;
    const v = this.#block.view;
    for (const f of [WASTE.fill, WASTE.pending, WASTE.cycleStart, WASTE.priorRate])
      v.fill(Number.NaN, f * n, (f + 1) * n);
    for (const f of [WASTE.cycleHours, WASTE.priorVar, WASTE.cycles]) v.fill(0, f * n, (f + 1) * n);
  }

  /** One reading per container, `dtHours` (≥ 0) after the previous call. */
  step(dtHours: number): void {
    checkParam(
      dtHours >= 0 && Number.isFinite(dtHours),
      'WasteBatch',
      'dtHours',
      'a finite number ≥ 0',
      dtHours,
    );
    const p = this.params;
    if (this.#wasm) {
      core.wasteStep(
        this.#block.ptr,
        this.containers,
        dtHours,
        p.noEchoCm,
        p.spikeCm,
        p.emptyDrop,
        p.priorHours,
        p.refTempC,
        p.z,
        p.cycleWeight,
      );
    } else {
      wasteStep(this.#block.view, this.containers, dtHours, p);
    }
  }
}
