// The FIWARE Smart Data Models schemas calle serves (Streetlight, StreetlightGroup,
// StreetlightControlCabinet, WasteContainer, TrafficFlowObserved), checked with the one JSON
// Schema validator (common/schema/json-schema.ts, ajv), offline: the `$ref`s to
// https://smart-data-models.github.io/data-models/common-schema.json resolve to a local copy.
// Strict as the rest: a keyword or format ajv does not check makes loading throw, so a schema
// update cannot add a rule that silently goes unchecked.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SchemaSet, type FieldProblem } from '../../common/schema/json-schema.js';

export type SchemaProblem = FieldProblem;

/** Where the SDM schemas say the common definitions live. */
export const COMMON_SCHEMA_URL = 'https://smart-data-models.github.io/data-models/common-schema.json';

/** Annotations SDM adds of its own: no effect on validity. */
const SDM_ANNOTATIONS = ['$schemaVersion', 'modelTags', 'derivedFrom', 'license'];

type Json = Record<string, unknown>;

export class SdmValidator {
  // SDM patterns are written for ECMA-262 without the unicode flag (some escapes are invalid with it).
  readonly #schemas = new SchemaSet({ annotations: SDM_ANNOTATIONS, unicodePatterns: false });

  /** Loads `<dir>/common-schema.json` and `<dir>/<Type>/schema.json` for each type. */
  static fromDirectory(dir: string, types: readonly string[]): SdmValidator {
    const v = new SdmValidator();
    v.add(COMMON_SCHEMA_URL, JSON.parse(readFileSync(join(dir, 'common-schema.json'), 'utf8')) as Json);
    for (const t of types) v.add(t, JSON.parse(readFileSync(join(dir, t, 'schema.json'), 'utf8')) as Json);
    return v;
  }

  /** Adds a schema under `name` (and its $id). Throws on a keyword or format ajv does not check. */
  add(name: string, schema: Json): void {
    // "@schemaLocation" (where the common schema is published) is not a name ajv takes as a
    // keyword; it is an annotation, so it is dropped rather than declared.
    const rest = { ...schema };
    delete rest['@schemaLocation'];
    this.#schemas.add(rest, name);
    // Compile now, so that a bad schema fails at load and not at the first entity.
    this.#schemas.validator(name);
  }

  /** Problems of `value` against the schema added as `name`; empty when it validates. */
  validate(name: string, value: unknown): SchemaProblem[] {
    return this.#schemas.validator(name)(value);
  }
}
