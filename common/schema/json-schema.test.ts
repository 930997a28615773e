import test from 'ava';
import { compileSchema, SchemaSet } from './json-schema.js';

const SCHEMA = {
  type: 'object',
  required: ['name', 'limits'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, pattern: '^[a-z]+$' },
    limits: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['max'],
        properties: { max: { type: 'integer', minimum: 0, maximum: 10 }, unit: { enum: ['s', 'ms'] } },
      },
    },
    ratio: { type: 'number', exclusiveMinimum: 0 },
  },
};

const lines = (problems: { field: string; reason: string }[]): string[] =>
  problems.map((p) => `${p.field}: ${p.reason}`);

test('json schema — every problem at once, in document order, each naming the field in its own spelling', (t) => {
  const check = compileSchema(SCHEMA);
  t.deepEqual(check({ name: 'ok', limits: [{ max: 3 }] }), []);
  t.deepEqual(
    lines(check({ extra: 1, name: 'Bad', limits: [{ max: 2.5 }, { max: 11, unit: 'h' }, {}], ratio: 0 })),
    [
      'extra: unknown field (known: name, limits, ratio)',
      'name: "Bad" does not match ^[a-z]+$',
      'limits[0].max: must be a whole number, got 2.5',
      'limits[1].max: 11 is above the maximum 10',
      'limits[1].unit: "h" must be one of "s", "ms"',
      'limits[2].max: is required',
      'ratio: 0 must be greater than 0',
    ],
  );
});

test('json schema — a missing top-level field sorts with the document and does not hang the sort', (t) => {
  // A field the document lacks ranks with its nearest present parent: here the root, first.
  t.deepEqual(lines(compileSchema(SCHEMA)({ name: '' })), [
    'limits: is required',
    'name: must not be empty',
    'name: "" does not match ^[a-z]+$',
  ]);
});

test('json schema — NaN and Infinity are not numbers; a lone surrogate is not text', (t) => {
  const check = compileSchema(SCHEMA);
  t.deepEqual(lines(check({ name: 'a', limits: [{ max: 1 }], ratio: Number.NaN })), [
    'ratio: must be a number, got NaN',
  ]);
  t.deepEqual(lines(check({ name: 'a', limits: [{ max: Number.POSITIVE_INFINITY }] })), [
    'limits[0].max: must be an integer, got Infinity',
  ]);
  t.deepEqual(lines(compileSchema({ type: 'array', items: { type: 'string' } })(['ok', 'x\ud800'])), [
    '[1]: is not valid Unicode text (it holds a lone UTF-16 surrogate)',
  ]);
});

test('json schema — an unknown keyword or format is refused when compiling, not ignored', (t) => {
  t.throws(() => compileSchema({ type: 'string', maxLenght: 3 }), {
    message: /unknown keyword: "maxLenght"/,
  });
  t.throws(() => compileSchema({ type: 'string', format: 'e-mail' }), { message: /unknown format "e-mail"/ });
  t.notThrows(() => new SchemaSet({ annotations: ['modelTags'] }).compile({ modelTags: '', type: 'string' }));
});

test('json schema — a failed anyOf or oneOf is one line, not one per branch; $refs resolve across the set', (t) => {
  const set = new SchemaSet()
    .add({
      $id: 'https://example.org/common.json',
      $defs: { id: { anyOf: [{ format: 'uri' }, { pattern: '^x' }] } },
    })
    .add(
      { type: 'object', properties: { id: { $ref: 'https://example.org/common.json#/$defs/id' } } },
      'thing',
    );
  const check = set.validator('thing');
  t.deepEqual(check({ id: 'urn:a:b' }), []);
  t.deepEqual(lines(check({ id: 'not a uri' })), ['id: matches none of anyOf']);
  const one = compileSchema({ oneOf: [{ type: 'number' }, { type: 'integer' }] });
  t.deepEqual(lines(one(1)), [': must match exactly one of oneOf, matches 2']);
  t.throws(() => set.validator('nothing'), { message: 'schema nothing: not loaded' });
});
