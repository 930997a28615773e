// Which representation the SDM schemas describe, checked rather than assumed: each model's
// key-values example validates and its normalized example does not, so calle validates (and
// builds) key-values entities and derives the normalized form from them.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ENTITY_TYPES } from './entity-builder.js';
import { SdmValidator } from './sdm-schema-validator.js';

const SDM_DIR = fileURLToPath(new URL('./sdm/', import.meta.url));
const example = (type: string, file: string): unknown =>
  JSON.parse(readFileSync(`${SDM_DIR}${type}/${file}`, 'utf8')) as unknown;

test('sdm schemas — key-values examples validate, normalized examples do not', (t) => {
  const validator = SdmValidator.fromDirectory(SDM_DIR, ENTITY_TYPES);
  for (const type of ENTITY_TYPES) {
    t.deepEqual(validator.validate(type, example(type, 'example.json')), [], `${type} key-values`);
    t.not(
      validator.validate(type, example(type, 'example-normalized.jsonld')).length,
      0,
      `${type} normalized`,
    );
  }
});

test('sdm schemas — $ref into the common schema, anyOf, format and uniqueItems are enforced', (t) => {
  const validator = SdmValidator.fromDirectory(SDM_DIR, ['StreetlightControlCabinet']);
  const cabinet = {
    id: 'urn:ngsi-ld:StreetlightControlCabinet:x',
    type: 'StreetlightControlCabinet',
    location: { type: 'Point', coordinates: [-3.7, 40.4] },
    refStreetlightGroup: ['urn:ngsi-ld:StreetlightGroup:x:a'],
    workingMode: 'automatic',
  };
  t.deepEqual(validator.validate('StreetlightControlCabinet', cabinet), []);
  const problems = (patch: Record<string, unknown>): string[] =>
    validator
      .validate('StreetlightControlCabinet', { ...cabinet, ...patch })
      .map((p) => `${p.field}: ${p.reason}`);
  t.deepEqual(problems({ id: 'has spaces' }), ['id: matches none of anyOf']);
  t.deepEqual(problems({ location: { type: 'Point', coordinates: [1] } }), [
    'location: must match exactly one of oneOf, matches 0',
  ]);
  t.deepEqual(problems({ dateModified: '2026-01-01 10:00' }), ['dateModified: is not a valid date-time']);
  t.deepEqual(problems({ refStreetlightGroup: ['a', 'a'] }), ['refStreetlightGroup: items must be unique']);
  t.deepEqual(problems({ workingMode: 'auto' }), [
    'workingMode: "auto" must be one of "automatic", "manual", "semiautomatic"',
  ]);
});

test('sdm schemas — an unknown keyword or format is refused when loading', (t) => {
  const v = new SdmValidator();
  t.throws(() => v.add('x', { type: 'object', properties: { a: { iff: {} } } }), {
    message: /unknown keyword: "iff"/,
  });
  t.throws(() => v.add('y', { format: 'ipv5' }), { message: /unknown format "ipv5"/ });
});
