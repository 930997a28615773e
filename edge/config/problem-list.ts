// The problems found in one site file, from the schema and from the checks that join several keys.
// Two rules keep the list readable: one problem per field (the first found: "is required" rather
// than also "unknown device"), and the list in the file's own order, so a technician reads it top
// to bottom beside the file whichever check found each problem.
import type { ConfigProblem } from './config-error.js';

/** `devices` + 3 → `devices[3]`, `edge` + `id` → `edge.id`. */
export const at = (path: string, key: string | number): string =>
  typeof key === 'number' ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`;

export class ProblemList {
  readonly #problems: ConfigProblem[] = [];

  get length(): number {
    return this.#problems.length;
  }

  add(problems: Iterable<ConfigProblem>): void {
    for (const p of problems) this.fail(p.field, p.reason);
  }

  /** Records a problem (unless the field has one already); returns undefined for `return fail(…)`. */
  fail(field: string, reason: string): undefined {
    if (!this.#problems.some((p) => p.field === field)) this.#problems.push({ field, reason });
    return undefined;
  }

  /**
   * True when nothing is wrong at `field` or inside it, so a check may rely on its shape. Checks
   * that join several fields ask this of each, and say nothing when one is already reported.
   */
  sound(...fields: string[]): boolean {
    return fields.every(
      (f) =>
        !this.#problems.some(
          (p) =>
            p.field === f ||
            (p.field.startsWith(f) && (p.field[f.length] === '.' || p.field[f.length] === '[')),
        ),
    );
  }

  /** `v` if it is a string and its field has no problem; otherwise undefined (already reported). */
  text(v: unknown, field: string): string | undefined {
    return typeof v === 'string' && this.sound(field) ? v : undefined;
  }

  /** `v` if it is a number and its field has no problem (within the schema's bounds). */
  number(v: unknown, field: string): number | undefined {
    return typeof v === 'number' && this.sound(field) ? v : undefined;
  }

  /** The problems in the order their fields appear in `doc`; a missing key just after its parent. */
  inDocumentOrder(doc: unknown): ConfigProblem[] {
    const position = new Map<string, number>();
    let n = 0;
    const walk = (v: unknown, path: string): void => {
      position.set(path, n++);
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
      else if (v !== null && typeof v === 'object')
        for (const [k, x] of Object.entries(v))
          if (x !== undefined) walk(x, path === '' ? k : `${path}.${k}`);
    };
    walk(doc, '');
    const rank = (field: string): number => {
      let f = field;
      let missing = 0;
      for (;;) {
        const found = position.get(f);
        if (found !== undefined) return found + missing;
        missing = 0.5;
        if (f === '') return position.size;
        const cut = Math.max(f.lastIndexOf('.'), f.lastIndexOf('['));
        f = cut <= 0 ? '' : f.slice(0, cut);
      }
    };
    // Array.prototype.sort is stable: problems at one field keep the order they were found in.
    return [...this.#problems].sort((a, b) => rank(a.field) - rank(b.field));
  }
}

/** The items of `v` if it is an array, else none (the schema reported it). */
export const itemsOf = (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : []);

/** `v` as an object to read keys from; {} when it is not one (the schema reported it). */
export const fieldsOf = (v: unknown): Readonly<Record<string, unknown>> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
