// The one WebAssembly module, wasm/build/core.wasm: every kernel family plus the arena that holds
// their buffers. Loaded by wasm/core.ts.

export { arenaAlloc, arenaBytesFree } from './arena';
export { solarSunTimes, SOLAR_IN_STRIDE, SOLAR_OUT_STRIDE } from './solar';
