// Enrolment records in the coordinator database (tables of migration 2): which edges the operator
// provisioned, with which key, NATS user and approval state, and the one-time tokens that let a new
// edge introduce its key. It takes the connection CoordinatorDb opened (CoordinatorDb.sqlite), or
// one the fleet CLI opened on the same file: WAL lets the CLI write while the coordinator runs,
// and the coordinator reads the state on every rpc, so an approval takes effect at once.
import type Database from 'better-sqlite3';
import { CoordinatorError, ErrorCodes } from '../errors.js';
import { hashEnrolmentToken, newEnrolmentToken } from './enrolment-token.js';

export type IdentityState = 'invited' | 'pending' | 'approved' | 'revoked';

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

export interface IssuedToken {
  /** The token itself: shown once, never stored. */
  readonly token: string;
  readonly expiresMs: number;
}

const refuse = (reason: string): CoordinatorError =>
  new CoordinatorError(ErrorCodes.ENROLMENT_REFUSED, reason);

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
  consumeToken(o: {
    token: string;
    edgeId: string;
    district: string;
    publicKey: Buffer;
    nowMs: number;
  }): EdgeIdentityRow {
    return this.#db.transaction(() => {
      const hash = hashEnrolmentToken(o.token);
      const t = this.#s.getToken.get(hash) as
        { edgeId: string; district: string; expiresMs: number; usedMs: number | null } | undefined;
      // The messages go back to the caller, who may not be the edge the token was for: they say
      // what is wrong with the token, never anything about other edges.
      if (!t) throw refuse('enrolment_token: unknown token (mistyped, or revoked with its edge)');
      if (t.edgeId !== o.edgeId)
        throw refuse(`enrolment_token: issued for another edge, not ${JSON.stringify(o.edgeId)}`);
      if (t.usedMs !== null)
        throw refuse(
          `enrolment_token: already used at ${new Date(t.usedMs).toISOString()}; tokens are one-time`,
        );
      if (o.nowMs >= t.expiresMs)
        throw refuse(`enrolment_token: expired at ${new Date(t.expiresMs).toISOString()}; issue a new one`);
      if (t.district !== o.district)
        throw refuse(
          `district: the token was issued for district ${JSON.stringify(t.district)}, not ${JSON.stringify(o.district)}`,
        );
      this.#s.useToken.run(o.nowMs, hash);
      this.#s.enrol.run(o.publicKey, o.district, o.nowMs, o.edgeId);
      return this.get(o.edgeId)!;
    })();
  }

  /** Approves a pending edge; throws naming why not. Approving an approved edge changes nothing. */
  approve(edgeId: string, nowMs: number): EdgeIdentityRow {
    return this.#db.transaction(() => {
      const row = this.#mustGet(edgeId);
      if (row.state === 'approved') return row;
      if (row.state === 'invited')
        throw refuse(
          `edge ${JSON.stringify(edgeId)} has not enrolled yet: nothing to approve until it registers with its token`,
        );
      if (row.state === 'revoked')
        throw refuse(
          `edge ${JSON.stringify(edgeId)} is revoked; issue a new token (calle fleet token) to enrol it again`,
        );
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
    if (!row)
      throw new CoordinatorError(
        ErrorCodes.EDGE_NOT_ENROLLED,
        `edge ${JSON.stringify(edgeId)} is not known; issue a token first (calle fleet token)`,
      );
    return row;
  }
}
