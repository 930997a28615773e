// calle.v1.PolicyService: delivers policy bundles to the edges they target and records the
// verdicts that come back. Watch is a long-lived server stream: it replays what the edge missed,
// from the store, then forwards each new publication. An edge that reconnects (after a link cut, a
// coordinator restart or a shutdown of this replica) resumes from its last applied version, so the
// stream itself holds no state worth keeping.
//
// Refreshes (a stored version re-signed with a later expiry, cloud/policies/policy-refresher.ts)
// go only to an edge that runs that version: the one it named when it opened the stream (sent
// first when the edge's copy expires earlier than the stored one), or the newest sent on this
// stream that it acknowledged as applied. Any other edge would refuse it (an older version is a
// replay to it) and overwrite its ack for that version with the refusal.
//
// The store is asynchronous, so one stream's work (the backlog, each offer, each refresh) runs one
// step at a time, in the order it arrived: a publication announced while the backlog is being read
// waits behind it, and the cursor then drops it if the backlog held it already.
import { Metadata, type ServerWritableStream } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { v1, type calle, type PolicyServiceHandlers } from '../../proto/index.js';
import { CoordinatorError, ErrorCodes } from '../errors.js';
import { authOf, type EdgeAdmission } from '../enrolment/edge-admission.js';
import { expiryOf } from '../../common/signing/policy-expiry.js';
import type { PolicyPublisher } from '../policies/policy-publisher.js';
import type { DeliveryGate } from '../rollouts/rollout-manager.js';
import { targetMatches } from '../policies/policy-target.js';
import type { CoordinatorStore } from '../store/coordinator-store.js';
import { notRegistered, requireEdgeId, rpcFailure } from './rpc-guards.js';

type WatchCall = ServerWritableStream<calle.v1.WatchRequest, calle.v1.IPolicyBundle>;

export interface PolicyServiceOptions {
  readonly store: CoordinatorStore;
  readonly publisher: PolicyPublisher;
  readonly log: Logger;
  readonly now?: () => number;
  /** Staged rollouts: holds a version back from edges outside its released stages. */
  readonly gate?: DeliveryGate;
  /** Only approved edges may watch and ack; absent = open (unit tests of this service only). */
  readonly admission?: EdgeAdmission;
}

export interface PolicyService {
  readonly handlers: PolicyServiceHandlers;
  /** Open Watch streams. */
  readonly watchCount: number;
  /**
   * Ends every open Watch with UNAVAILABLE. Needed before a graceful gRPC shutdown, which waits
   * for all calls to finish and would otherwise wait forever on these never-ending streams.
   */
  endWatches(): void;
}

export function createPolicyService({
  store,
  publisher,
  log,
  now = Date.now,
  gate,
  admission,
}: PolicyServiceOptions): PolicyService {
  const watches = new Map<WatchCall, () => void>();

  function watch(call: WatchCall): void {
    let edgeId: string;
    try {
      edgeId = requireEdgeId(call.request.edgeId);
      admission?.requireApproved(edgeId, 'Watch', authOf(call.metadata), now());
    } catch (err) {
      call.emit('error', rpcFailure(log, 'Watch', err));
      return;
    }
    const watchLog = log.child({ edgeId });
    // Highest version this stream has dealt with (sent, or skipped as not targeted at the edge).
    const from = call.request.lastAppliedVersion;
    let cursor = from;
    // Versions targeted at this edge but held back by a rollout stage not yet released to it. A
    // newer version sent meanwhile supersedes them: the edge would refuse a lower one anyway.
    const held = new Map<number, calle.v1.PolicyBundle>();

    // Versions written to this stream, newest last: which one the edge runs is read from its acks.
    const sent: number[] = [];
    const runs = async (): Promise<number> => {
      for (let i = sent.length - 1; i >= 0; i--)
        if ((await store.policies.ack(sent[i]!, edgeId))?.applied) return sent[i]!;
      return from;
    };
    const send = (version: number, bundle: calle.v1.PolicyBundle): void => {
      for (const v of held.keys()) if (v < version) held.delete(v);
      sent.push(version);
      // write() returning false only means the socket buffer is full; grpc-js still queues the
      // message. Policies are small and rare, so no extra flow control is needed here.
      call.write(bundle);
      watchLog.debug({ version }, 'policy sent');
    };

    let ended = false;
    const fail = (err: unknown): void => {
      if (ended) return;
      cleanup();
      call.emit('error', rpcFailure(watchLog, 'Watch', err));
    };
    // One step at a time, in arrival order (see the head of this file).
    let queue: Promise<void> = Promise.resolve();
    const step = (work: () => Promise<void> | void): void => {
      queue = queue
        .then(async () => {
          if (!ended) await work();
        })
        .catch(fail);
    };

    const offer = async (version: number, bundle: calle.v1.PolicyBundle): Promise<void> => {
      if (version <= cursor) return;
      cursor = version;
      // Look the edge up on every offer rather than once per stream: an edge that re-registers in
      // another district while watching must be targeted by its current registration.
      const edge = await store.registry.get(edgeId);
      if (!edge || !targetMatches(bundle.target, edge)) return;
      // Revoked since the stream opened: end it rather than hand it the policy (fail, via step).
      admission?.requireStanding(edgeId);
      if (gate && !gate.releasedTo(version, edgeId)) {
        held.set(version, bundle);
        watchLog.debug({ version }, 'policy held for a later rollout stage');
        return;
      }
      send(version, bundle);
    };

    const release = (version: number): void => {
      const bundle = held.get(version);
      if (!bundle || !gate?.releasedTo(version, edgeId)) return;
      held.delete(version);
      send(version, bundle);
    };

    const refresh = async (version: number, bundle: calle.v1.PolicyBundle): Promise<void> => {
      if (held.has(version)) held.set(version, bundle);
      else if (version > 0 && version === (await runs())) {
        call.write(bundle);
        watchLog.debug({ version }, 'policy refresh sent');
      }
    };

    // Subscribe before reading the backlog; what is announced meanwhile queues behind it.
    const unsubscribe = publisher.subscribe(({ version, bundle }) =>
      step(async () => offer(version, bundle)),
    );
    const unsubscribeRefresh = publisher.onRefresh(({ version, bundle }) =>
      step(async () => refresh(version, bundle)),
    );
    const unsubscribeGate = gate?.onRelease((version) => step(() => release(version)));
    const cleanup = (): void => {
      if (ended) return;
      ended = true;
      unsubscribe();
      unsubscribeRefresh();
      unsubscribeGate?.();
      watches.delete(call);
      watchLog.debug({ cursor }, 'watch ended');
    };
    watches.set(call, cleanup);
    // 'cancelled' covers a client cancel, a deadline and a dead connection (found by keepalive);
    // 'close'/'finish' cover the server ending the stream. cleanup() is idempotent.
    call.on('cancelled', cleanup);
    call.on('close', cleanup);
    call.on('finish', cleanup);

    step(async () => {
      // Targeting needs the edge's district and tags, which only registration provides.
      if (!(await store.registry.get(edgeId))) throw notRegistered(edgeId);
      // The version the edge runs, first, if its copy expires earlier than ours (an edge older than
      // expiry sends 0 and gets none: it could not verify a bundle carrying expires_ms). Not
      // re-targeted: the edge holds this version already, a later signature tells it nothing new.
      const appliedExpiresMs = Number(call.request.appliedExpiresMs ?? 0);
      const running = appliedExpiresMs > 0 && from > 0 ? await store.policies.get(from) : undefined;
      if (running) {
        const bundle = v1.PolicyBundle.decode(running.bundle);
        if (expiryOf(bundle) > appliedExpiresMs) {
          call.write(bundle);
          watchLog.debug({ version: from }, 'policy refresh sent');
        }
      }
      for (const stored of await store.policies.after(cursor))
        await offer(stored.version, v1.PolicyBundle.decode(stored.bundle));
      // Send headers now, even with no policy to send: the edge takes them as "the stream is open"
      // and reports its coordinator link as up without waiting for the next policy.
      call.sendMetadata(new Metadata());
      watchLog.info({ from, cursor }, 'watching policies');
    });
  }

  const ack: PolicyServiceHandlers['ack'] = (call, callback) => {
    const req = call.request;
    const version = req.version;
    void (async () => {
      const edgeId = requireEdgeId(req.edgeId);
      const timeMs = now();
      admission?.requireApproved(edgeId, 'Ack', authOf(call.metadata), timeMs);
      // The checks run inside the write (AckOutcome); answered after its commit. A refusal of a
      // version never published is kept, not bounced: it is how an operator learns that an edge
      // was handed a forged bundle (its version field is whatever the forger wrote).
      const outcome = await store.policies.recordAck({
        edgeId,
        version,
        applied: req.applied,
        reason: req.reason,
        timeMs,
      });
      if (outcome === 'unknown-edge') throw notRegistered(edgeId);
      if (outcome === 'unknown-version')
        throw new CoordinatorError(ErrorCodes.POLICY_NOT_FOUND, `version ${version} was never published`);
      const published = outcome === 'recorded';
      // A refusal is what an operator needs to see during a rollout; an application is routine.
      if (req.applied) log.info({ edgeId, version }, 'policy applied');
      else if (published) log.warn({ edgeId, version, reason: req.reason }, 'policy refused by edge');
      else
        log.error(
          { edgeId, version, reason: req.reason },
          'edge refused a policy this coordinator never published',
        );
      callback(null, { recorded: true });
    })().catch((err: unknown) => callback(rpcFailure(log, 'Ack', err)));
  };

  return {
    handlers: { watch, ack },
    get watchCount() {
      return watches.size;
    },
    endWatches() {
      const shuttingDown = new CoordinatorError(
        ErrorCodes.SHUTTING_DOWN,
        'coordinator shutting down; reconnect',
      );
      for (const [call, cleanup] of [...watches]) {
        cleanup();
        call.emit('error', shuttingDown.toGrpc());
      }
    },
  };
}
