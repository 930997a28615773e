// calle.v1.FleetService: edges introduce themselves and then report, every few seconds, that they
// are alive and how far their outbox has got. The registry lives in the coordinator database.
import type { Logger } from 'pino';
import { v1, type FleetServiceHandlers } from '../../proto/index.js';
import { authOf, type EdgeAdmission } from '../enrolment/edge-admission.js';
import type { CoordinatorStore } from '../store/coordinator-store.js';
import { notRegistered, requireEdgeId, rpcFailure } from './rpc-guards.js';

/**
 * Seconds between heartbeats that the coordinator asks for. Ten seconds lets the dashboard mark an
 * edge stale within half a minute (three missed beats) while 10,000 edges cost the coordinator
 * only ~1,000 small writes a second.
 */
export const HEARTBEAT_INTERVAL_S = 10;

export interface FleetServiceOptions {
  readonly store: CoordinatorStore;
  readonly log: Logger;
  /** Clock, for tests. */
  readonly now?: () => number;
  /**
   * Enrolment (cloud/enrolment/edge-admission.ts). Absent = open registration, as before
   * enrolment existed: for unit tests of this service only; the coordinator always passes one.
   */
  readonly admission?: EdgeAdmission;
}

export function createFleetService({
  store,
  log,
  now = Date.now,
  admission,
}: FleetServiceOptions): FleetServiceHandlers {
  return {
    // Both writes are answered only after the commit holding their row; on SQLite calls arriving
    // together share one commit (the group committer, issue #5).
    register(call, callback) {
      const req = call.request;
      void (async () => {
        const id = requireEdgeId(req.edgeId);
        const nowMs = now();
        const admitted = admission?.register(
          // Every field stored below is covered by the signature (common/signing/register-proof.ts).
          {
            edgeId: id,
            district: req.district,
            tags: req.tags,
            softwareVersion: req.softwareVersion,
            publicKey: req.publicKey,
            enrolmentToken: req.enrolmentToken,
            timeMs: req.timeMs,
            signature: req.signature,
          },
          nowMs,
        ) ?? { state: 'open' };
        if (admitted.state === 'pending') {
          // Not an error: the edge is where it should be and polls until an operator approves it.
          callback(null, {
            accepted: false,
            serverTimeMs: nowMs,
            heartbeatIntervalS: HEARTBEAT_INTERVAL_S,
            state: v1.EdgeState.EDGE_STATE_PENDING,
            reason: admitted.reason,
          });
          return;
        }
        const edge = {
          id,
          district: req.district,
          tags: [...new Set(req.tags)],
          softwareVersion: req.softwareVersion,
          nowMs,
        };
        await store.registry.register(edge);
        log.info({ edgeId: id, district: req.district, version: req.softwareVersion }, 'edge registered');
        callback(null, {
          accepted: true,
          serverTimeMs: nowMs,
          heartbeatIntervalS: HEARTBEAT_INTERVAL_S,
          state:
            admitted.state === 'approved'
              ? v1.EdgeState.EDGE_STATE_APPROVED
              : v1.EdgeState.EDGE_STATE_UNSPECIFIED,
        });
      })().catch((err: unknown) => callback(rpcFailure(log, 'Register', err)));
    },

    heartbeat(call, callback) {
      const req = call.request;
      void (async () => {
        const id = requireEdgeId(req.edgeId);
        const nowMs = now();
        admission?.requireApproved(id, 'Heartbeat', authOf(call.metadata), nowMs);
        const beat = {
          id,
          nowMs,
          highestSeq: req.highestSeq,
          outboxPending: req.outboxPending,
          policyVersion: req.policyVersion,
          devicesUnavailable: req.devicesUnavailable,
        };
        const known = await store.registry.heartbeat(beat);
        // NOT_FOUND tells the edge to call Register again: the usual cause is a coordinator whose
        // database was restored from a backup older than the edge's registration.
        if (!known) throw notRegistered(id);
        callback(null, { serverTimeMs: nowMs });
      })().catch((err: unknown) => callback(rpcFailure(log, 'Heartbeat', err)));
    },
  };
}
