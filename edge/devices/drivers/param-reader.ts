// Typed reading of devices[].params with every problem collected, shared by the config check
// and the drivers (which parse the same params again at start, already known to be valid).
import type { ConfigProblem } from '../../config/config-error.js';
import type { DeviceParams, ParamValue } from '../driver.js';

/** Reads typed params, collecting problems with paths under `path` (devices[3].params). */
export class ParamReader {
  readonly problems: ConfigProblem[] = [];
  readonly #params: DeviceParams;
  readonly #path: string;
  readonly #seen = new Set<string>();

  constructor(params: DeviceParams, path: string) {
    this.#params = params;
    this.#path = path;
  }

  fail(key: string, reason: string): undefined {
    this.problems.push({ field: key === '' ? this.#path : `${this.#path}.${key}`, reason });
    return undefined;
  }

  number(
    key: string,
    opts: { min: number; max: number; integer?: boolean; default?: number },
  ): number | undefined {
    const v = this.#take(key);
    if (v === undefined) return opts.default ?? this.fail(key, 'is required');
    if (typeof v !== 'number' || !Number.isFinite(v))
      return this.fail(key, `must be a number, got ${JSON.stringify(v)}`);
    if (opts.integer && !Number.isInteger(v)) return this.fail(key, `must be an integer, got ${v}`);
    if (v < opts.min || v > opts.max) return this.fail(key, `${v} is outside [${opts.min}, ${opts.max}]`);
    return v;
  }

  string(key: string, opts: { pattern?: RegExp; default?: string; hint?: string } = {}): string | undefined {
    const v = this.#take(key);
    if (v === undefined) return opts.default ?? this.fail(key, 'is required');
    if (typeof v !== 'string' || v === '')
      return this.fail(key, `must be a non-empty string, got ${JSON.stringify(v)}`);
    if (opts.pattern && !opts.pattern.test(v))
      return this.fail(key, `${JSON.stringify(v)} is not ${opts.hint ?? `matching ${String(opts.pattern)}`}`);
    return v;
  }

  /** Reports keys no read asked for: a misspelt "unitID" must not silently become unit 1. */
  unknownKeys(): void {
    for (const key of Object.keys(this.#params))
      if (!this.#seen.has(key)) this.fail(key, `unknown param (known: ${[...this.#seen].join(', ')})`);
  }

  #take(key: string): ParamValue | undefined {
    this.#seen.add(key);
    return this.#params[key];
  }
}

/** Parses with `parse` and throws on any problem: for drivers, whose input the loader checked. */
export function parseOrThrow<T>(params: DeviceParams, deviceId: string, parse: (r: ParamReader) => T): T {
  const r = new ParamReader(params, `device ${deviceId} params`);
  const value = parse(r);
  r.unknownKeys();
  if (r.problems.length > 0) throw new Error(r.problems.map((p) => `${p.field}: ${p.reason}`).join('; '));
  return value;
}
