// The one error a bad configuration file produces. Every problem found is kept, so a technician
// fixing the file in the street sees all of them at once instead of one per restart.

/** One thing wrong with a configuration file. */
export interface ConfigProblem {
  /** Path of the offending value, for example "devices[3].type" ("" for the whole file). */
  readonly field: string;
  /** Why it is wrong, in words a technician can act on. */
  readonly reason: string;
}

/**
 * Thrown by loadEdgeConfig. The message lists each problem on its own line as
 * `<file>: <field>: <reason>`; `field` and `reason` are those of the first problem.
 */
export class ConfigError extends Error {
  readonly code = 'CALLE_CONFIG_INVALID';
  readonly file: string;
  readonly field: string;
  readonly reason: string;
  readonly problems: readonly ConfigProblem[];

  constructor(file: string, problems: readonly ConfigProblem[], options?: { cause?: unknown }) {
    const list = problems.length > 0 ? problems : [{ field: '', reason: 'invalid configuration' }];
    super(
      list.map((p) => `${file}: ${p.field === '' ? '(file)' : p.field}: ${p.reason}`).join('\n'),
      options,
    );
    this.name = 'ConfigError';
    this.file = file;
    this.field = list[0]!.field;
    this.reason = list[0]!.reason;
    this.problems = list;
  }
}
