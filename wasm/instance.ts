// The one instance of the WASM core, and the arena its buffers come from.
//
// Two builds of the same sources (npm run build:wasm): build/core.wasm with 128-bit SIMD and
// build/core-scalar.wasm without. The SIMD one is chosen when this engine validates it
// (`WebAssembly.validate`: V8 on x86 needs SSE4.1, on ARM NEON); otherwise the scalar one, which
// gives bit-identical results, only slower (REFERENCE §5). CALLE_WASM_VARIANT=scalar|simd forces
// one, for tests and benchmarks.
//
// The module is compiled and instantiated once, synchronously, when this file is first imported.
// Memory is fixed at its initial size (maximumMemory = initialMemory in wasm/asconfig.json), so
// typed-array views over it never detach; buffers come from a bump arena that never frees: create
// kernel objects at start and keep them.
//
// The files are found next to this one, `./build/*.wasm`, both from source and compiled
// (dist/wasm/, where `npm run build:assets` copies them).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WasmError } from './errors.js';

// Just what the core uses of the WebAssembly JS API: the project's lib (ES2023, no DOM) has none.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  validate(bytes: Uint8Array): boolean;
};

type Fn = (...args: number[]) => number;

/** The core's exports: kernels take byte addresses into `memory` and counts. */
export interface CoreExports extends Record<(typeof KERNELS)[number], Fn> {
  memory: { buffer: ArrayBuffer };
}

/** Every function the loaders use; a core.wasm that lacks one was built from other sources. */
export const KERNELS = [
  'arenaAlloc',
  'arenaBytesFree',
  'solarSunTimes',
  'filtersMedian',
  'filtersHampel',
  'filtersEma',
  'filtersSlew',
  'filtersHysteresis',
  'filtersTrend',
  'wasteStep',
  'lightingStep',
  'detectorStep',
  'detectorSteps',
  'websterStep',
  'actuatedStep',
  'maxPressure',
  'changeIntervalStep',
] as const;

export type CoreVariant = 'simd' | 'scalar';

const FILES: Record<CoreVariant, URL> = {
  simd: new URL('./build/core.wasm', import.meta.url),
  scalar: new URL('./build/core-scalar.wasm', import.meta.url),
};

function read(variant: CoreVariant): Uint8Array {
  try {
    return readFileSync(FILES[variant]);
  } catch (cause) {
    throw new WasmError(
      'WASM_NOT_BUILT',
      `WASM core not found at ${fileURLToPath(FILES[variant])}: run npm run build:wasm`,
      { cause },
    );
  }
}

/**
 * Which build to load: the forced one if `forced` names one, else SIMD when the engine accepts it.
 * Throws WASM_BAD_PARAM for a `forced` value that names neither.
 */
export function chooseVariant(simdValid: boolean, forced: string | undefined): CoreVariant {
  if (forced === undefined || forced === '') return simdValid ? 'simd' : 'scalar';
  if (forced === 'scalar') return 'scalar';
  if (forced === 'simd') {
    if (!simdValid) {
      throw new WasmError('WASM_BAD_PARAM', 'CALLE_WASM_VARIANT: simd forced but this engine rejects SIMD');
    }
    return 'simd';
  }
  throw new WasmError('WASM_BAD_PARAM', `CALLE_WASM_VARIANT: must be simd or scalar, got '${forced}'`);
}

/**
 * A fresh, separate instance of one build (its own memory and arena). The edge uses the shared
 * `core` below; tests and benchmarks use this to compare builds.
 */
export function instantiateCore(variant: CoreVariant): CoreExports {
  const exports = new WebAssembly.Instance(new WebAssembly.Module(read(variant)), {}).exports;
  for (const name of KERNELS) {
    if (typeof exports[name] !== 'function') {
      throw new WasmError(
        'WASM_NOT_BUILT',
        `WASM core at ${fileURLToPath(FILES[variant])} lacks export ${name}: run npm run build:wasm`,
      );
    }
  }
  return exports as unknown as CoreExports;
}

function simdAccepted(): boolean {
  try {
    return WebAssembly.validate(read('simd'));
  } catch {
    return false;
  }
}

/** The build this process runs. */
export const coreVariant: CoreVariant = chooseVariant(simdAccepted(), process.env.CALLE_WASM_VARIANT);
/** The shared instance every kernel object uses. */
export const core: CoreExports = instantiateCore(coreVariant);

/** A block of f64 in WASM memory: its byte address for kernels and a view for JavaScript. */
export interface F64Block {
  readonly ptr: number;
  readonly view: Float64Array;
}

/**
 * Takes `count` f64 from the arena of `exports` (the shared core by default). `owner` names the
 * kernel object in the error when the arena is full.
 */
export function allocF64(count: number, owner: string, exports: CoreExports = core): F64Block {
  const bytes = count * Float64Array.BYTES_PER_ELEMENT;
  const free = exports.arenaBytesFree();
  const ptr = bytes <= free ? exports.arenaAlloc(bytes) : 0;
  if (ptr === 0) {
    throw new WasmError(
      'WASM_CAPACITY',
      `${owner}: needs ${bytes} bytes, the WASM arena has ${free} left; create kernel objects once, at start`,
    );
  }
  return { ptr, view: new Float64Array(exports.memory.buffer, ptr, count) };
}
