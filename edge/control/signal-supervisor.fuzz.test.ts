// 10^5 random intersections (groups, conflicts, timings — a share of them invalid) and random
// proposal sequences, with trips and local clears mixed in. An oracle written separately from the
// supervisor follows only what reaches the drivers (the aspects the supervisor returns) and checks:
// no conflicting pair green/yellow together, no green shorter than its minimum, no yellow shorter
// than its change interval, every intergreen respected, and a latch that stays until a local clear.
import test from 'ava';
import { modelProblems, type IntersectionModel } from './intersection-model.js';
import { SignalSupervisor, type SignalAspect } from './signal-supervisor.js';
import { mulberry32 as prng } from '../../common/random/seeded-random.js';

const CASES = 100_000;
const STEPS = 16;

function randomModel(r: () => number): IntersectionModel {
  const n = 2 + Math.floor(r() * 5);
  const half = (lo: number, hi: number): number => lo + Math.floor(r() * ((hi - lo) * 2 + 1)) / 2;
  const yellowS = r() < 0.05 ? half(1, 2.5) : half(3, 5);
  const allRedS = r() < 0.02 ? -1 : half(0, 3);
  const groups = Array.from({ length: n }, (_, i) => {
    const ped = r() < 0.3;
    const minGreenS = r() < 0.02 ? 0 : ped ? half(7, 10) : half(2, 10);
    return {
      id: `g${i}`,
      kind: ped ? ('pedestrian' as const) : ('vehicle' as const),
      minGreenS,
      maxGreenS: minGreenS + 20,
      changeS: r() < 0.03 ? half(1, 2.5) : ped ? half(yellowS, 12) : yellowS,
      detectors: [],
    };
  });
  const conflicts: [string, string][] = [];
  const intergreenS: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (r() < 0.45) {
        conflicts.push([`g${i}`, `g${j}`]);
        for (const [a, b] of [
          [i, j],
          [j, i],
        ] as const) {
          const base = groups[a]!.changeS + Math.max(0, allRedS);
          intergreenS[`g${a}>g${b}`] = r() < 0.02 ? base - 2 : base + (r() < 0.3 ? half(0, 3) : 0);
        }
      } else if (r() < 0.01) {
        intergreenS[`g${i}>g${j}`] = 5; // an intergreen for a pair that does not conflict: invalid
      }
    }
  }
  return { groups, conflicts, intergreenS, yellowS, allRedS };
}

/** The oracle: what the drivers were told, and the rules it must obey. */
class Oracle {
  readonly #m: IntersectionModel;
  readonly #conflict = new Set<string>();
  #shown: Record<string, SignalAspect> = {};
  #since: Record<string, number> = {};
  #greenEnd: Record<string, number> = {};
  latched = false;

  constructor(m: IntersectionModel, nowMs: number) {
    this.#m = m;
    for (const [a, b] of m.conflicts) this.#conflict.add(`${a}|${b}`).add(`${b}|${a}`);
    this.reset(nowMs);
  }

  reset(nowMs: number): void {
    this.latched = false;
    for (const g of this.#m.groups) {
      this.#shown[g.id] = 'red';
      this.#since[g.id] = nowMs;
      this.#greenEnd[g.id] = nowMs - g.changeS * 1000;
    }
  }

  /**
   * A proposal a careful planner would make: each group moves on only when its rules allow —
   * except, one time in ten, a rule is ignored on purpose (a near miss for the supervisor).
   */
  careful(r: () => number, nowMs: number): Record<string, string> {
    const next: Record<string, string> = {};
    for (const g of this.#m.groups) next[g.id] = this.#shown[g.id] === 'flash' ? 'red' : this.#shown[g.id]!;
    for (const g of this.#m.groups) {
      if (r() < 0.5) continue;
      const sloppy = r() < 0.1;
      const held = nowMs - this.#since[g.id]!;
      const a = next[g.id];
      if (a === 'green' && (sloppy || held >= g.minGreenS * 1000)) next[g.id] = 'yellow';
      else if (a === 'yellow' && (sloppy || held >= g.changeS * 1000)) next[g.id] = 'red';
      else if (a === 'red') {
        const clear = this.#m.groups.every(
          (c) =>
            !this.#conflict.has(`${c.id}|${g.id}`) ||
            (next[c.id] === 'red' &&
              nowMs - this.#greenEnd[c.id]! >= this.#m.intergreenS[`${c.id}>${g.id}`]! * 1000),
        );
        if (sloppy || clear) next[g.id] = 'green';
      }
    }
    return next;
  }

  /** Returns the first broken rule, or undefined. */
  observe(out: Readonly<Record<string, SignalAspect>>, nowMs: number): string | undefined {
    const ids = this.#m.groups.map((g) => g.id);
    if (Object.keys(out).length !== ids.length) return `output has ${Object.keys(out).length} groups`;
    const flashing = ids.filter((g) => out[g] === 'flash').length;
    if (flashing > 0 && flashing < ids.length) return 'partial flash';
    if (flashing > 0) {
      this.latched = true;
      return undefined;
    }
    if (this.latched) return 'a latch ended without a local clear';
    for (const a of ids)
      for (const b of ids)
        if (a < b && this.#conflict.has(`${a}|${b}`) && out[a] !== 'red' && out[b] !== 'red')
          return `conflicting ${a} ${out[a]} / ${b} ${out[b]}`;
    for (const g of this.#m.groups) {
      const from = this.#shown[g.id]!;
      const to = out[g.id]!;
      if (from === to) continue;
      const held = nowMs - this.#since[g.id]!;
      if (from === 'green' && to !== 'yellow') return `${g.id} green → ${to}`;
      if (from === 'yellow' && to !== 'red') return `${g.id} yellow → ${to}`;
      if (from === 'red' && to !== 'green') return `${g.id} red → ${to}`;
      if (from === 'green' && held < g.minGreenS * 1000)
        return `${g.id} green ${held} ms < min ${g.minGreenS} s`;
      if (from === 'yellow' && held < g.changeS * 1000) return `${g.id} yellow ${held} ms < ${g.changeS} s`;
      if (to === 'green') {
        for (const c of ids) {
          if (!this.#conflict.has(`${c}|${g.id}`)) continue;
          const need = this.#m.intergreenS[`${c}>${g.id}`]! * 1000;
          if (nowMs - this.#greenEnd[c]! < need)
            return `${c} → ${g.id} intergreen ${nowMs - this.#greenEnd[c]!} ms < ${need}`;
        }
      }
    }
    for (const g of ids) {
      if (out[g] === this.#shown[g]) continue;
      if (this.#shown[g] === 'green') this.#greenEnd[g] = nowMs;
      this.#shown[g] = out[g]!;
      this.#since[g] = nowMs;
    }
    return undefined;
  }
}

const NEXT: Record<string, string> = { green: 'yellow', yellow: 'red', red: 'green' };
const ASPECTS = ['red', 'yellow', 'green'];

test('supervisor fuzz — 10^5 random plans and proposal sequences: nothing unsafe reaches the drivers', (t) => {
  const stats = { invalid: 0, accepted: 0, changes: 0, latches: 0, clears: 0, relatchedAfterClear: 0 };
  for (let k = 0; k < CASES; k++) {
    const r = prng(k + 1);
    const model = randomModel(r);
    const valid = modelProblems(model).length === 0;
    let now = 1_700_000_000_000;
    if (!valid) {
      stats.invalid++;
      const err = t.throws(
        () => new SignalSupervisor(model, now),
        { instanceOf: RangeError },
        `case ${k + 1}`,
      );
      if (!err) return;
      continue;
    }
    const sup = new SignalSupervisor(model, now);
    const oracle = new Oracle(model, now);
    const ids = model.groups.map((g) => g.id);
    let cleared = false;
    for (let s = 0; s < STEPS; s++) {
      now += Math.floor(r() * 12) * 500;
      const roll = r();
      let out: Readonly<Record<string, SignalAspect>>;
      if (roll < 0.04) {
        out = sup.trip('fuzz trip', now).aspects;
      } else if (roll < 0.1) {
        const wasLatched = sup.latch !== undefined;
        sup.clearLocal(now);
        oracle.reset(now);
        if (wasLatched) stats.clears++;
        cleared = true;
        out = sup.aspects();
        if (ids.some((g) => out[g] !== 'red')) {
          t.fail(`case ${k + 1}: not all red after a local clear`);
          return;
        }
      } else {
        const current = sup.aspects();
        const base: Record<string, string> = {};
        for (const g of ids) base[g] = current[g] === 'flash' ? 'red' : current[g]!;
        let next: Record<string, string>;
        if (roll < 0.6) {
          next = oracle.careful(r, now);
        } else if (roll < 0.75) {
          next = { ...base };
          for (const g of ids) if (r() < 0.35) next[g] = NEXT[base[g]!]!;
        } else if (roll < 0.93) {
          next = Object.fromEntries(ids.map((g) => [g, ASPECTS[Math.floor(r() * 3)]!]));
        } else if (roll < 0.96) {
          next = { ...base, [r() < 0.5 ? 'intruder' : ids[0]!]: r() < 0.5 ? 'blue' : 'red' };
        } else {
          next = base;
        }
        const wasLatched = sup.latch !== undefined;
        const res = sup.propose(next, now);
        out = res.aspects;
        if (res.ok) {
          stats.accepted++;
          if (ids.some((g) => next[g] !== base[g])) stats.changes++;
        } else if (!wasLatched) {
          stats.latches++;
          if (cleared) stats.relatchedAfterClear++;
        }
        if (wasLatched && res.ok) {
          t.fail(`case ${k + 1}: a latched supervisor accepted a proposal`);
          return;
        }
      }
      const broken = oracle.observe(out, now);
      if (broken !== undefined) {
        t.fail(`case ${k + 1} step ${s}: ${broken}`);
        return;
      }
    }
  }
  t.log(stats);
  // The generator must exercise the supervisor, not latch every case at its first step.
  t.true(stats.invalid > CASES * 0.05 && stats.invalid < CASES * 0.5, `invalid ${stats.invalid}`);
  t.true(stats.changes > CASES, `accepted changes ${stats.changes}`);
  t.true(stats.latches > CASES * 0.3, `latches ${stats.latches}`);
  t.true(stats.relatchedAfterClear > 1000, `latches after a clear ${stats.relatchedAfterClear}`);
});
