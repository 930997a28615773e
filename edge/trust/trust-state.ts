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
// migration history. Version the name (trust_state_vN) if its shape ever changes.
//
// v2 (policy expiry): the digest names a version's content (common/signing/policy-expiry.ts
// contentDigest: everything but signature, key and expiry), so that the coordinator's re-signed
// copy of a version with a later expiry is recognised as the same policy. A v1 row held the digest
// of the whole signed payload; it is carried over as such (digest_of 'payload') and compared that
// way until a bundle matches it, when the row learns the content digest. trust_state_v1 is left in
// place: software rolled back to a v1 release then finds the floor it had, not none.
import type { Db } from '../../common/sqlite/open-database.js';

export interface TrustedVersion {
  /** Highest version authenticated by the pinned key (0: none yet). */
  readonly version: number;
  /** SHA-256 (hex) of that bundle, of the kind digestOf says; '' when version is 0. */
  readonly digest: string;
  /**
   * 'content': contentDigest (policy-expiry.ts). 'payload': the whole signed payload, as v1 of this
   * table recorded it (a row carried over from before bundles expired).
   */
  readonly digestOf: 'content' | 'payload';
  /** Key id the edge was pinned to when it recorded it. */
  readonly keyId: string;
  readonly updatedMs: number;
}

const NONE: TrustedVersion = { version: 0, digest: '', digestOf: 'content', keyId: '', updatedMs: 0 };

export class TrustState {
  readonly #get;
  readonly #put;
  readonly #learn;

  constructor(db: Db) {
    // synchronous=FULL is set on the connection by openDatabase (common/sqlite/open-database.ts): a
    // recorded version survives a power cut the moment record() returns.
    db.transaction(() => {
      db.exec(`
        CREATE TABLE IF NOT EXISTS trust_state_v2 (
          id         INTEGER PRIMARY KEY CHECK (id = 1),
          version    INTEGER NOT NULL,
          digest     TEXT    NOT NULL,
          digest_of  TEXT    NOT NULL CHECK (digest_of IN ('content', 'payload')),
          key_id     TEXT    NOT NULL,
          updated_ms INTEGER NOT NULL
        ) STRICT`);
      const v1 = db
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'trust_state_v1'")
        .get();
      if (v1)
        db.exec(`INSERT OR IGNORE INTO trust_state_v2 (id, version, digest, digest_of, key_id, updated_ms)
          SELECT id, version, digest, 'payload', key_id, updated_ms FROM trust_state_v1`);
    })();
    this.#get = db.prepare<[], TrustedVersion>(`
      SELECT version, digest, digest_of AS digestOf, key_id AS keyId, updated_ms AS updatedMs
      FROM trust_state_v2 WHERE id = 1`);
    // MAX() in the statement itself: even a caller that forgot to compare can never lower it.
    this.#put = db.prepare<[{ version: number; digest: string; keyId: string; updatedMs: number }]>(`
      INSERT INTO trust_state_v2 (id, version, digest, digest_of, key_id, updated_ms)
      VALUES (1, @version, @digest, 'content', @keyId, @updatedMs)
      ON CONFLICT (id) DO UPDATE SET
        digest = CASE WHEN excluded.version > version THEN excluded.digest ELSE digest END,
        digest_of = CASE WHEN excluded.version > version THEN 'content' ELSE digest_of END,
        version = MAX(version, excluded.version),
        key_id = excluded.key_id, updated_ms = excluded.updated_ms`);
    this.#learn = db.prepare<[{ version: number; digest: string }]>(`
      UPDATE trust_state_v2 SET digest = @digest, digest_of = 'content'
      WHERE id = 1 AND version = @version AND digest_of = 'payload'`);
  }

  current(): TrustedVersion {
    return this.#get.get() ?? NONE;
  }

  /** Raises the trusted version (never lowers it) with its content digest, and records the key in use. */
  record(version: number, digest: string, keyId: string, nowMs: number): void {
    this.#put.run({ version, digest, keyId, updatedMs: nowMs });
  }

  /**
   * A row carried over from v1 (digest of the signed payload) matched a bundle: from now on it
   * holds that bundle's content digest, so a re-signed copy of the version matches it too.
   */
  learnContentDigest(version: number, digest: string): void {
    this.#learn.run({ version, digest });
  }
}
