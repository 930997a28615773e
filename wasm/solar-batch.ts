// Solar kernel object: a batch of (place, day) rows in WASM memory. Kernel:
// wasm/assembly/solar.ts; twin: wasm/solar.ts.

import { WasmError } from './errors.js';
import { allocF64, core } from './instance.js';
import { solarInputMessage, type SunTimes } from './solar.js';

/** Doubles per solar input row (latDeg, lonDeg, dayMs) and output row (the four events). */
export const SOLAR_IN_STRIDE = 3;
export const SOLAR_OUT_STRIDE = 4;

// The row layout is shared knowledge: refuse a core.wasm built from other sources.
const globals = core as unknown as Record<string, unknown>;
const strides = [globals.SOLAR_IN_STRIDE, globals.SOLAR_OUT_STRIDE].map(
  (g) => (g as { value?: unknown } | undefined)?.value,
);
if (strides[0] !== SOLAR_IN_STRIDE || strides[1] !== SOLAR_OUT_STRIDE) {
  throw new WasmError(
    'WASM_NOT_BUILT',
    `WASM core has solar strides ${strides.join('/')}, expected ${SOLAR_IN_STRIDE}/${SOLAR_OUT_STRIDE}: ` +
      'run npm run build:wasm',
  );
}

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
    const inB = allocF64(capacity * (SOLAR_IN_STRIDE + SOLAR_OUT_STRIDE), `WasmSolar(${capacity})`);
    this.capacity = capacity;
    this.#inPtr = inB.ptr;
    this.#outPtr = inB.ptr + capacity * SOLAR_IN_STRIDE * Float64Array.BYTES_PER_ELEMENT;
    this.inputs = inB.view.subarray(0, capacity * SOLAR_IN_STRIDE);
    this.outputs = inB.view.subarray(capacity * SOLAR_IN_STRIDE);
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
