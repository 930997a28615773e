// The coordinator's store on PostgreSQL (`calle cloud --db postgres://…`, CoordinatorStore):
// several coordinators share one database and keep no state of their own. Each part of the store
// has its file (pg-*.ts); this one opens the pool, migrates, and closes.
//
// Durability: PostgreSQL's default synchronous_commit=on flushes the WAL at every commit, as
// SQLite's synchronous=FULL does here, so an acked NATS message is on disk.
import pg from 'pg';
import type { CoordinatorStore } from '../coordinator-store.js';
import { PgPolicies } from './pg-policies.js';
import { PgRegistry } from './pg-registry.js';
import { PgRollouts } from './pg-rollouts.js';
import { migratePg } from './pg-schema.js';
import { PgSeries } from './pg-series.js';
import { PgTelemetry } from './pg-telemetry.js';

/** BIGINT (oid 20) as a JavaScript number: seqs, times and counters stay far below 2^53. */
const parseDefault = pg.types.getTypeParser.bind(pg.types) as (oid: number, format?: string) => unknown;
const types = {
  getTypeParser: ((oid: number, format?: string): unknown =>
    oid === 20 ? (v: string) => Number(v) : parseDefault(oid, format)) as typeof pg.types.getTypeParser,
};

/** Whether `location` (a --db value) names a PostgreSQL database rather than a SQLite file. */
export const isPostgresUrl = (location: string): boolean => /^postgres(ql)?:\/\//.test(location);

/** The URL without its password, for logs and errors. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}

export class PgStore implements CoordinatorStore {
  readonly backend = 'postgres';
  readonly registry: PgRegistry;
  readonly telemetry: PgTelemetry;
  readonly policies: PgPolicies;
  readonly rollouts: PgRollouts;
  readonly series: PgSeries;
  #closing: Promise<void> | undefined;

  private constructor(readonly pool: pg.Pool) {
    this.series = new PgSeries(pool);
    this.registry = new PgRegistry(pool);
    this.telemetry = new PgTelemetry(pool, this.series);
    this.rollouts = new PgRollouts(pool);
    this.policies = new PgPolicies(pool);
  }

  /** Connects and migrates; throws naming the database (without its password) if it cannot. */
  static async open(url: string, options: { readonly poolSize?: number } = {}): Promise<PgStore> {
    const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10, types });
    // An idle client losing its server (a restart) must not crash the process: the pool drops it.
    pool.on('error', () => undefined);
    try {
      await migratePg(pool, redactUrl(url));
      const store = new PgStore(pool);
      await store.series.load();
      return store;
    } catch (err) {
      await pool.end();
      throw err;
    }
  }

  async close(): Promise<void> {
    this.#closing ??= this.pool.end();
    return this.#closing;
  }
}
