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
import type { Logger } from 'pino';
import type { calle } from '../../proto/index.js';
import type { PolicyHistory } from '../policies/policy-history.js';
import type { PolicyDraft, PolicyPublisher } from '../policies/policy-publisher.js';
import { targetMatches } from '../policies/policy-target.js';
import { DEFAULT_STAGES, planStages, type StageSize } from './rollout-plan.js';
import type { RolloutRecord, RolloutStore } from './rollout-store.js';

/** What PolicyService.Watch needs from rollouts (cloud/grpc/policy-service.ts). */
export interface DeliveryGate {
  /** False while `version` is held back from `edgeId` by a stage not yet released. */
  releasedTo(version: number, edgeId: string): boolean;
  /** Calls `listener` with a version whenever more edges may receive it; returns the unsubscribe. */
  onRelease(listener: (version: number) => void): () => void;
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
}

interface Pending {
  readonly stages: readonly (readonly string[])[];
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
  // Released edges per rollout version, rebuilt when a stage is released.
  readonly #released = new Map<number, Set<string>>();
  readonly #listeners = new Set<(version: number) => void>();
  readonly #timer: NodeJS.Timeout;
  // Set only while publisher.publishPolicy runs for a new rollout: the publisher notifies Watch
  // streams synchronously, before the rollout's version is known here.
  #publishing: Pending | undefined;
  readonly #unsubscribe: () => void;
  // The rollout whose own rollback is being published: not superseded by it.
  #rollingBack: RolloutRecord | undefined;

  constructor(options: RolloutManagerOptions) {
    this.#store = options.store;
    this.#publisher = options.publisher;
    this.#history = options.history;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    for (const r of this.#store.list()) this.#remember(r);
    this.#unsubscribe = this.#publisher.subscribe(({ version, bundle }) => this.#superseded(version, bundle));
    this.#timer = setInterval(() => this.tick(), options.tickMs ?? 1_000);
    this.#timer.unref();
  }

  // --- the gate ------------------------------------------------------------------------------

  releasedTo(version: number, edgeId: string): boolean {
    const r = this.#byVersion.get(version);
    if (!r) {
      // While a rollout's version is being published, the version offered is that one (publishing
      // is synchronous and nothing else publishes meanwhile): only its first stage may have it.
      return this.#publishing ? (this.#publishing.stages[0]?.includes(edgeId) ?? false) : true;
    }
    if (r.state === 'completed' || r.releasedStages >= r.stages.length) return true;
    return this.#released.get(version)?.has(edgeId) ?? false;
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
    this.#publishing = { stages };
    let bundle: calle.v1.PolicyBundle;
    try {
      bundle = this.#publisher.publishPolicy(draft);
    } finally {
      this.#publishing = undefined;
    }
    const now = this.#now();
    const record: RolloutRecord = {
      id: this.#store.nextId(),
      version: Number(bundle.version),
      target: draft.target ?? null,
      spec,
      stages,
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
    this.#store.insert(record);
    this.#remember(record);
    this.#log.info(
      { rollout: record.id, version: record.version, stages: stages.map((s) => s.length), rollbackTo },
      'rollout started',
    );
    return record;
  }

  get(id: number): RolloutRecord | undefined {
    return this.#store.get(id);
  }

  list(): RolloutRecord[] {
    return this.#store.list();
  }

  /** Stops releasing stages; edges that have the version keep it. */
  halt(id: number, reason = 'halted by the operator'): RolloutRecord {
    const r = this.#require(id, ['running']);
    return this.#save(r, { state: 'halted', reason });
  }

  /** Continues a halted rollout: the current stage's gate starts afresh. */
  resume(id: number): RolloutRecord {
    const r = this.#require(id, ['halted']);
    return this.#save(r, { state: 'running', reason: '', stageStartedMs: this.#now(), allAppliedMs: null });
  }

  /** Publishes the previous content again for the whole target and ends the rollout. */
  rollback(id: number, reason = 'rolled back by the operator'): RolloutRecord {
    const r = this.#require(id, ['running', 'halted', 'completed']);
    return this.#rollBack(r, reason);
  }

  /** Evaluates every running rollout's gate once. Runs on a timer; tests may call it directly. */
  tick(): void {
    for (const r of [...this.#byVersion.values()]) {
      if (r.state !== 'running') continue;
      try {
        this.#evaluate(r);
      } catch (err) {
        this.#log.error({ err, rollout: r.id }, 'rollout gate evaluation failed');
      }
    }
  }

  close(): void {
    clearInterval(this.#timer);
    this.#unsubscribe();
    this.#listeners.clear();
  }

  // --- internals -----------------------------------------------------------------------------

  #evaluate(r: RolloutRecord): void {
    const now = this.#now();
    const stageNo = r.releasedStages;
    const stageEdges = r.stages[stageNo - 1] ?? [];
    const released = this.#released.get(r.version) ?? new Set<string>();
    const acks = this.#store.acks(r.version).filter((a) => released.has(a.edgeId));
    const refused = acks.find((a) => !a.applied);
    if (refused) {
      this.#fail(
        r,
        `stage ${stageNo}: edge ${refused.edgeId} refused version ${r.version}: ${refused.reason}`,
      );
      return;
    }
    const alarm = this.#store.criticalAlarmsSince(r.stageStartedMs).find((a) => released.has(a.edgeId));
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
    if (stageNo >= r.stages.length) {
      this.#save(r, { state: 'completed' });
      this.#log.info({ rollout: r.id, version: r.version }, 'rollout completed');
      return;
    }
    this.#save(r, { releasedStages: stageNo + 1, stageStartedMs: now, allAppliedMs: null });
    this.#log.info(
      { rollout: r.id, version: r.version, stage: stageNo + 1, edges: r.stages[stageNo]?.length },
      'rollout stage released',
    );
    for (const listener of [...this.#listeners]) {
      try {
        listener(r.version);
      } catch (err) {
        this.#log.error({ err, version: r.version }, 'rollout release listener failed');
      }
    }
  }

  /**
   * A newer version for the same target (another rollout, a plain publish, an operator's rollback)
   * ends a running or halted rollout: edges move to the newer version and would never ack this one,
   * so its gate would time out and "roll back" over the operator's newer policy. Targets that only
   * overlap (a district inside an all-edges rollout) are not detected; see the report.
   */
  #superseded(version: number, bundle: calle.v1.PolicyBundle): void {
    const target = normalTarget(bundle.target);
    for (const r of this.#byVersion.values()) {
      if (r.version >= version || (r.state !== 'running' && r.state !== 'halted')) continue;
      if (this.#rollingBack === r || normalTarget(r.target as calle.v1.PolicyTarget.$Properties) !== target)
        continue;
      this.#log.warn({ rollout: r.id, version: r.version, by: version }, 'rollout superseded');
      this.#save(r, { state: 'superseded', reason: `superseded by version ${version} for the same target` });
    }
  }

  #fail(r: RolloutRecord, reason: string): void {
    this.#log.warn({ rollout: r.id, version: r.version, reason }, 'rollout gate failed');
    this.#rollBack(r, reason);
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
    Object.assign(r, change, { updatedMs: this.#now() });
    this.#store.update(r);
    this.#remember(r);
    return r;
  }

  #remember(r: RolloutRecord): void {
    this.#byVersion.set(r.version, r);
    this.#released.set(r.version, new Set(r.stages.slice(0, r.releasedStages).flat()));
  }
}
