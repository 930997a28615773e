// The policies this node applied, kept so that a cold boot with no network runs the last one it
// had (autonomy first, BRIEF.md). Rows are protobuf bundles exactly as received, so a later
// signature check (a later issue) can verify them again at boot.
import type Database from 'better-sqlite3';
import { v1, type calle } from '../../proto/index.js';
import type { Db } from '../../common/sqlite/open-database.js';

export class PolicyStore {
  readonly #latest: Database.Statement<[], { version: number; bundle: Buffer }>;
  readonly #save: Database.Statement<[number, Uint8Array, number]>;

  constructor(db: Db) {
    this.#latest = db.prepare('SELECT version, bundle FROM applied_policy ORDER BY version DESC LIMIT 1');
    this.#save = db.prepare(
      'INSERT OR REPLACE INTO applied_policy (version, bundle, applied_ms) VALUES (?, ?, ?)',
    );
  }

  /** The newest applied bundle, or undefined when the node runs its built-in defaults. */
  latest(): calle.v1.PolicyBundle | undefined {
    const row = this.#latest.get();
    return row ? v1.PolicyBundle.decode(row.bundle) : undefined;
  }

  /** Highest version applied (0 = built-in defaults). */
  latestVersion(): number {
    return this.#latest.get()?.version ?? 0;
  }

  save(bundle: calle.v1.IPolicyBundle, appliedMs: number): void {
    this.#save.run(Number(bundle.version ?? 0), v1.PolicyBundle.encode(bundle).finish(), appliedMs);
  }
}
