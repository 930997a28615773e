// Error catalogue of the WASM core. Codes are stable; messages say what to do.

export type WasmErrorCode =
  /** core.wasm is missing or does not match this loader: rebuild it. */
  | 'WASM_NOT_BUILT'
  /** A batch size or capacity that is not an integer in range, or an arena that is full. */
  | 'WASM_CAPACITY'
  /** An input row outside its domain (latitude, longitude, date). */
  | 'WASM_BAD_INPUT';

export class WasmError extends Error {
  override readonly name = 'WasmError';
  constructor(
    readonly code: WasmErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
