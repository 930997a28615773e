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
// Replicated (cloud/replication): records live in JetStream KV and every replica's store is a
// mirror of them. Only the replica holding the leader lease evaluates gates; every change is a
// compare-and-set on the record's KV revision, so an operator's halt on one replica and the
// leader's stage release on another cannot overwrite each other. Publishing is asynchronous there,
// so operators use the *Async methods (the synchronous ones throw).
import type { Logger } from 'pino';
import type { calle } from '../../proto/index.js';
import type { PolicyHistory } from '../policies/policy-history.js';
import type { PolicyDraft, PolicyPublisher } from '../policies/policy-publisher.js';
import { targetMatches } from '../policies/policy-target.js';
import { DEFAULT_STAGES, planStages, stageOf, type StagePlan, type StageSize } from './rollout-plan.js';
import type { EdgeView, RolloutRecord, RolloutStore } from './rollout-store.js';

/** What PolicyService.Watch needs from rollouts (cloud/grpc/policy-service.ts). */
export interface DeliveryGate {
  /** False while `version` is held back from `edgeId` by a stage not yet released. */
  releasedTo(version: number, edgeId: string): boolean;
  /** Calls `listener` with a version whenever more edges may receive it; returns the unsubscribe. */
  onRelease(listener: (version: number) => void): () => void;
}

/** Replicated rollouts (cloud/replication/replicated-writes.ts and leader-lease.ts). */
export interface RolloutReplication {
  /** Whether this replica holds the leader lease: only the leader evaluates gates. */
  isLeader(): boolean;
  /**
   * Compare-and-set of one record: `change` gets the record and returns the fields to change, or
   * undefined to leave it as it is (a throw rejects). Without `retry` the revision this replica
   * knows now is the expected one and a lost race gives up (the gate decides again on the fresh
   * record); with it the change is re-applied to the newer record. Resolves with the record once
   * this replica's mirror holds it, or undefined when nothing changed.
   */
  update(
    id: number,
    change: (current: RolloutRecord) => Partial<RolloutRecord> | undefined,
    retry: boolean,
  ): Promise<RolloutRecord | undefined>;
}

export const RolloutErrors = {
  NOT_FOUND: 'CALLE_ERR_ROLLOUT_NOT_FOUND',
  BAD_STATE: 'CALLE_ERR_ROLLOUT_STATE',
  NO_EDGES: 'CALLE_ERR_ROLLOUT_NO_EDGES',
  /** rollbackTo names a version that was never published. */
  BAD_ROLLBACK: 'CALLE_ERR_ROLLOUT_ROLLBACK_UNKNOWN',
} as const;

export class RolloutError extends Error {
  override readonly name = 'RolloutError';
  constructor(
    readonly code: (typeof RolloutErrors)[keyof typeof RolloutErrors],
    message: string,
  ) {
    super(message);
  }
}

export interface RolloutOptions {
  readonly stages?: readonly StageSize[];
  /** Quiet time after a stage's last ack before the next stage; default 60 s. */
  readonly windowMs?: number;
  /** Time a stage may take to be applied by all its edges; default 10 min. */
  readonly stageTimeoutMs?: number;
  /** Version whose content a rollback restores; default: the newest earlier one with the same target. */
  readonly rollbackTo?: number;
}

export interface RolloutManagerOptions {
  readonly store: RolloutStore;
  readonly publisher: PolicyPublisher;
  readonly history: PolicyHistory;
  readonly log: Logger;
  /** How often gates are evaluated; default 1 s. */
  readonly tickMs?: number;
  readonly now?: () => number;
  /** Replicated coordinator (see the head of this file). */
  readonly replication?: RolloutReplication;
}

interface Plan {
  readonly stages: StagePlan;
  readonly spec: readonly StageSize[];
  readonly rollbackTo: number | undefined;
}

interface Pending {
  readonly cuts: readonly number[];
}

const normalTarget = (t: calle.v1.PolicyTarget.$Properties | null | undefined): string =>
  JSON.stringify({
    all: t?.allEdges === true,
    districts: [...(t?.districts ?? [])].sort(),
    tags: [...(t?.tags ?? [])].sort(),
    edgeIds: [...(t?.edgeIds ?? [])].sort(),
  });

const listSome = (ids: readonly string[]): string =>
  ids.length <= 5 ? ids.join(', ') : `${ids.slice(0, 5).join(', ')} and ${ids.length - 5} more`;

export class RolloutManager implements DeliveryGate {
  readonly #store: RolloutStore;
  readonly #publisher: PolicyPublisher;
  readonly #history: PolicyHistory;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #byVersion = new Map<number, RolloutRecord>();
  readonly #listeners = new Set<(version: number) => void>();
  readonly #timer: NodeJS.Timeout;
  // Set only while publisher.publishPolicy runs for a new rollout: the publisher notifies Watch
  // streams synchronously, before the rollout's version is known here.
  #publishing: Pending | undefined;
  readonly #unsubscribe: () => void;
  // The rollout whose own rollback is being published: not superseded by it.
  #rollingBack: RolloutRecord | undefined;
  readonly #replication: RolloutReplication | undefined;
  // Rollouts with a replicated change on its way: the gate skips them until it has landed.
  readonly #inFlight = new Set<number>();

  constructor(options: RolloutManagerOptions) {
    this.#store = options.store;
    this.#publisher = options.publisher;
    this.#history = options.history;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    this.#replication = options.replication;
    for (const r of this.#store.list()) this.#remember(r);
    this.#unsubscribe = this.#publisher.subscribe(({ version, bundle, rollbackOf }) =>
      this.#superseded(version, bundle, rollbackOf),
    );
    this.gateTickMs = options.tickMs ?? 1_000;
    this.#timer = setInterval(() => this.tick(), this.gateTickMs);
    this.#timer.unref();
  }

  /** How often the health gate looks: the floor of a rollout's window and stage timeout (rollout-bounds.ts). */
  readonly gateTickMs: number;

  // --- the gate ------------------------------------------------------------------------------

  releasedTo(version: number, edgeId: string): boolean {
    const r = this.#byVersion.get(version);
    if (!r) {
      // While a rollout's version is being published, the version offered is that one (publishing
      // is synchronous and nothing else publishes meanwhile): only its first stage may have it.
      return this.#publishing ? stageOf(this.#publishing.cuts, edgeId) === 1 : true;
    }
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
  start(draft: PolicyDraft, options: RolloutOptions = {}): RolloutRecord {
    this.#requireLocal('start');
    const { stages, spec, rollbackTo } = this.#plan(draft, options);
    this.#publishing = { cuts: stages.cuts };
    let bundle: calle.v1.PolicyBundle;
    try {
      bundle = this.#publisher.publishPolicy(draft);
    } finally {
      this.#publishing = undefined;
    }
    const record = this.#record(this.#store.nextId(), Number(bundle.version), draft, options, {
      stages,
      spec,
      rollbackTo,
    });
    this.#store.insert(record);
    this.#remember(record);
    this.#log.info(
      { rollout: record.id, version: record.version, stages: stages.sizes, rollbackTo },
      'rollout started',
    );
    return record;
  }

  #plan(draft: PolicyDraft, options: RolloutOptions): Plan {
    const targeted = this.#store
      .registeredEdges()
      .filter((e) => targetMatches(draft.target, e))
      .map((e) => e.id);
    if (targeted.length === 0)
      throw new RolloutError(
        RolloutErrors.NO_EDGES,
        'target: matches no registered edge; a staged rollout needs edges to stage',
      );
    if (options.rollbackTo !== undefined && !this.#history.get(options.rollbackTo))
      throw new RolloutError(
        RolloutErrors.BAD_ROLLBACK,
        `rollbackTo: version ${options.rollbackTo} was never published, so there is nothing to roll back to`,
      );
    const spec = options.stages ?? DEFAULT_STAGES;
    const stages = planStages(targeted, spec);
    const rollbackTo = options.rollbackTo ?? this.#previousVersion(draft.target);
    return { stages, spec, rollbackTo };
  }

  #record(
    id: number,
    version: number,
    draft: PolicyDraft,
    options: RolloutOptions,
    { stages, spec, rollbackTo }: Plan,
  ): RolloutRecord {
    const now = this.#now();
    return {
      id,
      version,
      target: draft.target ?? null,
      spec,
      cuts: stages.cuts,
      sizes: stages.sizes,
      releasedStages: 1,
      stageStartedMs: now,
      allAppliedMs: null,
      state: 'running',
      reason: '',
      rollbackTo: rollbackTo ?? null,
      rollbackVersion: null,
      windowMs: options.windowMs ?? 60_000,
      stageTimeoutMs: options.stageTimeoutMs ?? 600_000,
      createdMs: now,
      updatedMs: now,
    };
  }

  get(id: number): RolloutRecord | undefined {
    return this.#store.get(id);
  }

  list(): RolloutRecord[] {
    return this.#store.list();
  }

  /** Stops releasing stages; edges that have the version keep it. */
  halt(id: number, reason = 'halted by the operator'): RolloutRecord {
    this.#requireLocal('halt');
    const r = this.#require(id, ['running']);
    return this.#save(r, { state: 'halted', reason });
  }

  /** Continues a halted rollout: the current stage's gate starts afresh. */
  resume(id: number): RolloutRecord {
    this.#requireLocal('resume');
    const r = this.#require(id, ['halted']);
    return this.#save(r, { state: 'running', reason: '', stageStartedMs: this.#now(), allAppliedMs: null });
  }

  /** Publishes the previous content again for the whole target and ends the rollout. */
  rollback(id: number, reason = 'rolled back by the operator'): RolloutRecord {
    this.#requireLocal('rollback');
    const r = this.#require(id, ['running', 'halted', 'completed']);
    return this.#rollBack(r, reason);
  }

  /** Evaluates every running rollout's gate once. Runs on a timer; tests may call it directly. */
  tick(): void {
    if (this.#replication && !this.#replication.isLeader()) return;
    const running = [...this.#byVersion.values()].filter(
      (r) => r.state === 'running' && !this.#inFlight.has(r.id),
    );
    if (running.length === 0) return;
    // Read once per tick for every running rollout: stages are hash cuts, so a stage's edges are
    // the targeted registered edges whose hash falls in it (50,000 rows: a few tens of ms).
    let edges: EdgeView[];
    try {
      edges = this.#store.registeredEdges();
    } catch (err) {
      this.#log.error({ err }, 'rollout gate: the registry could not be read');
      return;
    }
    for (const r of running) {
      try {
        this.#evaluate(r, edges);
      } catch (err) {
        this.#log.error({ err, rollout: r.id }, 'rollout gate evaluation failed');
      }
    }
  }

  // --- the same actions for either mode (replicated: asynchronous) ----------------------------

  /** start(), for either mode. */
  async startAsync(draft: PolicyDraft, options: RolloutOptions = {}): Promise<RolloutRecord> {
    if (!this.#replication) return this.start(draft, options);
    const plan = this.#plan(draft, options);
    // The id is the version: versions are already unique across replicas (a KV create each), so
    // the rollout needs no allocator of its own.
    const bundle = await this.#publisher.publishAsync(draft, {
      rollout: (version) => this.#record(version, version, draft, options, plan),
    });
    const record = this.#byVersion.get(Number(bundle.version));
    // publishAsync resolves after this replica's mirror stored the version and its record.
    if (!record) throw new Error(`rollout for version ${bundle.version} missing after its publication`);
    this.#log.info(
      { rollout: record.id, version: record.version, stages: plan.stages.sizes },
      'rollout started',
    );
    return record;
  }

  /** halt(), for either mode. */
  async haltAsync(id: number, reason = 'halted by the operator'): Promise<RolloutRecord> {
    if (!this.#replication) return this.halt(id, reason);
    return this.#operate(id, ['running'], () => ({ state: 'halted', reason }));
  }

  /** resume(), for either mode. */
  async resumeAsync(id: number): Promise<RolloutRecord> {
    if (!this.#replication) return this.resume(id);
    return this.#operate(id, ['halted'], () => ({
      state: 'running',
      reason: '',
      stageStartedMs: this.#now(),
      allAppliedMs: null,
    }));
  }

  /** rollback(), for either mode. */
  async rollbackAsync(id: number, reason = 'rolled back by the operator'): Promise<RolloutRecord> {
    if (!this.#replication) return this.rollback(id, reason);
    const r = this.#require(id, ['running', 'halted', 'completed']);
    return (
      (await this.#rollBackReplicated(r, reason, ['running', 'halted', 'completed'])) ?? this.#current(id)
    );
  }

  /**
   * A record the replication mirror stored (written here or by another replica): remembered, and
   * versions held by Watch streams re-offered when more edges may now have them.
   */
  applyReplicated(record: RolloutRecord): void {
    const before = this.#byVersion.get(record.version);
    const r = { ...record };
    this.#remember(r);
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

  #evaluate(r: RolloutRecord, edges: readonly EdgeView[]): void {
    const now = this.#now();
    const stageNo = r.releasedStages;
    const target = r.target as calle.v1.PolicyTarget.$Properties;
    const targeted = new Set(edges.filter((e) => targetMatches(target, e)).map((e) => e.id));
    const isReleased = (id: string): boolean => targeted.has(id) && stageOf(r.cuts, id) <= stageNo;
    const stageEdges = [...targeted].filter((id) => stageOf(r.cuts, id) === stageNo);
    const acks = this.#store.acks(r.version).filter((a) => isReleased(a.edgeId));
    const refused = acks.find((a) => !a.applied);
    if (refused) {
      this.#fail(
        r,
        `stage ${stageNo}: edge ${refused.edgeId} refused version ${r.version}: ${refused.reason}`,
      );
      return;
    }
    const alarm = this.#store.criticalAlarmsSince(r.stageStartedMs).find((a) => isReleased(a.edgeId));
    if (alarm) {
      this.#fail(
        r,
        `stage ${stageNo}: critical alarm ${alarm.code} on edge ${alarm.edgeId}: ${alarm.message}`,
      );
      return;
    }
    const applied = new Set(acks.map((a) => a.edgeId));
    const pending = stageEdges.filter((e) => !applied.has(e));
    if (pending.length > 0) {
      if (now - r.stageStartedMs >= r.stageTimeoutMs)
        this.#fail(
          r,
          `stage ${stageNo} timed out after ${r.stageTimeoutMs} ms; not applied on ${listSome(pending)}`,
        );
      return;
    }
    if (r.allAppliedMs === null) {
      this.#save(r, { allAppliedMs: now });
      return;
    }
    if (now - r.allAppliedMs < r.windowMs) return;
    if (stageNo >= r.cuts.length) {
      this.#save(r, { state: 'completed' });
      this.#log.info({ rollout: r.id, version: r.version }, 'rollout completed');
      return;
    }
    this.#save(r, { releasedStages: stageNo + 1, stageStartedMs: now, allAppliedMs: null });
    this.#log.info(
      { rollout: r.id, version: r.version, stage: stageNo + 1, edges: r.sizes[stageNo] },
      'rollout stage released',
    );
    // Replicated: applyReplicated re-offers once the record has landed.
    if (!this.#replication) this.#releaseListeners(r.version);
  }

  /**
   * A newer version for the same target (another rollout, a plain publish, an operator's rollback)
   * ends a running or halted rollout: edges move to the newer version and would never ack this one,
   * so its gate would time out and "roll back" over the operator's newer policy. Targets that only
   * overlap (a district inside an all-edges rollout) are not detected; see the report.
   */
  #superseded(version: number, bundle: calle.v1.PolicyBundle, rollbackOf?: number): void {
    const target = normalTarget(bundle.target);
    for (const r of this.#byVersion.values()) {
      if (r.version >= version || (r.state !== 'running' && r.state !== 'halted')) continue;
      if (this.#rollingBack === r || normalTarget(r.target as calle.v1.PolicyTarget.$Properties) !== target)
        continue;
      if (rollbackOf === r.id) continue;
      const change = {
        state: 'superseded',
        reason: `superseded by version ${version} for the same target`,
      } as const;
      const superseded = (): void =>
        this.#log.warn({ rollout: r.id, version: r.version, by: version }, 'rollout superseded');
      if (!this.#replication) {
        superseded();
        this.#save(r, change);
        continue;
      }
      // Replicated: every replica hears of the version and tries, not just the leader (a version
      // announced while the lease changes hands would otherwise be missed for good); the
      // compare-and-set lets the first one record it and turns the others into no-ops.
      const replicated = this.#replication
        .update(r.id, (c) => (c.state === 'running' || c.state === 'halted' ? change : undefined), true)
        .then((saved) => saved && superseded());
      this.#track(r.id, replicated);
    }
  }

  #fail(r: RolloutRecord, reason: string): void {
    this.#log.warn({ rollout: r.id, version: r.version, reason }, 'rollout gate failed');
    if (this.#replication) this.#track(r.id, this.#rollBackReplicated(r, reason, ['running', 'halted']));
    else this.#rollBack(r, reason);
  }

  /**
   * Replicated rollback: publish first, then record. A crash between the two leaves the rollout
   * running with its rollback already on the edges (the next leader's gate then sees the newer
   * version's acks, never its own, and rolls back again: same content, one more version), which
   * is safer than a record saying "rolled back" with nothing published.
   */
  async #rollBackReplicated(
    r: RolloutRecord,
    reason: string,
    from: readonly RolloutRecord['state'][],
  ): Promise<RolloutRecord | undefined> {
    const replication = this.#replication!;
    const old = r.rollbackTo === null ? undefined : this.#history.get(r.rollbackTo);
    if (!old) {
      this.#log.error({ rollout: r.id, reason }, 'rollout halted: no earlier version to roll back to');
      const halted = { state: 'halted', reason: `${reason}; no earlier version to roll back to` } as const;
      return replication.update(r.id, (c) => (from.includes(c.state) ? halted : undefined), true);
    }
    const bundle = await this.#publisher.publishAsync(
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
    return replication.update(
      r.id,
      (c) => (from.includes(c.state) ? { state: 'rolled_back', reason, rollbackVersion } : undefined),
      true,
    );
  }

  /** An operator's change on a replicated record, checked against the record it lands on. */
  async #operate(
    id: number,
    states: readonly RolloutRecord['state'][],
    change: (r: RolloutRecord) => Partial<RolloutRecord>,
  ): Promise<RolloutRecord> {
    this.#require(id, states);
    const saved = await this.#replication!.update(
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

  #current(id: number): RolloutRecord {
    const stored = this.#store.get(id);
    const r = stored && this.#byVersion.get(stored.version);
    if (!r) throw new RolloutError(RolloutErrors.NOT_FOUND, `rollout ${id} does not exist`);
    return r;
  }

  /** Keeps the gate off a rollout until its replicated change has landed (or failed). */
  #track(id: number, change: Promise<unknown>): void {
    this.#inFlight.add(id);
    change
      .catch((err: unknown) => this.#log.warn({ err, rollout: id }, 'replicated rollout change failed'))
      .finally(() => this.#inFlight.delete(id));
  }

  #requireLocal(action: string): void {
    if (this.#replication)
      throw new Error(`rollouts.${action}: this coordinator is replicated; use ${action}Async`);
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

  #rollBack(r: RolloutRecord, reason: string): RolloutRecord {
    const old = r.rollbackTo === null ? undefined : this.#history.get(r.rollbackTo);
    if (!old) {
      this.#log.error({ rollout: r.id, reason }, 'rollout halted: no earlier version to roll back to');
      return this.#save(r, { state: 'halted', reason: `${reason}; no earlier version to roll back to` });
    }
    this.#rollingBack = r;
    let bundle: calle.v1.PolicyBundle;
    try {
      bundle = this.#publisher.publishPolicy({
        target: r.target as calle.v1.PolicyTarget.$Properties,
        lighting: old.lighting ?? null,
        traffic: old.traffic ?? null,
        waste: old.waste ?? null,
      });
    } finally {
      this.#rollingBack = undefined;
    }
    this.#log.warn(
      {
        rollout: r.id,
        version: r.version,
        rollbackTo: r.rollbackTo,
        rollbackVersion: bundle.version,
        reason,
      },
      'rollout rolled back',
    );
    return this.#save(r, { state: 'rolled_back', reason, rollbackVersion: Number(bundle.version) });
  }

  #previousVersion(target: calle.v1.PolicyTarget.$Properties | null | undefined): number | undefined {
    const wanted = normalTarget(target);
    const latest = this.#history.latestVersion();
    for (const version of this.#store.versionsBelow(latest + 1)) {
      const bundle = this.#history.get(version);
      if (bundle && normalTarget(bundle.target) === wanted) return version;
    }
    return undefined;
  }

  #require(id: number, states: readonly RolloutRecord['state'][]): RolloutRecord {
    const stored = this.#store.get(id);
    const r = stored && this.#byVersion.get(stored.version);
    if (!r) throw new RolloutError(RolloutErrors.NOT_FOUND, `rollout ${id} does not exist`);
    if (!states.includes(r.state))
      throw new RolloutError(
        RolloutErrors.BAD_STATE,
        `rollout ${id} is ${r.state}; this needs it to be ${states.join(' or ')}`,
      );
    return r;
  }

  #save(r: RolloutRecord, change: Partial<RolloutRecord>): RolloutRecord {
    if (this.#replication) {
      // The gate's decision on the record it evaluated: a lost race is dropped, and the next tick
      // decides again on the record that won (applyReplicated brings it).
      this.#track(
        r.id,
        this.#replication.update(r.id, () => change, false),
      );
      return r;
    }
    Object.assign(r, change, { updatedMs: this.#now() });
    this.#store.update(r);
    this.#remember(r);
    return r;
  }

  #remember(r: RolloutRecord): void {
    this.#byVersion.set(r.version, r);
  }
}
