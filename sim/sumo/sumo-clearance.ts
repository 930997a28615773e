// Change intervals for a signal group of a SUMO net by the ITE formulas (REFERENCE §2), from the
// net's own geometry: the approach lane's speed limit and the length of the path through the
// junction. Used by sumoIntersectionConfig's `clearance: 'ite'` (the HIL runs' default).
import type { SumoSignalGroup } from './sumo-net-model.js';

/**
 * ITE change interval constants (REFERENCE §2). Grade 0: SUMO shapes carry a z only when the net
 * was built with elevation, and no net in data/sumo has one (every shape is x,y).
 */
const ITE = { reactionS: 1, decelMs2: 3.0, gMs2: 9.81, grade: 0, vehicleM: 6, minYellowS: 3, maxYellowS: 6 };
/**
 * Up to the next tenth of a second, the controller's timing resolution: the formulas give the
 * least safe value, and rounding further up (some agencies use 0.5 s) only adds lost time. The
 * epsilon keeps float noise (1.6000000001) from adding a tenth.
 */
const upToTenth = (s: number): number => Math.round(Math.ceil(s * 10 - 1e-9)) / 10;

/**
 * A vehicle group's change interval by the ITE formulas (REFERENCE §2), the worst of its
 * connections (one aspect serves them all):
 * - yellow = t + v / (2a + 2Gg) with G = 0 (flat nets, see ITE). Clamped to 3–6 s, up to the next 0.1 s.
 * - all-red = (W + L) / v, up to the next 0.1 s and at least 1 s. v is the incoming lane's speed
 *   limit, W the length of the connection's internal lane(s): the path from SUMO's stop line (the
 *   edge of the junction shape) to the start of the exit edge, so it covers the whole junction
 *   along the vehicle's own path — a turn's arc, not the straight width — and not the shorter
 *   distance to the last conflict point (conservative). A slower vehicle than the limit needs
 *   longer; ITE designs for the limit (or 85th percentile speed), and so do we.
 */
export function iteClearance(g: SumoSignalGroup): { yellowS: number; allRedS: number } {
  if (!g.clearing?.length) throw new Error(`group "${g.id}": no clearing distance (a pedestrian group?)`);
  let yellowS = ITE.minYellowS;
  let allRedS = 1;
  for (const { speedMs: v, widthM: w } of g.clearing) {
    const y = ITE.reactionS + v / (2 * ITE.decelMs2 + 2 * ITE.grade * ITE.gMs2);
    yellowS = Math.max(yellowS, Math.min(ITE.maxYellowS, upToTenth(y)));
    allRedS = Math.max(allRedS, upToTenth((w + ITE.vehicleM) / v));
  }
  return { yellowS, allRedS };
}
