// The coordinator's store on one SQLite file (CoordinatorStore): the embedded default, for one
// coordinator. Opens and migrates the file and hands each part of the store the one connection.
// Besides the interface it offers what only SQLite replicas need (the KV replication of
// cloud/replication: synchronous copies, the change listener, the raw connection).
/* eslint-disable @typescript-eslint/require-await -- the store's interface is asynchronous (PostgreSQL is a round trip); here each method is one synchronous better-sqlite3 call, and `async` turns its throw into a rejection. */
import Database from 'better-sqlite3';
import type { CoordinatorStore } from '../coordinator-store.js';
import { GroupCommitter } from '../group-committer.js';
import { migrate } from '../migrations.js';
import type { RegistryChange } from '../store-types.js';
import { moveLegacyReadings } from './sqlite-legacy-readings.js';
import { SqlitePolicies } from './sqlite-policies.js';
import { SqliteRegistry } from './sqlite-registry.js';
import { SqliteRollouts } from './sqlite-rollouts.js';
import { SqliteSeries } from './sqlite-series.js';
import { SqliteTelemetry } from './sqlite-telemetry.js';

export class SqliteStore implements CoordinatorStore {
  readonly backend = 'sqlite';
  readonly #db: Database.Database;
  /**
   * Shared group committer for small unary writes (Register, Heartbeat, Ack): writes submitted in
   * the same event-loop turn share one transaction and one fsync (group-committer.ts).
   */
  readonly grouped: GroupCommitter;
  readonly registry: SqliteRegistry;
  readonly telemetry: SqliteTelemetry;
  readonly policies: SqlitePolicies;
  readonly rollouts: SqliteRollouts;
  readonly series: SqliteSeries;
  #onChange: ((change: RegistryChange) => void) | undefined;

  /** Opens (creating if needed) and migrates the database file. Throws on a newer schema. */
  constructor(readonly file: string) {
    const db = new Database(file);
    try {
      db.pragma('journal_mode = WAL');
      // better-sqlite3 builds SQLite with WAL defaulting to synchronous=NORMAL, where the last
      // commits can roll back after a power cut (REFERENCE §6). We ack NATS messages after commit,
      // so a commit must be durable: FULL fsyncs the WAL on every commit.
      db.pragma('synchronous = FULL');
      // Checkpoint every ~16 MB of WAL rather than SQLite's 4 MB: ingest rewrites the same hot
      // leaf pages (one per edge) commit after commit, and a checkpoint copies each page once
      // however often it was rewritten, so rarer checkpoints copy and fsync far fewer pages
      // (issue #5: ~30 % less commit time at 1,024 messages per commit; the longest commit, the
      // one that checkpoints, measured no longer than at the default).
      db.pragma('wal_autocheckpoint = 4000');
      // Readers on other connections (the fleet CLI) may hold the file briefly.
      db.pragma('busy_timeout = 5000');
      migrate(db, file);
      this.series = new SqliteSeries(db);
      moveLegacyReadings(db, this.series);
    } catch (err) {
      db.close();
      throw err;
    }
    this.#db = db;
    this.grouped = new GroupCommitter(this);
    const changed = (change: RegistryChange): void => this.#onChange?.(change);
    this.registry = new SqliteRegistry(db, this.grouped, changed);
    this.telemetry = new SqliteTelemetry(db, this.series);
    this.rollouts = new SqliteRollouts(db);
    this.policies = new SqlitePolicies(db, this.grouped, changed, (r) => this.rollouts.insertNow(r));
  }

  /**
   * Reports registry and ack changes (register, heartbeat, recordAck) to `listener` (one listener;
   * undefined removes it). The KV replication of SQLite replicas uses it; a throw from the
   * listener fails the write, so it must only queue work.
   */
  setChangeListener(listener: ((change: RegistryChange) => void) | undefined): void {
    this.#onChange = listener;
  }

  /** The durability settings in force on this connection (synchronous is per connection). */
  durability(): { journalMode: string; synchronous: number } {
    return {
      journalMode: this.#db.pragma('journal_mode', { simple: true }) as string,
      synchronous: this.#db.pragma('synchronous', { simple: true }) as number,
    };
  }

  /**
   * Runs `fn` in one transaction and returns its result; nested calls become savepoints. For
   * writes that span several parts and for the group committer.
   */
  transaction<T>(fn: () => T): T {
    return this.#db.transaction(fn)();
  }

  /** The connection, for tables kept beside the store's (cloud/enrolment, cloud/replication). */
  get sqlite(): Database.Database {
    return this.#db;
  }

  /** Whether a transaction is open on this connection (false after SQLite rolled one back). */
  get inTransaction(): boolean {
    return this.#db.inTransaction;
  }

  async close(): Promise<void> {
    this.closeNow();
  }

  closeNow(): void {
    if (!this.#db.open) return;
    // Writes still queued for a group would otherwise be lost with their callers never answered.
    this.grouped.flush();
    this.#db.close();
  }
}
