// The one WebAssembly module, wasm/build/core.wasm: every kernel family plus the arena that holds
// their buffers. Loaded by wasm/core.ts.

export { arenaAlloc, arenaBytesFree } from './arena';
export { solarSunTimes, SOLAR_IN_STRIDE, SOLAR_OUT_STRIDE } from './solar';
export { filtersMedian, filtersHampel } from './filters-windowed';
export { filtersEma, filtersSlew, filtersHysteresis, filtersTrend, TREND_STATE } from './filters-recursive';
export { wasteStep, WASTE_FIELDS } from './waste';
export { lightingStep, LIGHTING_FIELDS } from './lighting';
export {
  detectorStep,
  detectorSteps,
  websterStep,
  actuatedStep,
  maxPressure,
  changeIntervalStep,
  DETECTOR_FIELDS,
  WEBSTER_STRIDE,
  ACTUATED_FIELDS,
  CHANGE_FIELDS,
} from './traffic';
