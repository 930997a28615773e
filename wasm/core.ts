// Loader of wasm/build/core.wasm and typed doors onto its kernels.
//
// The module is compiled and instantiated once, synchronously, when this file is first imported,
// and its kernels are warmed there: the first calls run V8's baseline code, 1.4–3× slower
// (REFERENCE §5). Buffers live in WASM memory and JavaScript reads and writes them through
// Float64Array views, so a batch crosses the boundary once with no copies. Memory is fixed at
// its initial size (maximumMemory = initialMemory in wasm/asconfig.json), so views never detach;
// buffers come from a bump arena that never frees: create kernel objects at start and keep them.
//
// The file is found next to this one, `./build/core.wasm`, both from source (wasm/core.ts) and
// compiled (dist/wasm/core.js, where `npm run build:assets` copies it).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WasmError } from './errors.js';
import { solarInputMessage, type SunTimes } from './solar.js';

// Just what this file uses of the WebAssembly JS API: the project's lib (ES2023, no DOM) has none.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
};

interface CoreExports {
  memory: { buffer: ArrayBuffer };
  arenaAlloc(bytes: number): number;
  arenaBytesFree(): number;
  solarSunTimes(inPtr: number, outPtr: number, n: number): number;
}

/** Doubles per solar input row (latDeg, lonDeg, dayMs) and output row (the four events). */
export const SOLAR_IN_STRIDE = 3;
export const SOLAR_OUT_STRIDE = 4;
const ROW_BYTES = (SOLAR_IN_STRIDE + SOLAR_OUT_STRIDE) * Float64Array.BYTES_PER_ELEMENT;

const WASM_URL = new URL('./build/core.wasm', import.meta.url);

function load(): CoreExports {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(WASM_URL);
  } catch (cause) {
    throw new WasmError(
      'WASM_NOT_BUILT',
      `WASM core not found at ${fileURLToPath(WASM_URL)}: run npm run build:wasm`,
      { cause },
    );
  }
  const exports = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports;
  for (const name of ['arenaAlloc', 'arenaBytesFree', 'solarSunTimes']) {
    if (typeof exports[name] !== 'function') {
      throw new WasmError(
        'WASM_NOT_BUILT',
        `WASM core at ${fileURLToPath(WASM_URL)} lacks export ${name}: run npm run build:wasm`,
      );
    }
  }
  // The row layout is shared knowledge: refuse a core.wasm built from other sources.
  const strides = [exports.SOLAR_IN_STRIDE, exports.SOLAR_OUT_STRIDE].map(
    (g) => (g as { value?: unknown } | undefined)?.value,
  );
  if (strides[0] !== SOLAR_IN_STRIDE || strides[1] !== SOLAR_OUT_STRIDE) {
    throw new WasmError(
      'WASM_NOT_BUILT',
      `WASM core at ${fileURLToPath(WASM_URL)} has solar strides ${strides.join('/')}, expected ` +
        `${SOLAR_IN_STRIDE}/${SOLAR_OUT_STRIDE}: run npm run build:wasm`,
    );
  }
  return exports as unknown as CoreExports;
}

const core = load();

/**
 * A batch of solar rows in WASM memory. Write row i's inputs at `inputs[3i..3i+2]` (latDeg,
 * lonDeg east positive, any ms in the wanted UTC day) or with `set()`, call `compute(n)`, read
 * row i's (sunriseMs, sunsetMs, civilDawnMs, civilDuskMs) at `outputs[4i..4i+3]`; NaN for an
 * event that does not occur. Same results as `sunTimes()` in ./solar.ts, within 1 s.
 */
export class WasmSolar {
  readonly capacity: number;
  readonly inputs: Float64Array;
  readonly outputs: Float64Array;
  readonly #inPtr: number;
  readonly #outPtr: number;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new WasmError('WASM_CAPACITY', `WasmSolar: capacity must be a positive integer, got ${capacity}`);
    }
    const free = core.arenaBytesFree();
    const inPtr = capacity * ROW_BYTES <= free ? core.arenaAlloc(capacity * ROW_BYTES) : 0;
    if (inPtr === 0) {
      throw new WasmError(
        'WASM_CAPACITY',
        `WasmSolar: ${capacity} rows need ${capacity * ROW_BYTES} bytes, the WASM arena has ${free} left ` +
          `(about ${Math.floor(free / ROW_BYTES)} rows); create kernel objects once, at start`,
      );
    }
    this.capacity = capacity;
    this.#inPtr = inPtr;
    this.#outPtr = inPtr + capacity * SOLAR_IN_STRIDE * Float64Array.BYTES_PER_ELEMENT;
    this.inputs = new Float64Array(core.memory.buffer, this.#inPtr, capacity * SOLAR_IN_STRIDE);
    this.outputs = new Float64Array(core.memory.buffer, this.#outPtr, capacity * SOLAR_OUT_STRIDE);
  }

  /** Writes row `i`'s inputs. */
  set(i: number, latDeg: number, lonDeg: number, dayMs: number): void {
    this.#checkCount(i, this.capacity - 1, 'row');
    const at = i * SOLAR_IN_STRIDE;
    this.inputs[at] = latDeg;
    this.inputs[at + 1] = lonDeg;
    this.inputs[at + 2] = dayMs;
  }

  /**
   * Computes rows 0..n−1. Throws WASM_BAD_INPUT naming the first row outside the domain; every
   * such row's outputs are NaN and the other rows' outputs are valid.
   */
  compute(n: number): void {
    this.#checkCount(n, this.capacity, 'n');
    const firstBad = core.solarSunTimes(this.#inPtr, this.#outPtr, n);
    if (firstBad >= 0) {
      const at = firstBad * SOLAR_IN_STRIDE;
      const row = this.inputs.subarray(at, at + SOLAR_IN_STRIDE);
      throw new WasmError(
        'WASM_BAD_INPUT',
        `row ${firstBad}: ${solarInputMessage(row[0] ?? NaN, row[1] ?? NaN, row[2] ?? NaN)}`,
      );
    }
  }

  /** Row `i`'s outputs as an object (allocates; for tests and single lookups). */
  get(i: number): SunTimes {
    this.#checkCount(i, this.capacity - 1, 'row');
    const o = this.outputs.subarray(i * SOLAR_OUT_STRIDE, (i + 1) * SOLAR_OUT_STRIDE);
    return { sunriseMs: o[0]!, sunsetMs: o[1]!, civilDawnMs: o[2]!, civilDuskMs: o[3]! };
  }

  #checkCount(value: number, max: number, what: string): void {
    if (!Number.isInteger(value) || value < 0 || value > max) {
      throw new WasmError(
        'WASM_CAPACITY',
        `WasmSolar: ${what} must be an integer in [0, ${max}], got ${value}`,
      );
    }
  }
}

const WARM_ROWS = 64;
const WARM_PASSES = 40;
const shared = new WasmSolar(WARM_ROWS);

// Enough calls and loop iterations for V8 to tier the kernel up; about 1 ms.
function warm(): void {
  for (let i = 0; i < WARM_ROWS; i++) {
    shared.set(i, -60 + (120 * i) / WARM_ROWS, -180 + (360 * i) / WARM_ROWS, Date.UTC(2026, 0, 1 + 5 * i));
  }
  for (let pass = 0; pass < WARM_PASSES; pass++) shared.compute(WARM_ROWS);
}
warm();

/** `sunTimes()` through the WASM kernel, one row: for checks, not for loops (use WasmSolar). */
export function sunTimesWasm(latDeg: number, lonDeg: number, dayMs: number): SunTimes {
  shared.set(0, latDeg, lonDeg, dayMs);
  shared.compute(1);
  return shared.get(0);
}
