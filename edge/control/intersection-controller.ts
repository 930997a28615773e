// One signalised intersection: the planner proposes, the supervisor disposes. Also the rule that
// a head which stops answering latches the intersection into flash: with one head dark or stuck,
// the others cannot be trusted to tell road users the truth.
import { SIGNAL_MODES, type IntersectionConfig, type SignalMode } from '../config/edge-config.js';
import type { DetectorReadings } from './detector-calls.js';
import { modelFromConfig, modelProblems, type IntersectionModel } from './intersection-model.js';
import { retime, type PlanTiming } from './signal-plan.js';
import { SignalSupervisor, type Latch, type SignalAspect } from './signal-supervisor.js';
import { StagePlanner, type PlannerOptions, type PlannerSettings } from './stage-planner.js';
import {
  englishOf,
  part,
  refusal,
  type Reason,
  type ReasonPart,
  type Refusal,
} from '../../common/reasons/reason.js';
import { planText } from '../../common/reasons/reason-catalogue.js';

/** Actuation settings when the site file gives none. */
export const CONTROL_DEFAULTS: PlannerSettings = { mode: 'fixed-time', passageS: 3, adaptEveryCycles: 3 };

/**
 * How the intersection runs: its plan; draining its stage on the way into a manual flash; held in
 * a manual flash by an engineer; or latched into flash by the supervisor (a fault).
 */
export type SignalOperation = 'plan' | 'entering-flash' | 'manual-flash' | 'latched';

/** Who asked for the manual flash, and when. */
export interface ManualFlashRequest {
  readonly actor: string;
  readonly requestedMs: number;
  /** When the heads went to flash; absent while the stage drains. */
  readonly flashingMs?: number;
}

export interface IntersectionStep {
  /** Aspect per signal group id. */
  readonly aspects: Readonly<Record<string, SignalAspect>>;
  /** Which rule decided it: "plan: stage 1/2 green (…)" or "flash: <latch reason>" (English of reasonCode). */
  readonly reason: string;
  /** The same as coded parts (common/reasons/). */
  readonly reasonCode: Reason;
  /** Set on the tick the intersection latched. */
  readonly latched?: Latch;
  /** Set on the tick a manual flash began flashing. */
  readonly manualFlashStarted?: ManualFlashRequest;
}

/** An engineer's action: done, or refused with the reason in English and coded. */
export type ActionAnswer = { readonly ok: boolean } & Partial<Refusal>;
export type ClearAnswer = { readonly cleared: boolean } & Partial<Refusal>;

export class IntersectionController {
  readonly id: string;
  readonly #cfg: IntersectionConfig;
  readonly #planner: StagePlanner;
  readonly #supervisor: SignalSupervisor;
  #settings: PlannerSettings;
  #lastLabel: ReasonPart = part('signal.startup');
  #manual: ManualFlashRequest | undefined;

  /**
   * Throws a RangeError when the configuration makes an unusable model or plan. `opts` tells the
   * planner what the site file does not (which compatible pairs run permissive).
   */
  constructor(cfg: IntersectionConfig, nowMs: number, opts: PlannerOptions = {}) {
    this.id = cfg.id;
    this.#cfg = cfg;
    this.#settings = { ...CONTROL_DEFAULTS, ...cfg.control };
    const model = modelFromConfig(cfg);
    this.#planner = new StagePlanner(model, cfg.plan, this.#settings, nowMs, opts);
    this.#supervisor = new SignalSupervisor(model, nowMs);
  }

  get latch(): Latch | undefined {
    return this.#supervisor.latch;
  }

  /** The manual flash asked for (draining or flashing), or undefined. */
  get manualFlash(): ManualFlashRequest | undefined {
    return this.#manual;
  }

  get operation(): SignalOperation {
    if (this.#supervisor.latch) return 'latched';
    if (!this.#manual) return 'plan';
    return this.#supervisor.manualFlash ? 'manual-flash' : 'entering-flash';
  }

  /** What the plan is doing, as the last step's reason said it. */
  get planLabel(): string {
    return planText(this.#lastLabel.code, this.#lastLabel.params);
  }

  /** The same, coded. */
  get planLabelCode(): ReasonPart {
    return this.#lastLabel;
  }

  /** True while a policy's timing waits for this intersection's next cycle boundary. */
  get timingPending(): boolean {
    return this.#planner.timingPending;
  }

  /** The mode in force, or queued for the next cycle boundary. */
  get mode(): SignalMode {
    return this.#planner.mode;
  }

  /** The model the supervisor checks against now. */
  get model(): IntersectionModel {
    return this.#supervisor.model;
  }

  /** The timing a policy would give this intersection, or why it cannot. */
  retimed(t: { cycleS: number; yellowS: number; allRedS: number; minGreenS: number }): PlanTiming | string {
    const timing = retime(this.#cfg.plan, t);
    if (typeof timing === 'string') return timing;
    const problems = modelProblems(modelFromConfig(this.#cfg, timing));
    return problems.length > 0 ? problems.join('; ') : timing;
  }

  /** Queues new timing; planner and supervisor switch together at the next cycle boundary. */
  setTiming(timing: PlanTiming): void {
    this.#planner.setTiming(timing, modelFromConfig(this.#cfg, timing));
  }

  /**
   * Queues a mode ("fixed-time", "actuated", "adaptive"), for example from a policy; it applies
   * at the next cycle boundary. Returns why it cannot, or undefined.
   */
  setMode(mode: string, opts: { passageS?: number; adaptEveryCycles?: number } = {}): string | undefined {
    if (!(SIGNAL_MODES as readonly string[]).includes(mode))
      return `mode "${mode}" is not one of ${SIGNAL_MODES.join(', ')}`;
    const passageS = opts.passageS ?? this.#settings.passageS;
    const adaptEveryCycles = opts.adaptEveryCycles ?? this.#settings.adaptEveryCycles;
    if (!(passageS >= 0.5 && passageS <= 10)) return `passage ${passageS} s is outside 0.5..10 s`;
    if (!(Number.isInteger(adaptEveryCycles) && adaptEveryCycles >= 1 && adaptEveryCycles <= 100))
      return `adaptEveryCycles ${adaptEveryCycles} must be an integer in 1..100`;
    this.#settings = { mode: mode as SignalMode, passageS, adaptEveryCycles };
    this.#planner.setSettings(this.#settings);
    return undefined;
  }

  step(
    nowMs: number,
    unavailableHeads: readonly string[],
    detectors: DetectorReadings = new Map(),
  ): IntersectionStep {
    const wasLatched = this.#supervisor.latch !== undefined;
    if (unavailableHeads.length > 0)
      this.#supervisor.trip(part('signal.headUnavailable', { heads: unavailableHeads.join(', ') }), nowMs);
    let reason: Reason;
    let started: ManualFlashRequest | undefined;
    if (this.#supervisor.latch) {
      reason = [part('signal.latched'), this.#supervisor.latch.cause];
    } else if (this.#supervisor.manualFlash) {
      reason = [part('signal.manualFlash', { actor: this.#manual?.actor ?? '?' })];
    } else {
      const proposal = this.#planner.step(nowMs, detectors);
      const result = this.#supervisor.propose(proposal.aspects, nowMs);
      // The model changes after the boundary step is checked: that step ended the old timing's
      // intergreens, which the old model describes.
      if (result.ok && proposal.modelApplied) this.#supervisor.setModel(proposal.modelApplied);
      this.#lastLabel = proposal.labelCode;
      reason = result.ok ? [proposal.labelCode] : [part('signal.latched'), result.latch.cause];
      if (result.ok && this.#manual) {
        // The supervisor, not the planner, decides that all red was reached.
        const actor = this.#manual.actor;
        if (this.#planner.drained && this.#supervisor.enterManualFlash(nowMs) === undefined) {
          this.#manual = started = { ...this.#manual, flashingMs: nowMs };
          reason = [part('signal.manualFlash', { actor })];
        } else reason = [proposal.labelCode, part('signal.enteringFlash', { actor })];
      }
    }
    const latch = this.#supervisor.latch;
    return {
      aspects: this.#supervisor.aspects(),
      reason: englishOf(reason),
      reasonCode: reason,
      ...(latch && !wasLatched ? { latched: latch } : {}),
      ...(started ? { manualFlashStarted: started } : {}),
    };
  }

  /**
   * Asks for a manual flash (an engineer at the console). The running stage ends as any stage
   * change would, then every head flashes; until then the heads keep the plan's safe sequence.
   * Refused while latched (the fault's own flash is already on and must be cleared, not masked).
   */
  requestFlash(actor: string, nowMs: number): ActionAnswer {
    const latch = this.#supervisor.latch;
    if (latch) return { ok: false, ...refusal(part('action.latchedFirst', { fault: latch.reason })) };
    if (this.#manual)
      return {
        ok: false,
        ...refusal(part(this.#supervisor.manualFlash ? 'action.alreadyFlashing' : 'action.alreadyEntering')),
      };
    this.#manual = { actor, requestedMs: nowMs };
    this.#planner.drain();
    return { ok: true };
  }

  /**
   * Ends a manual flash: all red for the full intergreen, then the plan from its first stage.
   * Refused while the stage still drains (the heads are mid-sequence; there is nothing to undo
   * safely sooner than the flash itself) and while latched.
   */
  restore(nowMs: number): ActionAnswer {
    const latch = this.#supervisor.latch;
    if (latch) return { ok: false, ...refusal(part('action.latchedLocal', { fault: latch.reason })) };
    if (!this.#manual) return { ok: false, ...refusal(part('action.notFlashing')) };
    if (!this.#supervisor.manualFlash) return { ok: false, ...refusal(part('action.stillEntering')) };
    const problem = this.#supervisor.leaveManualFlash(nowMs);
    if (problem !== undefined) return { ok: false, ...refusal(part('action.invalid', { detail: problem })) };
    this.#manual = undefined;
    this.#planner.restart(nowMs, true);
    return { ok: true };
  }

  /**
   * Clears a latched flash. Only a person at the cabinet may: `origin` "remote" is always refused
   * (REFERENCE §2, a remote command must never reset a latched fault).
   */
  clearLatch(origin: 'local' | 'remote', nowMs: number): ClearAnswer {
    if (origin !== 'local') return { cleared: false, ...refusal(part('action.localOnly')) };
    if (!this.#supervisor.latch) return { cleared: false, ...refusal(part('action.notLatched')) };
    this.#supervisor.clearLocal(nowMs);
    // A local clear returns to the plan, whatever manual flash was asked for before the fault.
    this.#manual = undefined;
    this.#planner.restart(nowMs);
    return { cleared: true };
  }
}
