// JSON Schema validation for every schema calle enforces (the policy document, the Smart Data
// Models entities, and the site file next), through ajv, a kept library, instead of the
// hand-written validators each part had. What calle adds is the answer's shape: a list of
// `field: reason` problems, every one at once, the field in the document's own spelling
// ("lighting.steps[1].levelPct") and the reason in the same words wherever a schema is checked.
//
// Strict where it protects: a keyword or format ajv does not know makes loading throw
// (strictSchema), so a schema cannot grow a rule that silently goes unenforced; NaN and ±Infinity
// are not numbers (strictNumbers: JSON cannot write them, a YAML .nan must not slip through).
// Lenient where published schemas need it: strictTypes, strictTuples and strictRequired are off,
// because the Smart Data Models require properties that their allOf branches define.
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

export interface FieldProblem {
  /** Path of the value, "" for the document itself. */
  readonly field: string;
  readonly reason: string;
}

export interface SchemaOptions {
  /** Keywords the schemas carry as annotations only (the Smart Data Models add their own). */
  readonly annotations?: readonly string[];
  /**
   * Patterns as ECMA-262 with the u flag, as JSON Schema says (the default); false for schemas
   * whose patterns were written without it (some escapes are invalid with it).
   */
  readonly unicodePatterns?: boolean;
}

/** Schemas that may $ref one another, each validated by the key or $id it was added under. */
export class SchemaSet {
  readonly #ajv: Ajv2020;

  constructor(options: SchemaOptions = {}) {
    this.#ajv = new Ajv2020({
      allErrors: true,
      verbose: true,
      strictSchema: true,
      strictNumbers: true,
      strictTypes: false,
      strictTuples: false,
      strictRequired: false,
      unicodeRegExp: options.unicodePatterns ?? true,
    });
    addFormats.default(this.#ajv);
    for (const keyword of options.annotations ?? []) this.#ajv.addKeyword(keyword);
  }

  /** Adds a schema under `key` (and its $id); throws on a keyword or format ajv does not check. */
  add(schema: object, key?: string): this {
    this.#ajv.addSchema(schema, key);
    return this;
  }

  /** The validator of the schema added under `key` (compiled, with its $refs, on first use). */
  validator(key: string): (value: unknown) => FieldProblem[] {
    const validate = this.#ajv.getSchema(key);
    if (!validate) throw new Error(`schema ${key}: not loaded`);
    return problemsOf(validate);
  }

  /** Compiles one schema on its own. */
  compile(schema: object): (value: unknown) => FieldProblem[] {
    return problemsOf(this.#ajv.compile(schema));
  }
}

/** A validator for one schema that refers to no other. */
export function compileSchema(schema: object, options?: SchemaOptions): (value: unknown) => FieldProblem[] {
  return new SchemaSet(options).compile(schema);
}

function problemsOf(validate: ValidateFunction): (value: unknown) => FieldProblem[] {
  return (value) => {
    const text = notUnicode(value, '');
    if (validate(value)) return text;
    const errors = validate.errors ?? [];
    // Inside a failed anyOf or oneOf, every branch reports its own errors; the one useful line is
    // that no branch (or more than one) matched.
    const branches = errors
      .filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf')
      .map((e) => `${e.schemaPath}/`);
    const found = [
      ...errors.filter((e) => !branches.some((b) => e.schemaPath.startsWith(b))).map(problem),
      ...text,
    ];
    return inDocumentOrder(found, value);
  };
}

/**
 * Problems in the order a reader meets their fields in the document (ajv reports in the order of
 * its keywords: an unknown field before the known ones); a missing field sorts with its parent.
 * The sort is stable, so problems of one field keep ajv's order.
 */
function inDocumentOrder(problems: FieldProblem[], value: unknown): FieldProblem[] {
  const order = new Map<string, number>();
  const walk = (v: unknown, field: string): void => {
    order.set(field, order.size);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${field}[${i}]`));
    else if (typeof v === 'object' && v !== null)
      for (const [k, x] of Object.entries(v)) walk(x, child(field, k));
  };
  walk(value, '');
  const rank = (field: string): number => {
    // Up from the field to the nearest part the document has; the root is always there.
    for (let f = field; ;) {
      const at = order.get(f);
      if (at !== undefined) return at;
      const up = f.replace(/(\.[^.[]*|\[\d+\])$/, '');
      f = up === f ? '' : up;
    }
  };
  return problems
    .map((p, i) => ({ p, i, r: rank(p.field) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.p);
}

/**
 * JSON Schema strings are Unicode text; a lone UTF-16 surrogate (possible through JSON's \uD800
 * escape) is not, and protobuf cannot carry it as UTF-8. ajv does not look, so this walk does.
 */
function notUnicode(v: unknown, field: string, out: FieldProblem[] = []): FieldProblem[] {
  if (typeof v === 'string') {
    if (/\p{Cs}/u.test(v))
      out.push({ field, reason: 'is not valid Unicode text (it holds a lone UTF-16 surrogate)' });
  } else if (Array.isArray(v)) v.forEach((x, i) => notUnicode(x, `${field}[${i}]`, out));
  else if (typeof v === 'object' && v !== null)
    for (const [k, x] of Object.entries(v)) notUnicode(x, child(field, k), out);
  return out;
}

/** "/lighting/steps/0/at" → "lighting.steps[0].at" (RFC 6901 escapes undone). */
function fieldOf(pointer: string): string {
  let field = '';
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    field = /^\d+$/.test(part) ? `${field}[${part}]` : child(field, part);
  }
  return field;
}

const child = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

function describe(v: unknown): string {
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
    return `${typeof v} ${JSON.stringify(v)}`;
  return typeof v;
}

const article = (noun: string): string => (/^[aeiou]/.test(noun) ? 'an' : 'a');

/** One ajv error in calle's words (the wording the hand-written validators used, kept). */
function problem(e: ErrorObject): FieldProblem {
  const field = fieldOf(e.instancePath);
  const p = e.params as Record<string, unknown>;
  const data: unknown = e.data;
  const limit = String(p.limit);
  const at = (reason: string, where = field): FieldProblem => ({ field: where, reason });
  switch (e.keyword) {
    case 'type': {
      const wanted = String(p.type).split(',');
      if (wanted.includes('integer') && typeof data === 'number' && Number.isFinite(data))
        return at(`must be a whole number, got ${data}`);
      const list = wanted.join(' or ');
      return at(`must be ${article(list)} ${list}, got ${describe(data)}`);
    }
    case 'enum':
      return at(
        `${JSON.stringify(data)} must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      );
    case 'const':
      return at(`${JSON.stringify(data)} must be ${JSON.stringify(p.allowedValue)}`);
    case 'minimum':
      return at(`${String(data)} is below the minimum ${limit}`);
    case 'maximum':
      return at(`${String(data)} is above the maximum ${limit}`);
    case 'exclusiveMinimum':
      return at(`${String(data)} must be greater than ${limit}`);
    case 'exclusiveMaximum':
      return at(`${String(data)} must be less than ${limit}`);
    case 'minLength':
      return at(data === '' ? 'must not be empty' : `is shorter than ${limit} characters`);
    case 'maxLength':
      return at(`is longer than ${limit} characters`);
    case 'pattern':
      return at(`${JSON.stringify(data)} does not match ${String(p.pattern)}`);
    case 'format':
      return at(`is not a valid ${String(p.format)}`);
    case 'minItems':
      return at(`needs at least ${limit} item(s)`);
    case 'maxItems':
      return at(`has more than ${limit} items`);
    case 'uniqueItems':
      return at('items must be unique');
    case 'required':
      return at('is required', child(field, String(p.missingProperty)));
    case 'dependencies':
    case 'dependentRequired':
      return at(`is required with ${String(p.property)}`, child(field, String(p.missingProperty)));
    case 'additionalProperties': {
      const known = Object.keys((e.parentSchema?.properties as object | undefined) ?? {});
      return at(`unknown field (known: ${known.join(', ')})`, child(field, String(p.additionalProperty)));
    }
    case 'anyOf':
      return at('matches none of anyOf');
    case 'oneOf': {
      const passing = p.passingSchemas as number[] | null;
      return at(`must match exactly one of oneOf, matches ${passing?.length ?? 0}`);
    }
    default:
      return at(e.message ?? `fails ${e.keyword}`);
  }
}
