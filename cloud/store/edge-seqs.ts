// Which sequence numbers of one edge are held, without asking a readings table: the highest seq up
// to which every seq is held, and the ranges held above it (usually none: an edge publishes in
// order, and a gap closes as soon as its re-send arrives). This decides duplicates and the
// contiguous seq, so readings can live in plain per-day tables that retention drops whole, with no
// (edge, seq) key to keep (issue 16). Ranges, not seqs: a gap that never closes (a batch lost for
// good) leaves one range that grows, not one entry per reading after it.
//
// Readings and events share the edge's one sequence counter (ARCHITECTURE.md), so both go through
// here: a reading that reuses an event's seq is a duplicate, which keeps `gaps` exact.

/** Held seqs above the contiguous one, as inclusive [first, last] ranges, sorted, apart by ≥ 2. */
export type SeqRanges = readonly (readonly [number, number])[];

export class EdgeSeqs {
  #contiguous: number;
  #ranges: [number, number][];

  constructor(contiguous = 0, ranges: SeqRanges = []) {
    this.#contiguous = contiguous;
    this.#ranges = ranges.map(([a, b]) => [a, b]);
  }

  /** Every seq 1..this is held. */
  get contiguous(): number {
    return this.#contiguous;
  }

  get ranges(): SeqRanges {
    return this.#ranges;
  }

  holds(seq: number): boolean {
    if (seq <= this.#contiguous) return true;
    let lo = 0;
    let hi = this.#ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const [a, b] = this.#ranges[mid]!;
      if (seq < a) hi = mid - 1;
      else if (seq > b) lo = mid + 1;
      else return true;
    }
    return false;
  }

  /** Marks `seqs` held (any order, none held before), then moves the contiguous seq up. */
  add(seqs: Iterable<number>): void {
    const sorted = [...seqs].sort((x, y) => x - y);
    if (sorted.length === 0) return;
    const fresh: [number, number][] = [];
    for (const s of sorted) {
      const last = fresh.at(-1);
      if (last && s <= last[1] + 1) last[1] = Math.max(last[1], s);
      else fresh.push([s, s]);
    }
    // Merge two sorted range lists, joining ranges that touch.
    const merged: [number, number][] = [];
    let i = 0;
    let j = 0;
    while (i < this.#ranges.length || j < fresh.length) {
      const next =
        j >= fresh.length || (i < this.#ranges.length && this.#ranges[i]![0] <= fresh[j]![0])
          ? this.#ranges[i++]!
          : fresh[j++]!;
      const last = merged.at(-1);
      if (last && next[0] <= last[1] + 1) last[1] = Math.max(last[1], next[1]);
      else merged.push([next[0], next[1]]);
    }
    while (merged.length > 0 && merged[0]![0] <= this.#contiguous + 1) {
      this.#contiguous = Math.max(this.#contiguous, merged.shift()![1]);
    }
    this.#ranges = merged;
  }

  /** The ranges as stored (a JSON array of pairs). */
  encode(): string {
    return JSON.stringify(this.#ranges);
  }

  static decode(contiguous: number, json: string): EdgeSeqs {
    return new EdgeSeqs(contiguous, JSON.parse(json) as [number, number][]);
  }
}
