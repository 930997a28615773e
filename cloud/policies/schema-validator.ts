// A small JSON Schema (2020-12) validator for the keyword subset that policy.schema.json uses, so
// the published schema is what the coordinator enforces, not documentation beside a second set of
// rules. ajv is not a dependency; a policy schema needs a dozen keywords, and reporting every
// problem with the field path in the operator's own spelling ("lighting.steps[1].levelPct") is
// simpler to get right here than to post-process from a general validator.
//
// Any keyword outside SUPPORTED_KEYWORDS makes compile() throw, so the schema cannot grow a rule
// that silently goes unenforced (schema-validator.test.ts also walks the published schema).

export interface FieldProblem {
  /** Path of the value, "" for the document itself. */
  readonly field: string;
  readonly reason: string;
}

type JsonType = 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean' | 'null';

export interface Schema {
  readonly type?: JsonType | readonly JsonType[];
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean;
  readonly items?: Schema;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly enum?: readonly unknown[];
}

/** Keywords this validator enforces, and annotations it ignores on purpose. */
export const SUPPORTED_KEYWORDS: ReadonlySet<string> = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'minItems',
  'maxItems',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'pattern',
  'enum',
  // annotations
  '$schema',
  '$id',
  'title',
  'description',
]);

/** Checks `schema` uses only supported keywords; returns a validator for it. */
export function compile(schema: unknown): (value: unknown) => FieldProblem[] {
  checkKeywords(schema, '#');
  const root = schema as Schema;
  const patterns = new Map<string, RegExp>();
  const regex = (p: string): RegExp => {
    let r = patterns.get(p);
    // 'u': JSON Schema patterns are ECMA-262 regular expressions over code points.
    if (!r) patterns.set(p, (r = new RegExp(p, 'u')));
    return r;
  };
  return (value) => {
    const problems: FieldProblem[] = [];
    validate(root, value, '', problems, regex);
    return problems;
  };
}

function checkKeywords(schema: unknown, where: string): void {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema))
    throw new Error(`schema ${where}: must be an object`);
  for (const [k, v] of Object.entries(schema)) {
    if (!SUPPORTED_KEYWORDS.has(k)) throw new Error(`schema ${where}: keyword "${k}" is not supported`);
    if (k === 'additionalProperties' && v !== false && v !== true)
      throw new Error(`schema ${where}: only a boolean additionalProperties is supported`);
  }
  const s = schema as Schema;
  for (const [name, sub] of Object.entries(s.properties ?? {}))
    checkKeywords(sub, `${where}/properties/${name}`);
  if (s.items !== undefined) checkKeywords(s.items, `${where}/items`);
}

const child = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

function typeOf(v: unknown): JsonType | 'other' {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  const t = typeof v;
  if (t === 'object' || t === 'string' || t === 'boolean') return t;
  // NaN and ±Infinity cannot be written in JSON; a YAML .nan or .inf must not slip through.
  if (t === 'number') return Number.isFinite(v) ? 'number' : 'other';
  return 'other';
}

function describe(v: unknown): string {
  const t = typeOf(v);
  if (t === 'other') return typeof v === 'number' ? String(v) : typeof v;
  if (t === 'object' || t === 'array') return `an ${t}`;
  return `${t} ${JSON.stringify(v)}`;
}

function validate(
  s: Schema,
  v: unknown,
  path: string,
  problems: FieldProblem[],
  regex: (p: string) => RegExp,
): void {
  const bad = (reason: string): void => void problems.push({ field: path, reason });
  const actual = typeOf(v);
  if (s.type !== undefined) {
    const allowed: readonly JsonType[] = typeof s.type === 'string' ? [s.type] : s.type;
    const ok = allowed.some(
      (t) => t === actual || (t === 'integer' && actual === 'number' && Number.isInteger(v)),
    );
    if (!ok) {
      const wanted = allowed.join(' or ');
      return bad(
        actual === 'number' && allowed.includes('integer')
          ? `must be a whole number, got ${String(v)}`
          : `must be ${/^[aeiou]/.test(wanted) ? 'an' : 'a'} ${wanted}, got ${describe(v)}`,
      );
    }
  }
  if (s.enum !== undefined && !s.enum.some((e) => e === v))
    bad(`${JSON.stringify(v)} must be one of ${s.enum.map((e) => JSON.stringify(e)).join(', ')}`);

  if (actual === 'number') {
    const n = v as number;
    if (s.minimum !== undefined && n < s.minimum) bad(`${n} is below the minimum ${s.minimum}`);
    if (s.maximum !== undefined && n > s.maximum) bad(`${n} is above the maximum ${s.maximum}`);
    if (s.exclusiveMinimum !== undefined && n <= s.exclusiveMinimum)
      bad(`${n} must be greater than ${s.exclusiveMinimum}`);
    if (s.exclusiveMaximum !== undefined && n >= s.exclusiveMaximum)
      bad(`${n} must be less than ${s.exclusiveMaximum}`);
  }
  if (actual === 'string') {
    const str = v as string;
    // JSON Schema strings are Unicode text; a lone surrogate (possible in JSON's \uD800 escape)
    // is not, and protobuf cannot carry it as UTF-8.
    if (/\p{Cs}/u.test(str)) bad('is not valid Unicode text (it holds a lone UTF-16 surrogate)');
    const length = [...str].length;
    if (s.minLength !== undefined && length < s.minLength)
      bad(length === 0 ? 'must not be empty' : `is shorter than ${s.minLength} characters`);
    if (s.maxLength !== undefined && length > s.maxLength) bad(`is longer than ${s.maxLength} characters`);
    if (s.pattern !== undefined && !regex(s.pattern).test(str))
      bad(`${JSON.stringify(str)} does not match ${s.pattern}`);
  }
  if (actual === 'array') {
    const arr = v as unknown[];
    if (s.minItems !== undefined && arr.length < s.minItems) bad(`needs at least ${s.minItems} item(s)`);
    if (s.maxItems !== undefined && arr.length > s.maxItems) bad(`has more than ${s.maxItems} items`);
    if (s.items !== undefined)
      arr.forEach((item, i) => validate(s.items!, item, `${path}[${i}]`, problems, regex));
  }
  if (actual === 'object') {
    const obj = v as Record<string, unknown>;
    for (const key of s.required ?? [])
      if (!(key in obj)) problems.push({ field: child(path, key), reason: 'is required' });
    const props = s.properties ?? {};
    for (const [key, value] of Object.entries(obj)) {
      const sub = Object.hasOwn(props, key) ? props[key] : undefined;
      if (sub !== undefined) validate(sub, value, child(path, key), problems, regex);
      else if (s.additionalProperties === false)
        problems.push({
          field: child(path, key),
          reason: `unknown field (known: ${Object.keys(props).join(', ')})`,
        });
    }
  }
}
