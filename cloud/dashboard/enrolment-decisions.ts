// Where the dashboard's enrolment decisions are made: the same code paths as `calle fleet approve |
// revoke` (bin/fleet-command.ts), so the page and the CLI refuse the same things with the same words
// (cloud/enrolment/enrolment-rules.ts).
//   one coordinator   EnrolmentStore on the coordinator's own connection (CoordinatorDb.sqlite)
//   replicated        the calle_enrolment KV record by compare-and-set (EnrolmentBucket), then a
//                     wait until this replica's mirror has copied the revision, so the page's next
//                     list and the edge's next Heartbeat on this replica already see it.
// Reads come from the local tables in both modes (a replica's copy of KV).
//
// The operator confirms the key id they checked against the cabinet (the id the edge logs at
// start); the decision must apply to that key and no other. HAZARD: an edge re-enrolling with a
// fresh token between the check and the write would get its new key approved. On one coordinator
// the check and the write run in one synchronous turn of the process that also decides every
// Register, so nothing can come between them. In KV another replica can, so an approval there
// checks the key inside the compare-and-set itself (EnrolmentBucket.change), with the shared rules;
// a revocation needs no such guard (shutting out a key nobody checked only errs on the safe side).
import { keyIdOfRaw } from '../../common/signing/edge-identity.js';
import { approvalRefusal, unknownEdge } from '../enrolment/enrolment-rules.js';
import type { EdgeIdentityRow, EnrolmentStore } from '../enrolment/enrolment-store.js';
import type { EnrolmentBucket } from '../replication/enrolment-bucket.js';

export type EnrolmentAction = 'approve' | 'revoke';

export interface EnrolmentDecisions {
  /** Every edge's enrolment record, as this coordinator reads it on every rpc. */
  list(): EdgeIdentityRow[];
  get(edgeId: string): EdgeIdentityRow | undefined;
  /**
   * Approves or revokes `edgeId` if its enrolled key id is still `keyId` ('' for an edge with no
   * key yet); throws (or rejects) with a CoordinatorError or KeyMismatchError naming the reason
   * otherwise. Synchronous on one coordinator, asynchronous on a replica.
   */
  decide(
    action: EnrolmentAction,
    edgeId: string,
    keyId: string,
    nowMs: number,
  ): EdgeIdentityRow | Promise<EdgeIdentityRow>;
}

/** The key id an operator compares with the cabinet's; '' while the edge has enrolled no key. */
export const keyIdOfRow = (row: Pick<EdgeIdentityRow, 'publicKey'>): string =>
  row.publicKey ? keyIdOfRaw(row.publicKey) : '';

/** The refusal when the key the operator checked is not the one enrolled now. */
export class KeyMismatchError extends Error {
  override readonly name = 'KeyMismatchError';
  readonly field = 'keyId';
  constructor(edgeId: string, wanted: string, enrolled: string) {
    super(
      `keyId: ${JSON.stringify(wanted)} is not the key edge ${JSON.stringify(edgeId)} enrolled ` +
        `(${enrolled === '' ? 'none yet' : JSON.stringify(enrolled)}); check the cabinet's key id again`,
    );
  }
}

/** One coordinator: the EnrolmentStore on the coordinator database, as `calle fleet --db`. */
export function localDecisions(store: EnrolmentStore): EnrolmentDecisions {
  return {
    list: () => store.list(),
    get: (edgeId) => store.get(edgeId),
    // Check and write in one synchronous turn (see the head of this file).
    decide: (action, edgeId, keyId, nowMs) => {
      const row = store.get(edgeId);
      if (!row) throw unknownEdge(edgeId);
      const enrolled = keyIdOfRow(row);
      if (enrolled !== keyId) throw new KeyMismatchError(edgeId, keyId, enrolled);
      return action === 'approve' ? store.approve(edgeId, nowMs) : store.revoke(edgeId, nowMs);
    },
  };
}

export interface ReplicatedDecisionsOptions {
  /** The replica's copy of KV, for reads. */
  readonly store: EnrolmentStore;
  /** The calle_enrolment bucket, bound on the coordinator's NATS connection; throws while away. */
  readonly bucket: () => Promise<EnrolmentBucket>;
  /** Resolves once this replica's mirror has applied `revision` of the enrolment bucket. */
  readonly applied: (revision: number) => Promise<void>;
}

/** Replicated coordinator: the KV record by compare-and-set, as `calle fleet --nats`. */
export function replicatedDecisions(o: ReplicatedDecisionsOptions): EnrolmentDecisions {
  return {
    list: () => o.store.list(),
    get: (edgeId) => o.store.get(edgeId),
    decide: async (action, edgeId, keyId, nowMs) => {
      const bucket = await o.bucket();
      let stored;
      if (action === 'approve')
        // EnrolmentBucket.approve with the key check inside the same compare-and-set.
        stored = await bucket.change(edgeId, (current) => {
          if (!current) throw unknownEdge(edgeId);
          const enrolled = current.publicKey ? keyIdOfRaw(Buffer.from(current.publicKey, 'base64')) : '';
          if (enrolled !== keyId) throw new KeyMismatchError(edgeId, keyId, enrolled);
          if (current.state === 'approved') return undefined;
          const problem = approvalRefusal(edgeId, current.state);
          if (problem) throw problem;
          return { ...current, state: 'approved', approvedMs: nowMs };
        });
      else {
        const current = await bucket.get(edgeId);
        if (!current) throw unknownEdge(edgeId);
        const enrolled = keyIdOfRow(current);
        if (enrolled !== keyId) throw new KeyMismatchError(edgeId, keyId, enrolled);
        stored = await bucket.revoke(edgeId, nowMs);
      }
      await o.applied(stored.revision);
      return stored.row;
    },
  };
}
