// A JSON Schema (ajv) as a source of `field: reason` problems, worded as a technician reads them:
// the path in the file (`devices[3].id`, not `/devices/3/id`), then what is wrong with the value
// ("must be a number, got \"150\"", "unknown key (known: intervalS)"). One problem per field: a
// missing key is "is required", not also "must be a number". Ajv's own messages name schema
// keywords ("must NOT have additional properties"); these name the fix.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { ConfigProblem } from './config-error.js';

/** `devices` + 3 → `devices[3]`, `edge` + `id` → `edge.id`. */
export const at = (path: string, key: string | number): string =>
  typeof key === 'number' ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`;

/** How a value is shown in a reason: a string quoted, a container named. */
export const describe = (v: unknown): string =>
  v === null
    ? 'null'
    : Array.isArray(v)
      ? 'an array'
      : typeof v === 'object'
        ? 'an object'
        : v === undefined
          ? 'nothing'
          : JSON.stringify(v);

const article = (type: string): string =>
  type === 'array' || type === 'object' || type === 'integer' ? `an ${type}` : `a ${type}`;

/** A JSON pointer (`/devices/3/id`) as a field path (`devices[3].id`). */
function fieldOf(pointer: string): string {
  let field = '';
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    field = /^\d+$/.test(key) ? at(field, Number(key)) : at(field, key);
  }
  return field;
}

function problemOf(e: ErrorObject): ConfigProblem {
  const field = fieldOf(e.instancePath);
  const v: unknown = e.data;
  switch (e.keyword) {
    case 'required': {
      const key = (e.params as { missingProperty: string }).missingProperty;
      return { field: at(field, key), reason: 'is required' };
    }
    case 'additionalProperties': {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
      return { field: at(field, key), reason: `unknown key (known: ${known.join(', ')})` };
    }
    case 'type': {
      const type = (e.params as { type: string | string[] }).type;
      const types = Array.isArray(type) ? type : type.split(',');
      if (types.length === 1 && types[0] === 'string')
        return { field, reason: `must be a non-empty string, got ${describe(v)}` };
      if (types.length === 1 && types[0] === 'integer') {
        return typeof v === 'number'
          ? { field, reason: `must be an integer, got ${v}` }
          : { field, reason: `must be a number, got ${describe(v)}` };
      }
      return { field, reason: `must be ${types.map(article).join(' or ')}, got ${describe(v)}` };
    }
    case 'minLength':
      return { field, reason: `must be a non-empty string, got ${describe(v)}` };
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
      return { field, reason: `${describe(v)} must be one of: ${allowed.join(', ')}` };
    }
    case 'pattern':
      return {
        field,
        reason: `${describe(v)} does not match /${(e.params as { pattern: string }).pattern}/`,
      };
    case 'minimum':
      return {
        field,
        reason: `${String(v)} is below the minimum ${String((e.params as { limit: number }).limit)}`,
      };
    case 'maximum':
      return {
        field,
        reason: `${String(v)} is above the maximum ${String((e.params as { limit: number }).limit)}`,
      };
    case 'minItems':
      return { field, reason: `must have at least ${String((e.params as { limit: number }).limit)} item(s)` };
    default:
      return { field, reason: e.message ?? `fails ${e.keyword}` };
  }
}

/**
 * Compiles `schema` once; the returned function lists every problem of a parsed document (empty
 * when it conforms), at most one per field, in the order ajv found them.
 */
export function schemaCheck(schema: object): (doc: unknown) => ConfigProblem[] {
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
  const validate: ValidateFunction = ajv.compile(schema);
  return (doc) => {
    if (validate(doc)) return [];
    const seen = new Set<string>();
    const problems: ConfigProblem[] = [];
    for (const e of validate.errors ?? []) {
      const p = problemOf(e);
      if (seen.has(p.field)) continue;
      seen.add(p.field);
      problems.push(p);
    }
    return problems;
  };
}
