// Enrolment records in the coordinator database (tables of migration 2): which edges the operator
// provisioned, with which key, NATS user and approval state, and the one-time tokens that let a new
// edge introduce its key. It takes the connection CoordinatorDb opened (CoordinatorDb.sqlite), or
// one the fleet CLI opened on the same file: WAL lets the CLI write while the coordinator runs,
// and the coordinator reads the state on every rpc, so an approval takes effect at once.
//
// A replicated coordinator (cloud/replication) keeps the record in JetStream KV instead, and these
// tables are each replica's materialised copy (putReplicated), read on every rpc as before. Such a
// database is marked (markReplicated) so that `calle fleet` refuses to write into the copy, where a
// change would reach neither the other replicas nor survive the next update from KV.
import type Database from 'better-sqlite3';
import {
  approvalRefusal,
  tokenRefusal,
  unknownEdge,
  type IdentityState,
  type TokenClaim,
  type TokenRecord,
} from './enrolment-rules.js';
import { hashEnrolmentToken, newEnrolmentToken } from './enrolment-token.js';

export type { IdentityState, TokenClaim };

export interface EdgeIdentityRow {
  readonly edgeId: string;
  readonly district: string;
  readonly state: IdentityState;
  /** Raw Ed25519 key; null until the edge enrols. */
  readonly publicKey: Buffer | null;
  readonly natsNkey: string | null;
  readonly createdMs: number;
  readonly enrolledMs: number | null;
  readonly approvedMs: number | null;
  readonly revokedMs: number | null;
}

/** One token as stored (and replicated): its hash, never the token. */
export interface StoredToken {
  readonly hash: string;
  readonly district: string;
  readonly createdMs: number;
  readonly expiresMs: number;
  readonly usedMs: number | null;
}

/**
 * The database header's user_version while a replicated coordinator owns the file. The coordinator
 * schema is versioned in its schema_version table (migrations.ts), so user_version is free.
 */
const REPLICATED_MARK = 1;

export interface IssuedToken {
  /** The token itself: shown once, never stored. */
  readonly token: string;
  readonly expiresMs: number;
}

export class EnrolmentStore {
  readonly #db: Database.Database;
  readonly #s;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#s = {
      get: db.prepare(`
        SELECT edge_id AS edgeId, district, state, public_key AS publicKey, nats_nkey AS natsNkey,
          created_ms AS createdMs, enrolled_ms AS enrolledMs, approved_ms AS approvedMs,
          revoked_ms AS revokedMs
        FROM edge_identities WHERE edge_id = ?`),
      list: db.prepare(`
        SELECT edge_id AS edgeId, district, state, public_key AS publicKey, nats_nkey AS natsNkey,
          created_ms AS createdMs, enrolled_ms AS enrolledMs, approved_ms AS approvedMs,
          revoked_ms AS revokedMs
        FROM edge_identities ORDER BY edge_id`),
      // A first token invites the edge; a later one (new board, re-key, after a revocation) keeps
      // the row and its state until the token is used.
      invite: db.prepare(`
        INSERT INTO edge_identities (edge_id, district, state, created_ms) VALUES (?, ?, 'invited', ?)
        ON CONFLICT (edge_id) DO NOTHING`),
      setNkey: db.prepare('UPDATE edge_identities SET nats_nkey = ? WHERE edge_id = ?'),
      insertToken: db.prepare(`
        INSERT INTO enrolment_tokens (token_hash, edge_id, district, created_ms, expires_ms)
        VALUES (?, ?, ?, ?, ?)`),
      getToken: db.prepare(`
        SELECT edge_id AS edgeId, district, expires_ms AS expiresMs, used_ms AS usedMs
        FROM enrolment_tokens WHERE token_hash = ?`),
      tokensOf: db.prepare(`
        SELECT token_hash AS hash, district, created_ms AS createdMs, expires_ms AS expiresMs,
          used_ms AS usedMs
        FROM enrolment_tokens WHERE edge_id = ? ORDER BY created_ms, token_hash`),
      putIdentity: db.prepare(`
        INSERT INTO edge_identities (edge_id, district, state, public_key, nats_nkey, created_ms,
          enrolled_ms, approved_ms, revoked_ms)
        VALUES (@edgeId, @district, @state, @publicKey, @natsNkey, @createdMs, @enrolledMs,
          @approvedMs, @revokedMs)
        ON CONFLICT (edge_id) DO UPDATE SET district = excluded.district, state = excluded.state,
          public_key = excluded.public_key, nats_nkey = excluded.nats_nkey,
          created_ms = excluded.created_ms, enrolled_ms = excluded.enrolled_ms,
          approved_ms = excluded.approved_ms, revoked_ms = excluded.revoked_ms`),
      dropAllTokens: db.prepare('DELETE FROM enrolment_tokens WHERE edge_id = ?'),
      putToken: db.prepare(`
        INSERT INTO enrolment_tokens (token_hash, edge_id, district, created_ms, expires_ms, used_ms)
        VALUES (@hash, @edgeId, @district, @createdMs, @expiresMs, @usedMs)`),
      useToken: db.prepare(
        'UPDATE enrolment_tokens SET used_ms = ? WHERE token_hash = ? AND used_ms IS NULL',
      ),
      enrol: db.prepare(`
        UPDATE edge_identities SET state = 'pending', public_key = ?, district = ?, enrolled_ms = ?,
          approved_ms = NULL, revoked_ms = NULL
        WHERE edge_id = ?`),
      approve: db.prepare(`UPDATE edge_identities SET state = 'approved', approved_ms = ? WHERE edge_id = ?`),
      revoke: db.prepare(`UPDATE edge_identities SET state = 'revoked', revoked_ms = ? WHERE edge_id = ?`),
      // Unused tokens of a revoked edge die with it: a token leaked with the stolen board must not
      // bring it back.
      dropTokens: db.prepare('DELETE FROM enrolment_tokens WHERE edge_id = ? AND used_ms IS NULL'),
    };
  }

  get(edgeId: string): EdgeIdentityRow | undefined {
    return this.#s.get.get(edgeId) as EdgeIdentityRow | undefined;
  }

  list(): EdgeIdentityRow[] {
    return this.#s.list.all() as EdgeIdentityRow[];
  }

  /** The tokens issued for `edgeId`, used or not, oldest first. */
  tokensOf(edgeId: string): StoredToken[] {
    return this.#s.tokensOf.all(edgeId) as StoredToken[];
  }

  /** Throws ENROLMENT_REFUSED naming why `o.token` cannot enrol this edge now; changes nothing. */
  checkToken(o: Omit<TokenClaim, 'publicKey'>): void {
    const problem = tokenRefusal(
      this.#s.getToken.get(hashEnrolmentToken(o.token)) as TokenRecord | undefined,
      o,
    );
    if (problem) throw problem;
  }

  /**
   * Replaces this edge's row and tokens with the replicated record (state-mirror.ts): the record
   * is the whole truth about the edge, so tokens absent from it (voided by a revocation) go.
   */
  putReplicated(row: EdgeIdentityRow, tokens: readonly StoredToken[]): void {
    this.#db.transaction(() => {
      this.#s.putIdentity.run(row);
      this.#s.dropAllTokens.run(row.edgeId);
      for (const t of tokens) this.#s.putToken.run({ ...t, edgeId: row.edgeId });
    })();
  }

  /** Marks (or unmarks) the file as a replica's copy; see the head of this file. */
  markReplicated(on: boolean): void {
    this.#db.pragma(`user_version = ${on ? REPLICATED_MARK : 0}`);
  }

  /** Whether a replicated coordinator owns this file (its enrolment lives in NATS KV). */
  get replicated(): boolean {
    return this.#db.pragma('user_version', { simple: true }) === REPLICATED_MARK;
  }

  /** Creates a one-time token bound to `edgeId` (inviting the edge if it is new). */
  issueToken(o: {
    edgeId: string;
    district: string;
    ttlMs: number;
    nowMs: number;
    /** NATS user public key to record for the edge (replaces the previous one). */
    natsNkey?: string;
  }): IssuedToken {
    const token = newEnrolmentToken();
    const expiresMs = o.nowMs + o.ttlMs;
    this.#db.transaction(() => {
      this.#s.invite.run(o.edgeId, o.district, o.nowMs);
      if (o.natsNkey !== undefined) this.#s.setNkey.run(o.natsNkey, o.edgeId);
      this.#s.insertToken.run(hashEnrolmentToken(token), o.edgeId, o.district, o.nowMs, expiresMs);
    })();
    return { token, expiresMs };
  }

  /**
   * Uses a token to enrol `publicKey` for `edgeId`: the token must exist, be unused, unexpired and
   * bound to this edge and district. The edge becomes pending (a re-enrolment replaces its key and
   * waits for approval again). All or nothing; throws ENROLMENT_REFUSED naming the reason.
   */
  consumeToken(o: TokenClaim): EdgeIdentityRow {
    return this.#db.transaction(() => {
      this.checkToken(o);
      this.#s.useToken.run(o.nowMs, hashEnrolmentToken(o.token));
      this.#s.enrol.run(o.publicKey, o.district, o.nowMs, o.edgeId);
      return this.get(o.edgeId)!;
    })();
  }

  /** Approves a pending edge; throws naming why not. Approving an approved edge changes nothing. */
  approve(edgeId: string, nowMs: number): EdgeIdentityRow {
    return this.#db.transaction(() => {
      const row = this.#mustGet(edgeId);
      if (row.state === 'approved') return row;
      const problem = approvalRefusal(edgeId, row.state);
      if (problem) throw problem;
      this.#s.approve.run(nowMs, edgeId);
      return this.get(edgeId)!;
    })();
  }

  /** Revokes an edge in any state and drops its unused tokens. */
  revoke(edgeId: string, nowMs: number): EdgeIdentityRow {
    return this.#db.transaction(() => {
      this.#mustGet(edgeId);
      this.#s.revoke.run(nowMs, edgeId);
      this.#s.dropTokens.run(edgeId);
      return this.get(edgeId)!;
    })();
  }

  /** NATS users for the accounts file: every edge with an nkey that is not revoked. */
  natsUsers(): { edgeId: string; nkey: string }[] {
    return this.list()
      .filter((r) => r.state !== 'revoked' && r.natsNkey !== null)
      .map((r) => ({ edgeId: r.edgeId, nkey: r.natsNkey! }));
  }

  #mustGet(edgeId: string): EdgeIdentityRow {
    const row = this.get(edgeId);
    if (!row) throw unknownEdge(edgeId);
    return row;
  }
}
