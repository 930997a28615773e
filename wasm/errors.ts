// Error catalogue of the WASM core. Codes are stable; messages say what to do.

export type WasmErrorCode =
  /** core.wasm is missing or does not match this loader: rebuild it. */
  | 'WASM_NOT_BUILT'
  /** A batch size or capacity that is not an integer in range, or an arena that is full. */
  | 'WASM_CAPACITY'
  /** An input row outside its domain (latitude, longitude, date). */
  | 'WASM_BAD_INPUT'
  /** A kernel parameter outside its domain (a window size, a time constant, thresholds). */
  | 'WASM_BAD_PARAM';

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
