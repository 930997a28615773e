// The NGSI-LD query language (`q`), ETSI GS CIM 009 §4.9, evaluated over key-values entities:
//   q = term *( (";" | "|") term ),  "(" … ")" groups,  ";" = AND binds tighter than "|" = OR
//   term = attr | attr op value,  op ∈ == != > >= < <= ~= !~=
//   value = number | "quoted string" | true | false | ISO date | URI | list a,b,c | range a..b
// attr is a name, optionally with "[a.b]" into a compound value. Per §4.9, a term on an attribute
// the entity lacks is false for every operator (also !=). Not supported (400 with the reason):
// dotted sub-attribute paths (key-values entities have no sub-attributes).

export class NgsiQueryError extends Error {
  override readonly name = 'NgsiQueryError';
}

type Value = number | string | boolean;
type Op = '==' | '!=' | '>' | '>=' | '<' | '<=' | '~=' | '!~=';

type Node =
  | { kind: 'and' | 'or'; parts: Node[] }
  | { kind: 'exists'; attr: string; path: string[] }
  | {
      kind: 'cmp';
      attr: string;
      path: string[];
      op: Op;
      values: Value[];
      range?: [Value, Value];
      regex?: RegExp;
    };

export type EntityPredicate = (entity: Readonly<Record<string, unknown>>) => boolean;

const OPS: readonly Op[] = ['==', '!=', '>=', '<=', '!~=', '~=', '>', '<'];

export function parseQuery(q: string): EntityPredicate {
  let i = 0;
  const fail = (why: string): never => {
    throw new NgsiQueryError(`q: ${why} at position ${i} of ${JSON.stringify(q)}`);
  };

  const parseAttr = (): { attr: string; path: string[] } => {
    const m = /^[A-Za-z_@][A-Za-z0-9_:@-]*/.exec(q.slice(i));
    if (!m) return fail('expected an attribute name');
    i += m[0].length;
    if (q[i] === '.') fail('sub-attribute paths are not supported on key-values entities');
    let path: string[] = [];
    if (q[i] === '[') {
      const end = q.indexOf(']', i);
      if (end < 0) fail('unclosed "["');
      path = q.slice(i + 1, end).split('.');
      if (path.some((p) => p === '')) fail('empty compound path part');
      i = end + 1;
    }
    return { attr: m[0], path };
  };

  const parseScalar = (): Value => {
    if (q[i] === '"') {
      let s = '';
      i++;
      while (i < q.length && q[i] !== '"') {
        if (q[i] === '\\' && i + 1 < q.length) i++;
        s += q[i++];
      }
      if (q[i] !== '"') fail('unterminated string');
      i++;
      return s;
    }
    // Unquoted: up to a logical operator, a list comma, a range or a closing parenthesis.
    const m = /^[^;|,()"]+?(?=\.\.|[;|,)]|$)/.exec(q.slice(i));
    if (!m || m[0] === '') return fail('expected a value');
    i += m[0].length;
    const raw = m[0];
    if (raw === 'true') return true;
    if (raw === 'false') return false;
    if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(raw)) return Number(raw);
    return raw; // a date-time, date or URI: compared as text (ISO 8601 sorts as text)
  };

  const parseTerm = (): Node => {
    if (q[i] === '(') {
      i++;
      const inner = parseOr();
      if (q[i] !== ')') fail('expected ")"');
      i++;
      return inner;
    }
    const { attr, path } = parseAttr();
    const op = OPS.find((o) => q.startsWith(o, i));
    if (!op) {
      if (i < q.length && !';|)'.includes(q[i]!)) fail('expected an operator');
      return { kind: 'exists', attr, path };
    }
    i += op.length;
    if (op === '~=' || op === '!~=') {
      const pattern = parseScalar();
      try {
        return { kind: 'cmp', attr, path, op, values: [], regex: new RegExp(String(pattern)) };
      } catch {
        return fail(`bad regular expression ${JSON.stringify(pattern)}`);
      }
    }
    const first = parseScalar();
    if (q.startsWith('..', i)) {
      if (op !== '==' && op !== '!=') fail('a range needs == or !=');
      i += 2;
      return { kind: 'cmp', attr, path, op, values: [], range: [first, parseScalar()] };
    }
    const values = [first];
    while (q[i] === ',') {
      if (op !== '==' && op !== '!=') fail('a list needs == or !=');
      i++;
      values.push(parseScalar());
    }
    return { kind: 'cmp', attr, path, op, values };
  };

  const parseAnd = (): Node => {
    const parts = [parseTerm()];
    while (q[i] === ';') {
      i++;
      parts.push(parseTerm());
    }
    return parts.length === 1 ? parts[0]! : { kind: 'and', parts };
  };

  function parseOr(): Node {
    const parts = [parseAnd()];
    while (q[i] === '|') {
      i++;
      parts.push(parseAnd());
    }
    return parts.length === 1 ? parts[0]! : { kind: 'or', parts };
  }

  if (q.trim() === '') fail('empty query');
  const root = parseOr();
  if (i !== q.length) fail(`unexpected ${JSON.stringify(q[i])}`);
  return (entity) => evaluate(root, entity);
}

function lookup(entity: Readonly<Record<string, unknown>>, attr: string, path: string[]): unknown {
  let v: unknown = entity[attr];
  for (const p of path)
    v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[p] : undefined;
  return v;
}

function compare(a: unknown, b: Value): number | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : undefined;
  return undefined; // different types never compare (a number is not "less than" a string)
}

function matchOne(n: Extract<Node, { kind: 'cmp' }>, v: unknown): boolean {
  if (n.regex) return typeof v === 'string' && n.regex.test(v) === (n.op === '~=');
  if (n.range) {
    const lo = compare(v, n.range[0]);
    const hi = compare(v, n.range[1]);
    const inside = lo !== undefined && hi !== undefined && lo >= 0 && hi <= 0;
    return n.op === '==' ? inside : lo !== undefined && hi !== undefined && !inside;
  }
  if (n.op === '==') return n.values.some((x) => compare(v, x) === 0);
  if (n.op === '!=') return n.values.every((x) => compare(v, x) !== 0);
  const c = compare(v, n.values[0]!);
  if (c === undefined) return false;
  return n.op === '>' ? c > 0 : n.op === '>=' ? c >= 0 : n.op === '<' ? c < 0 : c <= 0;
}

function evaluate(n: Node, e: Readonly<Record<string, unknown>>): boolean {
  switch (n.kind) {
    case 'and':
      return n.parts.every((p) => evaluate(p, e));
    case 'or':
      return n.parts.some((p) => evaluate(p, e));
    case 'exists':
      return lookup(e, n.attr, n.path) !== undefined;
    case 'cmp': {
      const v = lookup(e, n.attr, n.path);
      if (v === undefined) return false;
      // A list-valued attribute (refStreetlight) matches when one of its items does (§4.9).
      return Array.isArray(v) ? v.some((x) => matchOne(n, x)) : matchOne(n, v);
    }
  }
}
