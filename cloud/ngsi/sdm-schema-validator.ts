// A JSON Schema validator for the FIWARE Smart Data Models schemas calle serves (Streetlight,
// StreetlightGroup, StreetlightControlCabinet, WasteContainer, TrafficFlowObserved), offline: the
// `$ref`s to https://smart-data-models.github.io/data-models/common-schema.json resolve to a local
// copy. cloud/policies/schema-validator.ts covers the policy schema's keywords only; the SDM
// schemas also need $ref, allOf/anyOf/oneOf, uniqueItems, format and dependencies, so this is a
// separate, equally strict copy: any keyword outside KEYWORDS makes loading throw, so a schema
// update cannot add a rule that silently goes unchecked.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SchemaProblem {
  /** JSON path of the value ("" for the entity itself). */
  readonly field: string;
  readonly reason: string;
}

/** Where the SDM schemas say the common definitions live. */
export const COMMON_SCHEMA_URL = 'https://smart-data-models.github.io/data-models/common-schema.json';

const ASSERTIONS = new Set([
  '$ref',
  'allOf',
  'anyOf',
  'oneOf',
  'type',
  'enum',
  'properties',
  'required',
  'items',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'dependencies',
]);
// Annotations: no effect on validity. SDM adds its own ($schemaVersion, modelTags, @schemaLocation).
const ANNOTATIONS = new Set([
  '$schema',
  '$id',
  '$schemaVersion',
  'modelTags',
  'title',
  'description',
  '@schemaLocation',
  'definitions',
  'derivedFrom',
  'license',
]);

type Json = Record<string, unknown>;

/**
 * `format` checks (JSON Schema 2020-12 §7.3). date-time follows RFC 3339 §5.6, which is stricter
 * than Date.parse; uri requires a scheme (RFC 3986 §3). Formats not listed are refused at load.
 */
const FORMATS: Readonly<Record<string, (s: string) => boolean>> = {
  'date-time': (s) =>
    /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(s) &&
    !Number.isNaN(Date.parse(s)),
  date: (s) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(s)),
  time: (s) => /^\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?$/.test(s),
  uri: (s) => /^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]*$/.test(s),
  'idn-email': (s) => /^[^\s@]+@[^\s@]+$/.test(s),
};

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

const child = (path: string, key: string | number): string =>
  typeof key === 'number' ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`;

export class SdmValidator {
  /** Documents by URL (without fragment). */
  readonly #docs = new Map<string, Json>();
  readonly #regex = new Map<string, RegExp>();

  /** Loads `<dir>/common-schema.json` and `<dir>/<Type>/schema.json` for each type. */
  static fromDirectory(dir: string, types: readonly string[]): SdmValidator {
    const v = new SdmValidator();
    v.add(COMMON_SCHEMA_URL, JSON.parse(readFileSync(join(dir, 'common-schema.json'), 'utf8')) as Json);
    for (const t of types) {
      const schema = JSON.parse(readFileSync(join(dir, t, 'schema.json'), 'utf8')) as Json;
      v.add(t, schema);
    }
    return v;
  }

  /** Adds a schema under `name` (and its $id). Throws on a keyword this validator does not check. */
  add(name: string, schema: Json): void {
    this.#check(schema, `${name}#`);
    this.#docs.set(name, schema);
    if (typeof schema.$id === 'string') this.#docs.set(schema.$id, schema);
  }

  /** Problems of `value` against the schema added as `name`; empty when it validates. */
  validate(name: string, value: unknown): SchemaProblem[] {
    const schema = this.#docs.get(name);
    if (!schema) throw new Error(`schema ${name}: not loaded`);
    const problems: SchemaProblem[] = [];
    this.#validate(schema, schema, value, '', problems);
    return problems;
  }

  #check(schema: unknown, where: string): void {
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema))
      throw new Error(`schema ${where}: must be an object`);
    for (const [k, v] of Object.entries(schema)) {
      if (!ASSERTIONS.has(k) && !ANNOTATIONS.has(k))
        throw new Error(`schema ${where}: keyword "${k}" is not supported`);
      if (k === 'format' && !(String(v) in FORMATS))
        throw new Error(`schema ${where}: format "${String(v)}" is not supported`);
      if (k === 'properties' || k === 'definitions')
        for (const [name, sub] of Object.entries(v as Json)) this.#check(sub, `${where}/${k}/${name}`);
      else if (k === 'allOf' || k === 'anyOf' || k === 'oneOf')
        (v as unknown[]).forEach((sub, i) => this.#check(sub, `${where}/${k}/${i}`));
      else if (k === 'items') this.#check(v, `${where}/items`);
      else if (k === 'dependencies')
        for (const [name, dep] of Object.entries(v as Json))
          if (!Array.isArray(dep))
            throw new Error(`schema ${where}/dependencies/${name}: only property lists are supported`);
    }
  }

  #resolve(doc: Json, ref: string): { doc: Json; schema: Json } {
    const [url, fragment = ''] = ref.split('#');
    const target = url ? this.#docs.get(url) : doc;
    if (!target) throw new Error(`$ref ${ref}: document not loaded (map it to a local file)`);
    let node: unknown = target;
    for (const part of fragment.split('/').filter((p) => p !== ''))
      node = (node as Json | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    if (typeof node !== 'object' || node === null) throw new Error(`$ref ${ref}: nothing there`);
    return { doc: target, schema: node as Json };
  }

  #pattern(p: string): RegExp {
    let r = this.#regex.get(p);
    if (!r) {
      // SDM patterns are written for ECMA-262 without the unicode flag (some escapes are invalid with it).
      r = new RegExp(p);
      this.#regex.set(p, r);
    }
    return r;
  }

  #validate(doc: Json, s: Json, v: unknown, path: string, out: SchemaProblem[]): void {
    const bad = (reason: string): void => void out.push({ field: path, reason });
    if (typeof s.$ref === 'string') {
      const { doc: d, schema } = this.#resolve(doc, s.$ref);
      this.#validate(d, schema, v, path, out);
    }
    for (const sub of (s.allOf as Json[] | undefined) ?? []) this.#validate(doc, sub, v, path, out);
    const passes = (sub: Json): boolean => {
      const tmp: SchemaProblem[] = [];
      this.#validate(doc, sub, v, path, tmp);
      return tmp.length === 0;
    };
    if (Array.isArray(s.anyOf) && !(s.anyOf as Json[]).some(passes)) bad('matches none of anyOf');
    if (Array.isArray(s.oneOf)) {
      const n = (s.oneOf as Json[]).filter(passes).length;
      if (n !== 1) bad(`must match exactly one of oneOf, matches ${n}`);
    }
    const t = typeOf(v);
    if (s.type !== undefined) {
      const allowed = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
      if (!allowed.some((a) => a === t || (a === 'number' && t === 'integer')))
        return bad(`must be ${allowed.join(' or ')}, got ${t}`);
    }
    if (Array.isArray(s.enum) && !s.enum.some((e) => e === v))
      bad(`${JSON.stringify(v)} is not one of ${JSON.stringify(s.enum)}`);
    if (typeof v === 'number') {
      if (typeof s.minimum === 'number' && v < s.minimum) bad(`${v} is below the minimum ${s.minimum}`);
      if (typeof s.maximum === 'number' && v > s.maximum) bad(`${v} is above the maximum ${s.maximum}`);
    }
    if (typeof v === 'string') {
      const len = [...v].length;
      if (typeof s.minLength === 'number' && len < s.minLength) bad(`is shorter than ${s.minLength}`);
      if (typeof s.maxLength === 'number' && len > s.maxLength) bad(`is longer than ${s.maxLength}`);
      if (typeof s.pattern === 'string' && !this.#pattern(s.pattern).test(v))
        bad(`does not match ${s.pattern}`);
      if (typeof s.format === 'string' && !FORMATS[s.format]!(v)) bad(`is not a valid ${s.format}`);
    }
    if (Array.isArray(v)) {
      if (typeof s.minItems === 'number' && v.length < s.minItems)
        bad(`needs at least ${s.minItems} item(s)`);
      if (typeof s.maxItems === 'number' && v.length > s.maxItems) bad(`has more than ${s.maxItems} items`);
      if (s.uniqueItems === true && new Set(v.map((x) => JSON.stringify(x))).size !== v.length)
        bad('items must be unique');
      if (s.items !== undefined)
        v.forEach((x, i) => this.#validate(doc, s.items as Json, x, child(path, i), out));
    }
    if (t === 'object') {
      const obj = v as Json;
      for (const key of (s.required as string[] | undefined) ?? [])
        if (!(key in obj)) out.push({ field: child(path, key), reason: 'is required' });
      const props = (s.properties as Record<string, Json> | undefined) ?? {};
      for (const [key, value] of Object.entries(obj))
        if (Object.hasOwn(props, key)) this.#validate(doc, props[key]!, value, child(path, key), out);
      for (const [key, needs] of Object.entries(
        (s.dependencies as Record<string, string[]> | undefined) ?? {},
      ))
        if (key in obj)
          for (const n of needs)
            if (!(n in obj)) out.push({ field: child(path, n), reason: `is required with ${key}` });
    }
  }
}
