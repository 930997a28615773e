// Enrolment state of a replicated coordinator in JetStream KV (bucket calle_enrolment): one key per
// edge, its value the whole record — identity (state, public key, NATS user, timestamps) and every
// token issued for it (hashes only). Each replica's SQLite holds a copy (state-mirror.ts), read by
// EdgeAdmission on every rpc; this is where the record changes.
//
// A bucket of its own rather than keys in calle_edges: the registry is what edges say about
// themselves, copied last-writer-wins on heartbeats, while this is what operators decided, changed
// only by compare-and-set; the split mirrors the SQLite tables (migration 2) and lets NATS
// permissions on $KV.calle_enrolment.> be granted apart from the registry's.
//
// Tokens live inside their edge's record, not under keys of their own: a token enrols one edge
// only, and spending it (token used + edge pending with its key) is then one compare-and-set on one
// key. Of two replicas spending the same token at once, exactly one update succeeds; the other
// re-reads the record, finds the token used and refuses — fleet-wide one-time use with no lock.
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  approvalRefusal,
  tokenRefusal,
  unknownEdge,
  type IdentityState,
  type TokenClaim,
} from '../enrolment/enrolment-rules.js';
import type { EdgeIdentityRow, IssuedToken, StoredToken } from '../enrolment/enrolment-store.js';
import { hashEnrolmentToken, newEnrolmentToken } from '../enrolment/enrolment-token.js';
import { isCasConflict } from './replicated-writes.js';
import { BUCKETS, decodeEntry, encodeEntry } from './state-entries.js';

/** One edge's enrolment record as stored under its id. */
export interface EnrolmentEntry {
  readonly district: string;
  readonly state: IdentityState;
  /** Raw Ed25519 key, base64; null until the edge enrols. */
  readonly publicKey: string | null;
  readonly natsNkey: string | null;
  readonly createdMs: number;
  readonly enrolledMs: number | null;
  readonly approvedMs: number | null;
  readonly revokedMs: number | null;
  readonly tokens: readonly StoredToken[];
}

export interface StoredEnrolment {
  readonly row: EdgeIdentityRow;
  /** The KV revision the record was written at (state-mirror.ts waits for it). */
  readonly revision: number;
}

/** Attempts before a change gives up (each lost to another writer of the same edge's record). */
const MAX_ATTEMPTS = 20;

export function rowOf(edgeId: string, e: EnrolmentEntry): EdgeIdentityRow {
  return {
    edgeId,
    district: e.district,
    state: e.state,
    publicKey: e.publicKey === null ? null : Buffer.from(e.publicKey, 'base64'),
    natsNkey: e.natsNkey,
    createdMs: e.createdMs,
    enrolledMs: e.enrolledMs,
    approvedMs: e.approvedMs,
    revokedMs: e.revokedMs,
  };
}

export function entryOf(row: EdgeIdentityRow, tokens: readonly StoredToken[]): EnrolmentEntry {
  return {
    district: row.district,
    state: row.state,
    publicKey: row.publicKey === null ? null : row.publicKey.toString('base64'),
    natsNkey: row.natsNkey,
    createdMs: row.createdMs,
    enrolledMs: row.enrolledMs,
    approvedMs: row.approvedMs,
    revokedMs: row.revokedMs,
    tokens,
  };
}

export const decodeEnrolment = (bytes: Uint8Array, edgeId: string): EnrolmentEntry =>
  decodeEntry<EnrolmentEntry>(bytes, `enrolment ${edgeId}`);

export class EnrolmentBucket {
  readonly kv: KV;

  constructor(kv: KV) {
    this.kv = kv;
  }

  /**
   * Binds to the bucket a replicated coordinator created (the fleet CLI); throws naming the
   * bucket if there is none yet, rather than creating one with settings only the coordinator knows.
   */
  static async bind(nc: NatsConnection): Promise<EnrolmentBucket> {
    const kv = await new Kvm(nc).open(BUCKETS.enrolment);
    try {
      await kv.status();
    } catch (err) {
      throw new Error(
        `NATS KV bucket ${BUCKETS.enrolment}: not found (${(err as Error).message}); start a replicated coordinator (calle cloud --replica-id) once to create it`,
        { cause: err },
      );
    }
    return new EnrolmentBucket(kv);
  }

  async get(edgeId: string): Promise<EdgeIdentityRow | undefined> {
    const got = await this.kv.get(edgeId);
    return got?.operation === 'PUT' ? rowOf(edgeId, decodeEnrolment(got.value, edgeId)) : undefined;
  }

  /** Every edge's record, by id. */
  async list(): Promise<EdgeIdentityRow[]> {
    const ids: string[] = [];
    for await (const key of await this.kv.keys()) ids.push(key);
    ids.sort();
    const rows: EdgeIdentityRow[] = [];
    // A hundred gets in flight: a 10,000-edge fleet in about a second, without flooding the server.
    for (let i = 0; i < ids.length; i += 100) {
      const got = await Promise.all(ids.slice(i, i + 100).map(async (id) => this.get(id)));
      for (const row of got) if (row) rows.push(row);
    }
    return rows;
  }

  /**
   * Applies `change` to the edge's current record (undefined if it has none) and stores the result
   * by compare-and-set, re-reading and re-applying when another writer got there first. `change`
   * throws to refuse, or returns undefined to leave the record as it is.
   */
  async change(
    edgeId: string,
    change: (current: EnrolmentEntry | undefined) => EnrolmentEntry | undefined,
  ): Promise<StoredEnrolment> {
    for (let attempt = 1; ; attempt++) {
      const got = await this.kv.get(edgeId);
      const current = got?.operation === 'PUT' ? decodeEnrolment(got.value, edgeId) : undefined;
      const next = change(current);
      if (!next) return { row: rowOf(edgeId, current!), revision: got!.revision };
      try {
        const bytes = encodeEntry(next);
        const revision = current
          ? await this.kv.update(edgeId, bytes, got!.revision)
          : await this.kv.create(edgeId, bytes);
        return { row: rowOf(edgeId, next), revision };
      } catch (err) {
        if (!isCasConflict(err) || attempt >= MAX_ATTEMPTS) throw err;
      }
    }
  }

  /** EnrolmentStore.issueToken, fleet-wide. */
  async issueToken(o: {
    edgeId: string;
    district: string;
    ttlMs: number;
    nowMs: number;
    natsNkey?: string;
  }): Promise<IssuedToken & { revision: number }> {
    const token = newEnrolmentToken();
    const expiresMs = o.nowMs + o.ttlMs;
    const stored: StoredToken = {
      hash: hashEnrolmentToken(token),
      district: o.district,
      createdMs: o.nowMs,
      expiresMs,
      usedMs: null,
    };
    const { revision } = await this.change(o.edgeId, (current) => {
      // As in SQLite: a first token invites the edge; a later one keeps its record and state.
      const base: EnrolmentEntry = current ?? {
        district: o.district,
        state: 'invited',
        publicKey: null,
        natsNkey: null,
        createdMs: o.nowMs,
        enrolledMs: null,
        approvedMs: null,
        revokedMs: null,
        tokens: [],
      };
      return {
        ...base,
        ...(o.natsNkey !== undefined ? { natsNkey: o.natsNkey } : {}),
        tokens: [...base.tokens, stored],
      };
    });
    return { token, expiresMs, revision };
  }

  /** EnrolmentStore.consumeToken, fleet-wide: at most one spend of a token ever succeeds. */
  async consume(c: TokenClaim): Promise<StoredEnrolment> {
    const hash = hashEnrolmentToken(c.token);
    return this.change(c.edgeId, (current) => {
      const t = current?.tokens.find((x) => x.hash === hash);
      const problem = tokenRefusal(t && { ...t, edgeId: c.edgeId }, c);
      if (problem) throw problem;
      return {
        ...current!,
        state: 'pending',
        publicKey: c.publicKey.toString('base64'),
        district: c.district,
        enrolledMs: c.nowMs,
        approvedMs: null,
        revokedMs: null,
        tokens: current!.tokens.map((x) => (x.hash === hash ? { ...x, usedMs: c.nowMs } : x)),
      };
    });
  }

  /** EnrolmentStore.approve, fleet-wide. */
  async approve(edgeId: string, nowMs: number): Promise<StoredEnrolment> {
    return this.change(edgeId, (current) => {
      if (!current) throw unknownEdge(edgeId);
      if (current.state === 'approved') return undefined;
      const problem = approvalRefusal(edgeId, current.state);
      if (problem) throw problem;
      return { ...current, state: 'approved', approvedMs: nowMs };
    });
  }

  /** EnrolmentStore.revoke, fleet-wide: unused tokens die with the edge. */
  async revoke(edgeId: string, nowMs: number): Promise<StoredEnrolment> {
    return this.change(edgeId, (current) => {
      if (!current) throw unknownEdge(edgeId);
      return {
        ...current,
        state: 'revoked',
        revokedMs: nowMs,
        tokens: current.tokens.filter((x) => x.usedMs !== null),
      };
    });
  }
}
