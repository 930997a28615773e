// The edge's persisted trust state: the highest policy version it has authenticated, the digest of
// that bundle, and the key it was pinned to. Kept in its own table of the edge database, written in
// one synchronous transaction before the policy is acted on.
//
// Why persist it separately from the applied policy: TUF's threat model (rollback, freeze,
// mix-and-match) holds only if the client remembers what it already trusted across restarts; go-tuf
// CVE-2022-29173 is a client that forgot and could be served older signed metadata. Here an attacker
// on the carrier link who recorded an old, validly signed bundle must not be able to hand it back
// after a reboot, nor after a bundle that was authenticated but refused on bounds.
//
// The table is created by this module (CREATE TABLE IF NOT EXISTS) rather than by a numbered
// migration in edge/store: it belongs to trust, and a single row with a fixed key needs no
// migration history. Version the name (trust_state_v1) if its shape ever changes.
import type { Db } from '../store/edge-db.js';

export interface TrustedVersion {
  /** Highest version authenticated by the pinned key (0: none yet). */
  readonly version: number;
  /** SHA-256 (hex) of that bundle's signed payload; '' when version is 0. */
  readonly digest: string;
  /** Key id the edge was pinned to when it recorded it. */
  readonly keyId: string;
  readonly updatedMs: number;
}

const NONE: TrustedVersion = { version: 0, digest: '', keyId: '', updatedMs: 0 };

export class TrustState {
  readonly #get;
  readonly #put;

  constructor(db: Db) {
    // synchronous=FULL is set on the connection by openDatabase (edge/store/edge-db.ts): a
    // recorded version survives a power cut the moment record() returns.
    db.exec(`
      CREATE TABLE IF NOT EXISTS trust_state_v1 (
        id         INTEGER PRIMARY KEY CHECK (id = 1),
        version    INTEGER NOT NULL,
        digest     TEXT    NOT NULL,
        key_id     TEXT    NOT NULL,
        updated_ms INTEGER NOT NULL
      ) STRICT`);
    this.#get = db.prepare<[], TrustedVersion>(
      'SELECT version, digest, key_id AS keyId, updated_ms AS updatedMs FROM trust_state_v1 WHERE id = 1',
    );
    // MAX() in the statement itself: even a caller that forgot to compare can never lower it.
    this.#put = db.prepare<[{ version: number; digest: string; keyId: string; updatedMs: number }]>(`
      INSERT INTO trust_state_v1 (id, version, digest, key_id, updated_ms)
      VALUES (1, @version, @digest, @keyId, @updatedMs)
      ON CONFLICT (id) DO UPDATE SET
        digest = CASE WHEN excluded.version > version THEN excluded.digest ELSE digest END,
        version = MAX(version, excluded.version),
        key_id = excluded.key_id, updated_ms = excluded.updated_ms`);
  }

  current(): TrustedVersion {
    return this.#get.get() ?? NONE;
  }

  /** Raises the trusted version (never lowers it) and records the key in use. */
  record(version: number, digest: string, keyId: string, nowMs: number): void {
    this.#put.run({ version, digest, keyId, updatedMs: nowMs });
  }
}
