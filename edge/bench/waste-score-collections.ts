// The fill a collection round finds, forecast at the previous collection: the one thing Edinburgh's
// collection records (fill before and after each collection, no readings between) can check.
// Each collection becomes two readings of a processed feed, the fill before it a minute earlier and
// the fill after it; before each "before" reading the site's WasteController is asked for the
// expected fill at that time, from the readings up to the previous collection.
//
// Baselines: "no change" (the fill the previous round found) and the linear trend through the last
// two readings (the previous cycle's rise over its duration, carried from the fill left behind).
import { WasteController } from '../control/waste-controller.js';
import type { Collections } from './waste-datasets.js';

const BEFORE_MS = 60_000;
const DEPTH_CM = 100;

export interface CollectionScores {
  readonly n: number;
  /** MAE, fill fraction. */
  readonly calle: number;
  readonly noChange: number;
  readonly trend: number;
}

export function scoreCollections(sites: readonly Collections[]): CollectionScores {
  const w = new WasteController(
    sites.map((s) => ({ id: s.id, depthCm: DEPTH_CM, fullThreshold: 1 })),
    // A processed feed: nothing to hold; every drop at a collection is the collection.
    { engine: 'wasm', params: { spikeCm: Number.POSITIVE_INFINITY, emptyDrop: 0.01 } },
  );
  const events: { timeMs: number; site: number; k: number; fill: number; before: boolean }[] = [];
  sites.forEach((s, site) =>
    s.collections.forEach((c, k) => {
      events.push({ timeMs: c.timeMs - BEFORE_MS, site, k, fill: c.before, before: true });
      events.push({ timeMs: c.timeMs, site, k, fill: c.after, before: false });
    }),
  );
  events.sort((a, b) => a.timeMs - b.timeMs || a.site - b.site || Number(b.before) - Number(a.before));
  const sum = { n: 0, calle: 0, noChange: 0, trend: 0 };
  for (const e of events) {
    const s = sites[e.site]!;
    const cs = s.collections;
    if (e.before && e.k >= 2) {
      const expected = w.expectedFill(s.id, e.timeMs);
      const prev = cs[e.k - 1]!;
      const prev2 = cs[e.k - 2]!;
      const rate = (prev.before - prev2.after) / (prev.timeMs - prev2.timeMs);
      const trend = Math.min(1, Math.max(0, prev.after + rate * (cs[e.k]!.timeMs - prev.timeMs)));
      if (expected === expected) {
        sum.n++;
        sum.calle += Math.abs(expected - e.fill);
        sum.noChange += Math.abs(prev.before - e.fill);
        sum.trend += Math.abs(trend - e.fill);
      }
    }
    w.observe(s.id, DEPTH_CM * (1 - e.fill));
    w.step(e.timeMs);
  }
  return { n: sum.n, calle: sum.calle / sum.n, noChange: sum.noChange / sum.n, trend: sum.trend / sum.n };
}
