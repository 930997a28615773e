// Staged rollouts: a policy version goes out stage by stage (one edge → 10 % → 100 % by default),
// and each stage must pass a health gate before the next one is released:
//   - every edge of the stage acked the version as applied, within the stage timeout, and
//   - no critical alarm became active on any edge released so far, from the stage's release until
//     `windowMs` after its last ack.
// A refusal, a critical alarm or a timeout halts the rollout and rolls it back on its own: the
// content of the previous version for the same target is published again as a new, higher
// version, signed now (edges never go back to a lower version, so a rollback moves forward).
//
// Delivery is gated here, at the coordinator: PolicyService.Watch asks `releasedTo` before it
// sends a version to an edge and re-offers held versions when `onRelease` fires. An edge outside
// the released stages therefore never holds the version, whatever it does. The state lives in
// the store, so a restarted coordinator resumes the gate where it stood (stage timers included).
//
// One asynchronous API whatever the deployment. Records are changed through the replication
// interface (RolloutReplication: the store's compare-and-set, cloud/replication/store-writes.ts, or
// JetStream KV for SQLite replicas), which reports every stored record back (applyReplicated).
// Only the leader evaluates gates (always, for a lone coordinator); every change names the
// revision it was decided on, so an operator's halt on one coordinator and the leader's stage
// release on another cannot overwrite each other.
import type { Logger } from 'pino';
import type { calle } from '../../proto/index.js';
import type { PolicyHistory } from '../policies/policy-history.js';
import type { PolicyDraft, PolicyPublisher } from '../policies/policy-publisher.js';
import type { CoordinatorStore, EdgeView } from '../store/coordinator-store.js';
import { RolloutError, RolloutErrors } from './rollout-errors.js';
import { decideGate } from './rollout-gate.js';
import { stageOf } from './rollout-plan.js';
import { firstRecord, normalTarget, planRollout, type RolloutOptions } from './rollout-start.js';
import type { RolloutRecord } from './rollout-store.js';

/** What PolicyService.Watch needs from rollouts (cloud/grpc/policy-service.ts). */
export interface DeliveryGate {
  /** False while `version` is held back from `edgeId` by a stage not yet released. */
  releasedTo(version: number, edgeId: string): boolean;
  /** Calls `listener` with a version whenever more edges may receive it; returns the unsubscribe. */
  onRelease(listener: (version: number) => void): () => void;
}

/** Where records change (cloud/replication: store-writes.ts, or replicated-writes.ts in KV). */
export interface RolloutReplication {
  /** Whether this coordinator is the leader: only the leader evaluates gates. */
  isLeader(): boolean;
  /**
   * Compare-and-set of one record: `change` gets the record and returns the fields to change, or
   * undefined to leave it as it is (a throw rejects). Without `retry` the revision this replica
   * knows now is the expected one and a lost race gives up (the gate decides again on the fresh
   * record); with it the change is re-applied to the newer record. Resolves with the record once
   * it was reported back (applyReplicated), or undefined when nothing changed.
   */
  update(
    id: number,
    change: (current: RolloutRecord) => Partial<RolloutRecord> | undefined,
    retry: boolean,
  ): Promise<RolloutRecord | undefined>;
}

export interface RolloutManagerOptions {
  readonly store: CoordinatorStore;
  readonly publisher: PolicyPublisher;
  readonly history: PolicyHistory;
  readonly log: Logger;
  /** How often gates are evaluated; default 1 s. */
  readonly tickMs?: number;
  readonly now?: () => number;
  /** Where records change (see the head of this file). */
  readonly replication: RolloutReplication;
}

export { RolloutError, RolloutErrors, type RolloutOptions };

export class RolloutManager implements DeliveryGate {
  readonly #store: CoordinatorStore;
  readonly #publisher: PolicyPublisher;
  readonly #history: PolicyHistory;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #byVersion = new Map<number, RolloutRecord>();
  readonly #listeners = new Set<(version: number) => void>();
  readonly #timer: NodeJS.Timeout;
  readonly #unsubscribe: () => void;
  readonly #replication: RolloutReplication;
  // Rollouts with a change on its way: the gate skips them until it has landed.
  readonly #inFlight = new Set<number>();
  #ticking: Promise<void> | undefined;

  constructor(options: RolloutManagerOptions) {
    this.#store = options.store;
    this.#publisher = options.publisher;
    this.#history = options.history;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    this.#replication = options.replication;
    this.#unsubscribe = this.#publisher.subscribe(async ({ version, bundle, rollbackOf }) =>
      this.#superseded(version, bundle, rollbackOf),
    );
    this.gateTickMs = options.tickMs ?? 1_000;
    this.#timer = setInterval(() => void this.tick(), this.gateTickMs);
    this.#timer.unref();
  }

  /** How often the health gate looks: the floor of a rollout's window and stage timeout (rollout-bounds.ts). */
  readonly gateTickMs: number;

  // --- the gate ------------------------------------------------------------------------------

  releasedTo(version: number, edgeId: string): boolean {
    const r = this.#byVersion.get(version);
    if (!r) return true;
    if (r.state === 'completed' || r.releasedStages >= r.cuts.length) return true;
    return stageOf(r.cuts, edgeId) <= r.releasedStages;
  }

  onRelease(listener: (version: number) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  // --- operator actions ----------------------------------------------------------------------

  /** Publishes `draft` as a new version and starts delivering it to its first stage. */
  async start(draft: PolicyDraft, options: RolloutOptions = {}): Promise<RolloutRecord> {
    const plan = await planRollout(this.#store, this.#history, draft, options);
    // The id is the version: versions are unique across coordinators already, so the rollout
    // needs no allocator of its own.
    const bundle = await this.#publisher.publish(draft, {
      rollout: (version) => firstRecord(version, draft, options, plan, this.#now()),
    });
    const record = this.#byVersion.get(Number(bundle.version));
    // publish resolves after the record was reported back (applyReplicated) and the version announced.
    if (!record) throw new Error(`rollout for version ${bundle.version} missing after its publication`);
    this.#log.info(
      { rollout: record.id, version: record.version, stages: plan.stages.sizes },
      'rollout started',
    );
    return record;
  }

  async get(id: number): Promise<RolloutRecord | undefined> {
    return (await this.#store.rollouts.get(id))?.record;
  }

  async list(): Promise<RolloutRecord[]> {
    return (await this.#store.rollouts.list()).map((r) => r.record);
  }

  /** Stops releasing stages; edges that have the version keep it. */
  async halt(id: number, reason = 'halted by the operator'): Promise<RolloutRecord> {
    return this.#operate(id, ['running'], () => ({ state: 'halted', reason }));
  }

  /** Continues a halted rollout: the current stage's gate starts afresh. */
  async resume(id: number): Promise<RolloutRecord> {
    return this.#operate(id, ['halted'], () => ({
      state: 'running',
      reason: '',
      stageStartedMs: this.#now(),
      allAppliedMs: null,
    }));
  }

  /** Publishes the previous content again for the whole target and ends the rollout. */
  async rollback(id: number, reason = 'rolled back by the operator'): Promise<RolloutRecord> {
    const states = ['running', 'halted', 'completed'] as const;
    const r = await this.#require(id, states);
    return (await this.#rollBack(r, reason, states)) ?? this.#current(id);
  }

  /**
   * Evaluates every running rollout's gate once. Runs on a timer; tests may call it directly. A
   * call while a tick is running waits for that one instead of starting another.
   */
  async tick(): Promise<void> {
    this.#ticking ??= this.#tick().finally(() => {
      this.#ticking = undefined;
    });
    return this.#ticking;
  }

  async #tick(): Promise<void> {
    if (!this.#replication.isLeader()) return;
    const running = [...this.#byVersion.values()].filter(
      (r) => r.state === 'running' && !this.#inFlight.has(r.id),
    );
    if (running.length === 0) return;
    // Read once per tick for every running rollout: stages are hash cuts, so a stage's edges are
    // the targeted registered edges whose hash falls in it (50,000 rows: a few tens of ms).
    let edges: EdgeView[];
    try {
      edges = await this.#store.registry.listRegistered();
    } catch (err) {
      this.#log.error({ err }, 'rollout gate: the registry could not be read');
      return;
    }
    for (const r of running) {
      try {
        await this.#evaluate(r, edges);
      } catch (err) {
        this.#log.error({ err, rollout: r.id }, 'rollout gate evaluation failed');
      }
    }
  }

  /**
   * A record stored (here or by another coordinator) and reported by the replication interface:
   * remembered, and versions held by Watch streams re-offered when more edges may now have them.
   */
  applyReplicated(record: RolloutRecord): void {
    const before = this.#byVersion.get(record.version);
    const r = { ...record };
    this.#byVersion.set(r.version, r);
    const more =
      !before ||
      r.releasedStages > before.releasedStages ||
      (r.state === 'completed' && before.state !== 'completed');
    if (more) this.#releaseListeners(r.version);
  }

  close(): void {
    clearInterval(this.#timer);
    this.#unsubscribe();
    this.#listeners.clear();
  }

  // --- internals -----------------------------------------------------------------------------

  async #evaluate(r: RolloutRecord, edges: readonly EdgeView[]): Promise<void> {
    const decision = decideGate({
      record: r,
      edges,
      acks: await this.#store.policies.acks(r.version),
      alarms: await this.#store.telemetry.criticalAlarmsSince(r.stageStartedMs),
      nowMs: this.#now(),
    });
    if (decision.kind === 'wait') return;
    if (decision.kind === 'fail') {
      await this.#fail(r, decision.reason);
      return;
    }
    // A released stage: applyReplicated re-offers the held version once the record has landed.
    await this.#save(r, decision.change);
    if (decision.change.state === 'completed')
      this.#log.info({ rollout: r.id, version: r.version }, 'rollout completed');
    else if (decision.change.releasedStages !== undefined)
      this.#log.info(
        {
          rollout: r.id,
          version: r.version,
          stage: decision.change.releasedStages,
          edges: r.sizes[r.releasedStages],
        },
        'rollout stage released',
      );
  }

  /**
   * A newer version for the same target (another rollout, a plain publish, an operator's rollback)
   * ends a running or halted rollout: edges move to the newer version and would never ack this one,
   * so its gate would time out and "roll back" over the operator's newer policy. Targets that only
   * overlap (a district inside an all-edges rollout) are not detected; see the report.
   */
  async #superseded(version: number, bundle: calle.v1.PolicyBundle, rollbackOf?: number): Promise<void> {
    const changes: Promise<void>[] = [];
    const target = normalTarget(bundle.target);
    for (const r of this.#byVersion.values()) {
      if (r.version >= version || (r.state !== 'running' && r.state !== 'halted')) continue;
      if (normalTarget(r.target as calle.v1.PolicyTarget.$Properties) !== target) continue;
      if (rollbackOf === r.id) continue;
      const change = {
        state: 'superseded',
        reason: `superseded by version ${version} for the same target`,
      } as const;
      // Every coordinator hears of the version and tries, not just the leader (a version announced
      // while the lead changes hands would otherwise be missed for good); the compare-and-set lets
      // the first one record it and turns the others into no-ops.
      const replicated = this.#replication
        .update(r.id, (c) => (c.state === 'running' || c.state === 'halted' ? change : undefined), true)
        .then(
          (saved) =>
            saved && this.#log.warn({ rollout: r.id, version: r.version, by: version }, 'rollout superseded'),
        );
      changes.push(this.#track(r.id, replicated));
    }
    await Promise.all(changes);
  }

  async #fail(r: RolloutRecord, reason: string): Promise<void> {
    this.#log.warn({ rollout: r.id, version: r.version, reason }, 'rollout gate failed');
    await this.#track(r.id, this.#rollBack(r, reason, ['running', 'halted']));
  }

  /**
   * Publish first, then record. A crash between the two leaves the rollout running with its
   * rollback already on the edges (the next leader's gate then sees the newer version's acks, never
   * its own, and rolls back again: same content, one more version), which is safer than a record
   * saying "rolled back" with nothing published.
   */
  async #rollBack(
    r: RolloutRecord,
    reason: string,
    from: readonly RolloutRecord['state'][],
  ): Promise<RolloutRecord | undefined> {
    const old = r.rollbackTo === null ? undefined : await this.#history.get(r.rollbackTo);
    if (!old) {
      this.#log.error({ rollout: r.id, reason }, 'rollout halted: no earlier version to roll back to');
      const halted = { state: 'halted', reason: `${reason}; no earlier version to roll back to` } as const;
      return this.#replication.update(r.id, (c) => (from.includes(c.state) ? halted : undefined), true);
    }
    const bundle = await this.#publisher.publish(
      {
        target: r.target as calle.v1.PolicyTarget.$Properties,
        lighting: old.lighting ?? null,
        traffic: old.traffic ?? null,
        waste: old.waste ?? null,
      },
      { rollbackOf: r.id },
    );
    const rollbackVersion = Number(bundle.version);
    this.#log.warn(
      { rollout: r.id, version: r.version, rollbackTo: r.rollbackTo, rollbackVersion, reason },
      'rollout rolled back',
    );
    return this.#replication.update(
      r.id,
      (c) => (from.includes(c.state) ? { state: 'rolled_back', reason, rollbackVersion } : undefined),
      true,
    );
  }

  /** An operator's change, checked against the record it lands on. */
  async #operate(
    id: number,
    states: readonly RolloutRecord['state'][],
    change: (r: RolloutRecord) => Partial<RolloutRecord>,
  ): Promise<RolloutRecord> {
    await this.#require(id, states);
    const saved = await this.#replication.update(
      id,
      (current) => {
        if (!states.includes(current.state))
          throw new RolloutError(
            RolloutErrors.BAD_STATE,
            `rollout ${id} is ${current.state}; this needs it to be ${states.join(' or ')}`,
          );
        return change(current);
      },
      true,
    );
    return saved ?? this.#current(id);
  }

  async #current(id: number): Promise<RolloutRecord> {
    const stored = await this.#store.rollouts.get(id);
    if (!stored) throw new RolloutError(RolloutErrors.NOT_FOUND, `rollout ${id} does not exist`);
    return stored.record;
  }

  /** Keeps the gate off a rollout until its change has landed (or failed); never rejects. */
  async #track(id: number, change: Promise<unknown>): Promise<void> {
    this.#inFlight.add(id);
    try {
      await change;
    } catch (err) {
      this.#log.warn({ err, rollout: id }, 'rollout change failed');
    } finally {
      this.#inFlight.delete(id);
    }
  }

  #releaseListeners(version: number): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(version);
      } catch (err) {
        this.#log.error({ err, version }, 'rollout release listener failed');
      }
    }
  }

  async #require(id: number, states: readonly RolloutRecord['state'][]): Promise<RolloutRecord> {
    const r = await this.#current(id);
    if (!states.includes(r.state))
      throw new RolloutError(
        RolloutErrors.BAD_STATE,
        `rollout ${id} is ${r.state}; this needs it to be ${states.join(' or ')}`,
      );
    return r;
  }

  /**
   * The gate's decision on the record it evaluated: a lost race is dropped, and the next tick
   * decides again on the record that won (applyReplicated brings it).
   */
  async #save(r: RolloutRecord, change: Partial<RolloutRecord>): Promise<void> {
    await this.#track(
      r.id,
      this.#replication.update(r.id, () => change, false),
    );
  }
}
