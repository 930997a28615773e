// Detector readings → what the planners need: when each detector last saw a vehicle (actuated
// extension and gap-out, calls for skipped stages) and how many it counted (adaptive flows).
//
// A detector reports a cumulative vehicle count (wrapping at 2^32) and an occupancy percentage
// sampled each tick. A vehicle is seen when the count moves or the loop is occupied. A detector
// that is unavailable or absent is treated as calling all the time (NEMA TS2 practice: a failed
// detector goes to recall), so a dead loop makes its stage run to max green, never starve.
//
// Two kinds of detection, and their gaps (issue 14): a point loop (a few metres) is occupied only
// while a vehicle passes, so a gap is the time since its last actuation (the passage time,
// ~3 s); a presence zone (a lane-area detector tens of metres long) stays occupied while any
// vehicle is in it, so a passage time on top of it needs a headway of zone travel time + passage
// (a 50 m zone and 3 s: ~6.6 s) and a green never gaps out. A zone gaps out when it is EMPTY;
// PRESENCE_GAP_S of emptiness is enough (the next vehicle is at least a zone length away).

export interface DetectorReading {
  /** Cumulative count (any wrap-around); absent if the detector does not count. */
  readonly count?: number;
  /** Occupancy, percent. */
  readonly occupancy?: number;
  /** Vehicles queued on a lane-area detector, if it measures queues. */
  readonly queue?: number;
  readonly available: boolean;
  /** 'presence' for a zone detector (gaps when empty), 'point' (default) for a loop. */
  readonly kind?: DetectorKind;
}

export type DetectorKind = 'point' | 'presence';

/** A presence zone has gapped out after this long empty (s). */
export const PRESENCE_GAP_S = 1;

export type DetectorReadings = ReadonlyMap<string, DetectorReading>;

const COUNT_WRAP = 2 ** 32;

export class DetectorCalls {
  readonly #lastCount = new Map<string, number>();
  readonly #lastSeenMs = new Map<string, number>();
  readonly #failed = new Set<string>();
  readonly #counted = new Map<string, number>();
  readonly #queue = new Map<string, number>();
  readonly #kind = new Map<string, DetectorKind>();
  readonly #occupied = new Map<string, boolean>();
  #windowStartMs: number;

  constructor(nowMs: number) {
    this.#windowStartMs = nowMs;
  }

  /** Takes one tick's readings for the given detectors. */
  update(nowMs: number, detectors: readonly string[], readings: DetectorReadings): void {
    for (const id of detectors) {
      const r = readings.get(id);
      if (!r || !r.available) {
        this.#failed.add(id);
        this.#lastSeenMs.set(id, nowMs);
        this.#lastCount.delete(id);
        continue;
      }
      this.#failed.delete(id);
      this.#kind.set(id, r.kind ?? 'point');
      let seen = (r.occupancy ?? 0) > 0;
      this.#occupied.set(id, seen);
      if (typeof r.count === 'number' && Number.isFinite(r.count)) {
        const last = this.#lastCount.get(id);
        if (last !== undefined && r.count !== last) {
          seen = true;
          const delta = (((r.count - last) % COUNT_WRAP) + COUNT_WRAP) % COUNT_WRAP;
          this.#counted.set(id, (this.#counted.get(id) ?? 0) + delta);
        }
        this.#lastCount.set(id, r.count);
      }
      if (seen) this.#lastSeenMs.set(id, nowMs);
      if (typeof r.queue === 'number' && Number.isFinite(r.queue)) this.#queue.set(id, r.queue);
      else this.#queue.delete(id);
    }
  }

  /** When the detector last saw a vehicle (or now, if it has failed); undefined if never. */
  lastSeenMs(id: string): number | undefined {
    return this.#lastSeenMs.get(id);
  }

  failed(id: string): boolean {
    return this.#failed.has(id);
  }

  /** The detector's kind, as its last reading said (default 'point'). */
  kind(id: string): DetectorKind {
    return this.#kind.get(id) ?? 'point';
  }

  /** Occupied at the last reading. */
  occupied(id: string): boolean {
    return this.#occupied.get(id) ?? false;
  }

  /** The last queue reading of a lane-area detector, if any. */
  queue(id: string): number | undefined {
    return this.#queue.get(id);
  }

  /** Vehicles counted per detector since the last call, and over how long; starts a new window. */
  takeCounts(nowMs: number): { counts: Map<string, number>; windowS: number } {
    const counts = new Map(this.#counted);
    const windowS = (nowMs - this.#windowStartMs) / 1000;
    this.#counted.clear();
    this.#windowStartMs = nowMs;
    return { counts, windowS };
  }
}
