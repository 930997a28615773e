// Where a kernel object's arrays live and which implementation runs them: 'wasm' (arrays in WASM
// memory, the compiled kernel; what the edge uses) or 'twin' (plain Float64Arrays, the TypeScript
// twin; the reference for tests and the baseline for benchmarks). One API for both, so a test or a
// benchmark swaps implementations and changes nothing else.

import { allocF64, type F64Block } from './instance.js';
import { WasmError } from './errors.js';

export type Engine = 'wasm' | 'twin';

/** `count` f64, NaN-filled unless `fill` says otherwise: in the arena for 'wasm' (ptr > 0), on the JS heap for 'twin' (ptr −1). */
export function allocBlock(engine: Engine, count: number, owner: string, fill = Number.NaN): F64Block {
  const block = engine === 'wasm' ? allocF64(count, owner) : { ptr: -1, view: new Float64Array(count) };
  block.view.fill(fill);
  return block;
}

/** Throws WASM_BAD_PARAM naming `owner.field` unless `ok`. */
export function checkParam(ok: boolean, owner: string, field: string, expected: string, got: unknown): void {
  if (!ok)
    throw new WasmError('WASM_BAD_PARAM', `${owner}: ${field} must be ${expected}, got ${String(got)}`);
}

/** A positive integer count of channels (or devices). */
export function checkCount(owner: string, field: string, value: number): void {
  checkParam(Number.isInteger(value) && value >= 1, owner, field, 'a positive integer', value);
}

/** Views of a field-major block: field f of a batch of n is view[f·n .. (f+1)·n). */
export function fieldViews<F extends Record<string, number>>(
  block: Float64Array,
  n: number,
  fields: F,
): { [K in keyof F]: Float64Array } {
  const views = {} as { [K in keyof F]: Float64Array };
  for (const key of Object.keys(fields) as (keyof F)[]) {
    const f = fields[key]!;
    views[key] = block.subarray(f * n, (f + 1) * n);
  }
  return views;
}

/** Throws WASM_NOT_BUILT unless the core's exported field count matches the twin's. */
export function checkFieldCount(globals: unknown, name: string, expected: number): void {
  const got = (globals as Record<string, { value?: unknown } | undefined>)[name]?.value;
  if (got !== expected) {
    throw new WasmError(
      'WASM_NOT_BUILT',
      `WASM core has ${name} ${String(got)}, expected ${expected}: run npm run build:wasm`,
    );
  }
}
