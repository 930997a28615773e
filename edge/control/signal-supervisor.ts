// The safety layer between any signal planner and the heads. Every proposed change is checked
// against the conflict matrix, the minimum green, the yellow change interval and the all-red
// intergreen; on any violation the intersection LATCHES into flashing amber and stays there
// until a person clears it on site. A remote command never clears it: there is no code path for
// that, by design (REFERENCE §2: NEMA TS2 MMU behaviour; the hardware monitor stays as well).
//
// Deterministic and small on purpose: no timers, no I/O, time comes in as an argument.
import type { ProposedAspect } from './signal-plan.js';

/** What a group's head is commanded to show. */
export type SignalAspect = ProposedAspect | 'flash';

export interface SupervisorLimits {
  readonly minGreenS: number;
  /** Never below 3 s, whatever the policy says. */
  readonly yellowS: number;
  readonly allRedS: number;
}

export interface Latch {
  readonly reason: string;
  readonly atMs: number;
}

export type SupervisorResult =
  | { readonly ok: true; readonly aspects: Readonly<Record<string, SignalAspect>> }
  | { readonly ok: false; readonly aspects: Readonly<Record<string, SignalAspect>>; readonly latch: Latch };

/** The hard floor of the yellow interval; an MMU flags less than 2.7 s. */
export const MIN_YELLOW_S = 3;

export class SignalSupervisor {
  readonly #groups: readonly string[];
  readonly #conflicts: Map<string, Set<string>>;
  #limits: SupervisorLimits;
  #aspects: Record<string, ProposedAspect>;
  /** When each group entered its current aspect. */
  #sinceMs: Record<string, number>;
  #latch: Latch | undefined;

  constructor(opts: {
    groups: readonly string[];
    conflicts: readonly (readonly [string, string])[];
    limits: SupervisorLimits;
    nowMs: number;
  }) {
    this.#groups = opts.groups;
    this.#conflicts = new Map(opts.groups.map((g) => [g, new Set<string>()]));
    for (const [a, b] of opts.conflicts) {
      this.#conflicts.get(a)?.add(b);
      this.#conflicts.get(b)?.add(a);
    }
    this.#limits = checkLimits(opts.limits);
    // Start all red, as if every group had just turned red: the first green waits the intergreen.
    this.#aspects = Object.fromEntries(opts.groups.map((g) => [g, 'red' as const]));
    this.#sinceMs = Object.fromEntries(opts.groups.map((g) => [g, opts.nowMs]));
  }

  get latch(): Latch | undefined {
    return this.#latch;
  }

  get limits(): SupervisorLimits {
    return this.#limits;
  }

  /** New limits (from a policy, at a cycle boundary). */
  setLimits(limits: SupervisorLimits): void {
    this.#limits = checkLimits(limits);
  }

  /** What the heads show now. */
  aspects(): Readonly<Record<string, SignalAspect>> {
    return this.#latch ? this.#flash() : { ...this.#aspects };
  }

  /**
   * Checks a proposed state for every group. Accepted: it becomes current. Rejected: the
   * intersection latches into flash, and every later proposal is ignored until clearLocal().
   */
  propose(next: Readonly<Record<string, string>>, nowMs: number): SupervisorResult {
    if (this.#latch) return { ok: false, aspects: this.#flash(), latch: this.#latch };
    const violation = this.#check(next, nowMs);
    if (violation !== undefined) return this.trip(violation, nowMs);
    for (const g of this.#groups) {
      const a = next[g] as ProposedAspect;
      if (a !== this.#aspects[g]) {
        this.#aspects[g] = a;
        this.#sinceMs[g] = nowMs;
      }
    }
    return { ok: true, aspects: { ...this.#aspects } };
  }

  /** Latches flash for a reason found outside the proposal (a head that stopped answering). */
  trip(reason: string, nowMs: number): SupervisorResult & { ok: false } {
    this.#latch ??= { reason, atMs: nowMs };
    return { ok: false, aspects: this.#flash(), latch: this.#latch };
  }

  /**
   * Clears a latch. Only the on-site console may call this (the caller proves it is local);
   * the intersection restarts from all red, so the first green again waits the intergreen.
   */
  clearLocal(nowMs: number): void {
    this.#latch = undefined;
    for (const g of this.#groups) {
      this.#aspects[g] = 'red';
      this.#sinceMs[g] = nowMs;
    }
  }

  #flash(): Record<string, SignalAspect> {
    return Object.fromEntries(this.#groups.map((g) => [g, 'flash' as const]));
  }

  #check(next: Readonly<Record<string, string>>, nowMs: number): string | undefined {
    for (const key of Object.keys(next))
      if (!this.#groups.includes(key)) return `unknown signal group "${key}"`;
    for (const g of this.#groups) {
      const a = next[g];
      if (a !== 'red' && a !== 'yellow' && a !== 'green')
        return `group "${g}": invalid aspect ${JSON.stringify(a)}`;
    }
    // Conflicts: no two conflicting groups may both show anything but red.
    for (const g of this.#groups) {
      for (const c of this.#conflicts.get(g) ?? []) {
        if (g < c && next[g] !== 'red' && next[c] !== 'red') {
          return `conflict: "${g}" ${next[g]} and "${c}" ${next[c]} at once`;
        }
      }
    }
    const { minGreenS, yellowS, allRedS } = this.#limits;
    for (const g of this.#groups) {
      const from = this.#aspects[g]!;
      const to = next[g] as ProposedAspect;
      if (from === to) continue;
      const heldS = (nowMs - this.#sinceMs[g]!) / 1000;
      const change = `"${g}" ${from} → ${to}`;
      if (from === 'green' && to === 'red') return `${change} without yellow`;
      if (from === 'yellow' && to === 'green') return `${change}: yellow must end in red`;
      if (from === 'red' && to === 'yellow') return `${change}: yellow must follow green`;
      if (from === 'green' && heldS < minGreenS)
        return `${change} after ${heldS} s, below min green ${minGreenS} s`;
      if (from === 'yellow' && heldS < yellowS)
        return `${change} after ${heldS} s, below yellow ${yellowS} s`;
      if (from === 'red' && to === 'green') {
        for (const c of this.#conflicts.get(g) ?? []) {
          const redS = (nowMs - this.#sinceMs[c]!) / 1000;
          if (this.#aspects[c] !== 'red')
            return `${change} while conflicting "${c}" shows ${this.#aspects[c]}`;
          if (redS < allRedS)
            return `${change} ${redS} s after conflicting "${c}" turned red, below all-red ${allRedS} s`;
        }
      }
    }
    return undefined;
  }
}

function checkLimits(l: SupervisorLimits): SupervisorLimits {
  if (!(l.yellowS >= MIN_YELLOW_S)) throw new RangeError(`yellow ${l.yellowS} s is below ${MIN_YELLOW_S} s`);
  if (!(l.minGreenS > 0) || !(l.allRedS >= 0)) throw new RangeError('min green must be > 0 and all-red ≥ 0');
  return { ...l };
}
