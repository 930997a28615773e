// One signalised intersection: the planner proposes, the supervisor disposes. Also the rule that
// a head which stops answering latches the intersection into flash: with one head dark or stuck,
// the others cannot be trusted to tell road users the truth.
import type { IntersectionConfig } from '../config/edge-config.js';
import { FixedTimePlan, retime, type PlanTiming } from './signal-plan.js';
import { SignalSupervisor, type Latch, type SignalAspect } from './signal-supervisor.js';

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
  readonly #plan: FixedTimePlan;
  readonly #supervisor: SignalSupervisor;
  /** The site's plan: policies re-time it but keep its stage split. */
  readonly #base: PlanTiming;

  constructor(cfg: IntersectionConfig, nowMs: number) {
    this.id = cfg.id;
    const groups = cfg.signalGroups.map((g) => g.id);
    this.#base = cfg.plan;
    this.#plan = new FixedTimePlan(groups, cfg.plan, nowMs);
    this.#supervisor = new SignalSupervisor({ groups, conflicts: cfg.conflicts, limits: cfg.plan, nowMs });
  }

  get latch(): Latch | undefined {
    return this.#supervisor.latch;
  }

  /** The timing a policy would give this intersection, or why it cannot. */
  retimed(t: { cycleS: number; yellowS: number; allRedS: number; minGreenS: number }): PlanTiming | string {
    return retime(this.#base, t);
  }

  /** Queues new timing; plan and supervisor switch together at the next cycle boundary. */
  setTiming(timing: PlanTiming): void {
    this.#plan.setTiming(timing);
  }

  step(nowMs: number, unavailableHeads: readonly string[]): IntersectionStep {
    const wasLatched = this.#supervisor.latch !== undefined;
    if (unavailableHeads.length > 0)
      this.#supervisor.trip(`head ${unavailableHeads.join(', ')} unavailable`, nowMs);
    let reason: string;
    if (this.#supervisor.latch) {
      reason = `flash: ${this.#supervisor.latch.reason}`;
    } else {
      const proposal = this.#plan.step(nowMs);
      const result = this.#supervisor.propose(proposal.aspects, nowMs);
      // Limits change after the boundary step is checked: that step ended the old timing's
      // all-red, which the old limits describe.
      if (result.ok && proposal.timingApplied) this.#supervisor.setLimits(proposal.timingApplied);
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
    this.#plan.restart(nowMs);
    return { cleared: true };
  }
}
