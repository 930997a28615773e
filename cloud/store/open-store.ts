// Opens the coordinator's store named by `--db`: a postgres:// URL is the shared PostgreSQL
// backend, anything else a SQLite file (made and migrated if needed).
import type { EnrolmentMode } from '../enrolment/edge-admission.js';
import type { CoordinatorStore } from './coordinator-store.js';
import { isPostgresUrl, PgStore, redactUrl } from './postgres/pg-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';

export async function openStore(location: string, enrolment: EnrolmentMode): Promise<CoordinatorStore> {
  if (!isPostgresUrl(location)) return new SqliteStore(location);
  // Enrolment records (tokens, keys, approvals) are kept in SQLite only so far: coordinators on
  // PostgreSQL would each see their own, so an approval on one would not admit an edge on another.
  if (enrolment !== 'open')
    throw new Error(
      `--db ${redactUrl(location)}: enrolment on PostgreSQL is not implemented yet; run with --enrolment open on a ` +
        'network only your cabinets reach, or keep the coordinator on SQLite',
    );
  try {
    return await PgStore.open(location);
  } catch (err) {
    throw new Error(`--db ${redactUrl(location)}: ${(err as Error).message}`, { cause: err });
  }
}
