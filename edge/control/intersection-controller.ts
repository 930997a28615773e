// One signalised intersection: the planner proposes, the supervisor disposes. Also the rule that
// a head which stops answering latches the intersection into flash: with one head dark or stuck,
// the others cannot be trusted to tell road users the truth.
import { SIGNAL_MODES, type IntersectionConfig, type SignalMode } from '../config/edge-config.js';
import type { DetectorReadings } from './detector-calls.js';
import { modelFromConfig, modelProblems, type IntersectionModel } from './intersection-model.js';
import { retime, type PlanTiming } from './signal-plan.js';
import { SignalSupervisor, type Latch, type SignalAspect } from './signal-supervisor.js';
import { StagePlanner, type PlannerSettings } from './stage-planner.js';

/** Actuation settings when the site file gives none. */
export const CONTROL_DEFAULTS: PlannerSettings = { mode: 'fixed-time', passageS: 3, adaptEveryCycles: 3 };

export interface IntersectionStep {
  /** Aspect per signal group id. */
  readonly aspects: Readonly<Record<string, SignalAspect>>;
  /** Which rule decided it: "plan: stage 1/2 green (…)" or "flash: <latch reason>". */
  readonly reason: string;
  /** Set on the tick the intersection latched. */
  readonly latched?: Latch;
}

export class IntersectionController {
  readonly id: string;
  readonly #cfg: IntersectionConfig;
  readonly #planner: StagePlanner;
  readonly #supervisor: SignalSupervisor;
  #settings: PlannerSettings;

  /** Throws a RangeError when the configuration makes an unusable model or plan. */
  constructor(cfg: IntersectionConfig, nowMs: number) {
    this.id = cfg.id;
    this.#cfg = cfg;
    this.#settings = { ...CONTROL_DEFAULTS, ...cfg.control };
    const model = modelFromConfig(cfg);
    this.#planner = new StagePlanner(model, cfg.plan, this.#settings, nowMs);
    this.#supervisor = new SignalSupervisor(model, nowMs);
  }

  get latch(): Latch | undefined {
    return this.#supervisor.latch;
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
      this.#supervisor.trip(`head ${unavailableHeads.join(', ')} unavailable`, nowMs);
    let reason: string;
    if (this.#supervisor.latch) {
      reason = `flash: ${this.#supervisor.latch.reason}`;
    } else {
      const proposal = this.#planner.step(nowMs, detectors);
      const result = this.#supervisor.propose(proposal.aspects, nowMs);
      // The model changes after the boundary step is checked: that step ended the old timing's
      // intergreens, which the old model describes.
      if (result.ok && proposal.modelApplied) this.#supervisor.setModel(proposal.modelApplied);
      reason = result.ok ? `plan: ${proposal.label}` : `flash: ${result.latch.reason}`;
    }
    const latch = this.#supervisor.latch;
    return {
      aspects: this.#supervisor.aspects(),
      reason,
      ...(latch && !wasLatched ? { latched: latch } : {}),
    };
  }

  /**
   * Clears a latched flash. Only a person at the cabinet may: `origin` "remote" is always refused
   * (REFERENCE §2, a remote command must never reset a latched fault).
   */
  clearLatch(origin: 'local' | 'remote', nowMs: number): { cleared: boolean; reason?: string } {
    if (origin !== 'local')
      return { cleared: false, reason: 'a latched flash can only be cleared locally, at the cabinet' };
    if (!this.#supervisor.latch) return { cleared: false, reason: 'not latched' };
    this.#supervisor.clearLocal(nowMs);
    this.#planner.restart(nowMs);
    return { cleared: true };
  }
}
