// The WASM core's public door: every kernel object the edge uses, from one import.
//
// Importing this file instantiates the core once (./instance.ts: the SIMD build, or the scalar
// one where SIMD is unavailable) and warms every kernel: the first calls run V8's baseline code,
// 1.4–3× slower (REFERENCE §5). Kernel objects allocate their arrays once, in WASM memory, and
// expose them as typed-array views: write inputs, call step()/compute(), read outputs; no call
// copies or allocates. Create them at start and keep them (the arena never frees).

import {
  EmaFilter,
  FilterPipeline,
  HysteresisComparator,
  MedianFilter,
  SlewLimiter,
} from './filter-batch.js';
import { WasmSolar } from './solar-batch.js';
import { WasteBatch } from './waste-batch.js';
import { LightingBatch } from './lighting-batch.js';
import { DetectorBatch } from './traffic-batch.js';
import type { SunTimes } from './solar.js';

export { coreVariant, type CoreVariant } from './instance.js';
export type { Engine } from './engine.js';
export { WasmSolar, SOLAR_IN_STRIDE, SOLAR_OUT_STRIDE } from './solar-batch.js';
export {
  EmaFilter,
  FilterPipeline,
  HampelFilter,
  HysteresisComparator,
  MedianFilter,
  SlewLimiter,
  TrendFilter,
  type HampelOptions,
  type PipelineOptions,
} from './filter-batch.js';
export { WasteBatch } from './waste-batch.js';
export { WASTE_FLAG, type WasteParams } from './waste.js';
export { LightingBatch, type LuminaireSetup } from './lighting-batch.js';
export {
  ActuatedBatch,
  ChangeIntervals,
  DetectorBatch,
  MaxPressure,
  WebsterPlanner,
  type WebsterPhase,
} from './traffic-batch.js';
export { ACTUATION } from './traffic.js';
export { daliFadeTimeS, daliLevel, daliPercent, type LightingParams } from './lighting.js';

const WARM_ROWS = 64;
const WARM_PASSES = 40;
const shared = new WasmSolar(WARM_ROWS);

// Enough calls and loop iterations for V8 to tier each kernel up; a few ms in all. Odd channel
// counts so that both the SIMD pairs and the scalar tail run.
function warm(): void {
  for (let i = 0; i < WARM_ROWS; i++) {
    shared.set(i, -60 + (120 * i) / WARM_ROWS, -180 + (360 * i) / WARM_ROWS, Date.UTC(2026, 0, 1 + 5 * i));
  }
  for (let pass = 0; pass < WARM_PASSES; pass++) shared.compute(WARM_ROWS);

  const channels = 33;
  const filters = [
    new FilterPipeline(channels, { hampel: { size: 5, k: 3, floor: 0.5 }, alpha: 0.2, lambda: 0.95 }),
    new MedianFilter(channels, { size: 9 }),
    new EmaFilter(channels, { alpha: 0.5 }),
    new SlewLimiter(channels, { maxRise: 1, maxFall: 2 }),
    new HysteresisComparator(channels, { low: 10, high: 20 }),
  ];
  for (let pass = 0; pass < 200; pass++) {
    for (const f of filters) {
      for (let c = 0; c < channels; c++)
        f.input[c] = ((pass * 7 + c * 13) % 29) + (c % 5 === 0 ? Number.NaN : 0);
      f.step();
    }
  }

  const waste = new WasteBatch(channels);
  for (let pass = 0; pass < 300; pass++) {
    for (let c = 0; c < channels; c++) waste.distanceCm[c] = c % 7 === 0 ? 254 : 100 - ((pass + c) % 70);
    waste.step(1);
  }

  const lights = new LightingBatch(channels);
  for (let pass = 0; pass < 300; pass++) {
    for (let c = 0; c < channels; c++) {
      lights.views.presence[c] = (pass + c) % 17 === 0 ? 1 : 0;
      lights.views.lux[c] = (pass * 3 + c) % 90;
      lights.views.weightSum[c] = (c % 5) - 1;
      lights.views.schedulePct[c] = 50 + (c % 50);
    }
    lights.step(1);
  }

  const detectors = new DetectorBatch(channels, { tauS: 60 });
  for (let pass = 0; pass < 600; pass++) {
    for (let c = 0; c < channels; c++) {
      detectors.views.occupied[c] = (pass + c) % 13 < 3 ? 1 : 0;
      detectors.views.green[c] = pass % 90 < 40 ? 1 : 0;
    }
    detectors.step(0.1);
  }
}
warm();

/** `sunTimes()` through the WASM kernel, one row: for checks, not for loops (use WasmSolar). */
export function sunTimesWasm(latDeg: number, lonDeg: number, dayMs: number): SunTimes {
  shared.set(0, latDeg, lonDeg, dayMs);
  shared.compute(1);
  return shared.get(0);
}
