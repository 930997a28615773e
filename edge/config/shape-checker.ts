// A small structural checker for JSON configuration: it walks a parsed value, records every
// problem with the path where it occurs, and returns typed values (or undefined) so the caller
// can keep checking the rest. There is deliberately no schema library: the config is small, and
// hand-written checks give messages a technician can act on ("must be one of …", "unknown key").
import type { ConfigProblem } from './config-error.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** Formats a path step: `devices` + 3 → `devices[3]`, `edge` + `id` → `edge.id`. */
export const at = (path: string, key: string | number): string =>
  typeof key === 'number' ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`;

const describe = (v: unknown): string =>
  v === null
    ? 'null'
    : Array.isArray(v)
      ? 'an array'
      : typeof v === 'object'
        ? 'an object'
        : JSON.stringify(v);

export class ShapeChecker {
  readonly problems: ConfigProblem[] = [];

  /** Records a problem; a second one for the same field ("is required", then "must be a number") is noise. */
  fail(field: string, reason: string): undefined {
    if (!this.problems.some((p) => p.field === field)) this.problems.push({ field, reason });
    return undefined;
  }

  /**
   * An object with the given keys. Keys not listed are reported, because a misspelt optional key
   * ("intervalSec") would otherwise be silently ignored and its default used.
   */
  object(
    v: unknown,
    path: string,
    required: readonly string[],
    optional: readonly string[] = [],
  ): JsonObject | undefined {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      return this.fail(path, `must be an object, got ${describe(v)}`);
    }
    const o = v as JsonObject;
    for (const key of required) if (!(key in o)) this.fail(at(path, key), 'is required');
    const known = [...required, ...optional];
    for (const key of Object.keys(o)) {
      if (!known.includes(key)) this.fail(at(path, key), `unknown key (known: ${known.join(', ')})`);
    }
    return o;
  }

  array(v: unknown, path: string, opts: { minLength?: number } = {}): Json[] | undefined {
    if (!Array.isArray(v)) return this.fail(path, `must be an array, got ${describe(v)}`);
    if (opts.minLength !== undefined && v.length < opts.minLength) {
      return this.fail(path, `must have at least ${opts.minLength} item(s)`);
    }
    return v as Json[];
  }

  string(
    v: unknown,
    path: string,
    opts: { pattern?: RegExp; oneOf?: readonly string[] } = {},
  ): string | undefined {
    if (typeof v !== 'string' || v.length === 0)
      return this.fail(path, `must be a non-empty string, got ${describe(v)}`);
    if (opts.oneOf && !opts.oneOf.includes(v)) {
      return this.fail(path, `${JSON.stringify(v)} must be one of: ${opts.oneOf.join(', ')}`);
    }
    if (opts.pattern && !opts.pattern.test(v)) {
      return this.fail(path, `${JSON.stringify(v)} does not match ${String(opts.pattern)}`);
    }
    return v;
  }

  number(
    v: unknown,
    path: string,
    opts: { min?: number; max?: number; integer?: boolean } = {},
  ): number | undefined {
    if (typeof v !== 'number' || !Number.isFinite(v))
      return this.fail(path, `must be a number, got ${describe(v)}`);
    if (opts.integer && !Number.isInteger(v)) return this.fail(path, `must be an integer, got ${v}`);
    if (opts.min !== undefined && v < opts.min)
      return this.fail(path, `${v} is below the minimum ${opts.min}`);
    if (opts.max !== undefined && v > opts.max)
      return this.fail(path, `${v} is above the maximum ${opts.max}`);
    return v;
  }

  /** Reports ids seen twice; returns the set of ids for reference checks. */
  uniqueIds(items: readonly { id?: string; path: string }[], what: string): Set<string> {
    const seen = new Map<string, string>();
    for (const { id, path } of items) {
      if (id === undefined) continue;
      const first = seen.get(id);
      if (first !== undefined) this.fail(at(path, 'id'), `duplicate ${what} id "${id}" (first at ${first})`);
      else seen.set(id, path);
    }
    return new Set(seen.keys());
  }
}
