// The safety layer between any signal planner and the heads. Every proposed state is checked
// against the conflict matrix, the intergreen matrix, each group's minimum green and its yellow
// (or pedestrian clearance); on any violation the intersection LATCHES into flashing amber and
// stays there until a person clears it on site. A remote command never clears it: there is no
// code path for that, by design (REFERENCE §2: NEMA TS2 MMU behaviour; the hardware monitor stays
// as well). Maximum green is not checked here: it is an efficiency rule, the planner's business.
//
// Deterministic and small on purpose: no timers, no I/O, time comes in as an argument. It shares
// only the model and the seconds→ms rounding (sToMs) with the planner, never the planner's state.
import { ModelIndex, modelProblems, sToMs, type IntersectionModel } from './intersection-model.js';
import type { ProposedAspect } from './signal-plan.js';
import { englishOf, part, type ReasonPart } from '../../common/reasons/reason.js';

export { MIN_YELLOW_S } from './intersection-model.js';

/** What a group's head is commanded to show. */
export type SignalAspect = ProposedAspect | 'flash';

export interface Latch {
  /** Why, in English (rendered from cause). */
  readonly reason: string;
  /** Why, coded (common/reasons/): a safety rule broken, a head lost, a proposal during a manual flash. */
  readonly cause: ReasonPart;
  readonly atMs: number;
}

/** A flash an engineer asked for (not a fault): entered from all red, left through all red. */
export interface ManualFlash {
  readonly atMs: number;
}

export type SupervisorResult =
  | { readonly ok: true; readonly aspects: Readonly<Record<string, SignalAspect>> }
  | { readonly ok: false; readonly aspects: Readonly<Record<string, SignalAspect>>; readonly latch: Latch };

export class SignalSupervisor {
  #index: ModelIndex;
  #aspects: Record<string, ProposedAspect>;
  /** When each group entered its current aspect. */
  #sinceMs: Record<string, number>;
  /** When each group last ended its green (entered yellow): the start of its intergreens. */
  #greenEndMs: Record<string, number>;
  #latch: Latch | undefined;
  #manual: ManualFlash | undefined;

  /** Throws a RangeError listing every problem of an unusable model. */
  constructor(model: IntersectionModel, nowMs: number) {
    this.#index = checked(model);
    this.#aspects = {};
    this.#sinceMs = {};
    this.#greenEndMs = {};
    this.#allRed(nowMs);
  }

  get latch(): Latch | undefined {
    return this.#latch;
  }

  get model(): IntersectionModel {
    return this.#index.model;
  }

  /** Set while an engineer holds the intersection in flash; a latch overrides it. */
  get manualFlash(): ManualFlash | undefined {
    return this.#manual;
  }

  /**
   * New timings (from a policy, at a cycle boundary). The groups and conflicts are the site's and
   * may not change; a model that differs there, or is unusable, is refused with a RangeError.
   */
  setModel(model: IntersectionModel): void {
    const next = checked(model);
    const old = this.#index;
    const same =
      next.ids.length === old.ids.length &&
      next.ids.every((g) => old.byId.has(g)) &&
      next.ids.every((g) => [...next.conflictsOf(g)].every((c) => old.conflict(g, c))) &&
      old.ids.every((g) => [...old.conflictsOf(g)].every((c) => next.conflict(g, c)));
    if (!same) throw new RangeError('a new model may change timings only, not the groups or conflicts');
    this.#index = next;
  }

  /** What the heads show now. */
  aspects(): Readonly<Record<string, SignalAspect>> {
    return this.#latch || this.#manual ? this.#flash() : { ...this.#aspects };
  }

  /**
   * Checks a proposed state for every group. Accepted: it becomes current. Rejected: the
   * intersection latches into flash, and every later proposal is ignored until clearLocal().
   */
  propose(next: Readonly<Record<string, string>>, nowMs: number): SupervisorResult {
    if (this.#latch) return { ok: false, aspects: this.#flash(), latch: this.#latch };
    // A planner still stepping during a manual flash is a bug: treat it as any other violation.
    if (this.#manual) return this.trip(part('signal.proposedInFlash'), nowMs);
    const violation = this.#check(next, nowMs);
    if (violation !== undefined) return this.trip(violation, nowMs);
    for (const g of this.#index.ids) {
      const a = next[g] as ProposedAspect;
      if (a !== this.#aspects[g]) {
        if (this.#aspects[g] === 'green') this.#greenEndMs[g] = nowMs;
        this.#aspects[g] = a;
        this.#sinceMs[g] = nowMs;
      }
    }
    return { ok: true, aspects: { ...this.#aspects } };
  }

  /**
   * Latches flash for a reason found outside the proposal (a head that stopped answering). A
   * string is a safety rule in this file's words (coded signal.violation).
   */
  trip(reason: string | ReasonPart, nowMs: number): SupervisorResult & { ok: false } {
    const cause = typeof reason === 'string' ? part('signal.violation', { detail: reason }) : reason;
    this.#latch ??= { reason: englishOf([cause]), cause, atMs: nowMs };
    return { ok: false, aspects: this.#flash(), latch: this.#latch };
  }

  /**
   * Clears a latch. Only the on-site console may call this (the caller proves it is local);
   * the intersection restarts from all red, so the first green again waits the intergreen.
   */
  clearLocal(nowMs: number): void {
    this.#latch = undefined;
    this.#manual = undefined;
    this.#allRed(nowMs);
  }

  /**
   * Enters a manual flash. Only from all red, every yellow already run to its end (the planner
   * drains the stage first): a programmed change into flash never cuts a green or a yellow short
   * (MUTCD 2009 §4D.31 lets only a fault or a manual switch in the cabinet go to flash at any
   * time). Returns why it cannot, or undefined.
   */
  enterManualFlash(nowMs: number): string | undefined {
    if (this.#latch) return `latched (${this.#latch.reason}): clear the fault first`;
    if (this.#manual) return 'already in manual flash';
    const notRed = this.#index.ids.filter((g) => this.#aspects[g] !== 'red');
    if (notRed.length > 0)
      return `not all red: ${notRed.map((g) => `"${g}" ${this.#aspects[g]}`).join(', ')}`;
    // The common red must be seen: at least the plan's all-red, and never less than a second.
    const needMs = Math.max(sToMs(this.#index.model.allRedS), 1000);
    const redMs = Math.min(...this.#index.ids.map((g) => nowMs - this.#sinceMs[g]!));
    if (redMs < needMs) return `all red for ${redMs / 1000} s, below ${needMs / 1000} s`;
    this.#manual = { atMs: nowMs };
    return undefined;
  }

  /**
   * Leaves a manual flash into all red, timed as if every group had just ended its green: flashing
   * amber lets traffic proceed with caution, so no conflicting green may start until the full
   * intergreen (yellow or clearance, then all-red) has run. Returns why it cannot, or undefined.
   */
  leaveManualFlash(nowMs: number): string | undefined {
    if (this.#latch) return `latched (${this.#latch.reason}): clear the fault locally instead`;
    if (!this.#manual) return 'not in manual flash';
    this.#manual = undefined;
    this.#allRed(nowMs, 0);
    return undefined;
  }

  /**
   * All red. By default as if every group had just ended its yellow: a first green waits
   * intergreen − yellow. `changeDoneS` 0: as if every group had just ended its green.
   */
  #allRed(nowMs: number, changeDoneS?: number): void {
    for (const g of this.#index.model.groups) {
      this.#aspects[g.id] = 'red';
      this.#sinceMs[g.id] = nowMs;
      this.#greenEndMs[g.id] = nowMs - sToMs(changeDoneS ?? g.changeS);
    }
  }

  #flash(): Record<string, SignalAspect> {
    return Object.fromEntries(this.#index.ids.map((g) => [g, 'flash' as const]));
  }

  #check(next: Readonly<Record<string, string>>, nowMs: number): string | undefined {
    const x = this.#index;
    if (!Number.isFinite(nowMs)) return `time ${nowMs} is not a number`;
    for (const key of Object.keys(next)) if (!x.byId.has(key)) return `unknown signal group "${key}"`;
    for (const g of x.ids) {
      const a = next[g];
      if (a !== 'red' && a !== 'yellow' && a !== 'green')
        return `group "${g}": invalid aspect ${JSON.stringify(a)}`;
    }
    // Conflicts: no two conflicting groups may both show anything but red.
    for (const g of x.ids) {
      if (next[g] === 'red') continue;
      for (const c of x.conflictsOf(g)) {
        if (g < c && next[c] !== 'red') return `conflict: "${g}" ${next[g]} and "${c}" ${next[c]} at once`;
      }
    }
    for (const g of x.ids) {
      const from = this.#aspects[g]!;
      const to = next[g] as ProposedAspect;
      if (from === to) continue;
      const heldMs = nowMs - this.#sinceMs[g]!;
      const change = `"${g}" ${from} → ${to}`;
      const group = x.group(g);
      if (from === 'green' && to === 'red') return `${change} without yellow`;
      if (from === 'yellow' && to === 'green') return `${change}: yellow must end in red`;
      if (from === 'red' && to === 'yellow') return `${change}: yellow must follow green`;
      if (from === 'green' && heldMs < sToMs(group.minGreenS))
        return `${change} after ${heldMs / 1000} s, below min green ${group.minGreenS} s`;
      if (from === 'yellow' && heldMs < sToMs(group.changeS))
        return `${change} after ${heldMs / 1000} s, below yellow ${group.changeS} s`;
      if (from === 'red' && to === 'green') {
        // The conflict check above already made every conflicting group red in `next`; a group
        // that was yellow turns red in this same step only if its own yellow is complete.
        for (const c of x.conflictsOf(g)) {
          const sinceMs = nowMs - this.#greenEndMs[c]!;
          const needMs = x.intergreenMs(c, g);
          if (sinceMs < needMs)
            return `${change} ${sinceMs / 1000} s after conflicting "${c}" ended green, below intergreen ${needMs / 1000} s`;
        }
      }
    }
    return undefined;
  }
}

function checked(model: IntersectionModel): ModelIndex {
  const problems = modelProblems(model);
  if (problems.length > 0) throw new RangeError(`unusable intersection model: ${problems.join('; ')}`);
  return new ModelIndex(model);
}
