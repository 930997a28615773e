// The fair baseline (issue 14, item 1): SUMO's own actuated controller given the same kind of
// change intervals calle runs, so that a comparison is made at equal safety. SUMO's shipped
// programs keep 2–3 s yellows and no all-red; calle's intervals are ITE's, from the net's
// geometry. Here every tlLogic of a net is rewritten:
// - type `actuated` (SUMO's gap-based actuation with its own induction loops), every green phase
//   minDur 5 s / maxDur 50 s (x1's actuated net, netconvert's defaults), its duration within them;
// - every yellow phase lasts ceil(1 + v / 6.1) s, clamped to 3–6 s, v the fastest approach speed
//   limit among the links it ends (ITE: t = 1 s, 2a = 6.1 m/s², i.e. a = 10 ft/s², grade 0);
// - an all-red phase follows each yellow, the yellow's links red and the others as they were, of
//   ceil((W + 6 m) / v) s and at least 1 s, W the longest path through the junction among the
//   links it ends (the length of their internal lanes) and v that same fastest speed.
// Whole seconds: SUMO's programs step in whole seconds here. The rule is the issue's, word for
// word: one v and one W per yellow, not the worst per link (which would give the slow long turns
// a longer all-red and the baseline more lost time).
//
// Deliberately independent of calle's clearance code (edge/control/sumo-clearance.ts) and of its
// signal model (sumo-net-model.ts): it reads the net's lanes and connections itself, so a mistake
// in calle's geometry cannot make the baseline look worse by the same amount. Only the generic
// XML tag scanner is shared.
import { scanXmlTags } from '../../sim/sumo/sumo-net-model.js';

/** The fair baseline's constants (issue 14; ITE change interval, REFERENCE §2). */
export const FAIR = {
  reactionS: 1,
  /** 2 × deceleration, m/s²: ITE's 10 ft/s² (3.05 m/s²) doubled. */
  twoDecelMs2: 6.1,
  vehicleM: 6,
  minYellowS: 3,
  maxYellowS: 6,
  minAllRedS: 1,
  minGreenS: 5,
  maxGreenS: 50,
} as const;

/** A yellow phase's fair intervals and what they were computed from. */
export interface FairChange {
  /** Index of the yellow phase in the tlLogic's original program. */
  readonly phase: number;
  readonly yellowS: number;
  readonly allRedS: number;
  /** Fastest approach speed among the links the yellow ends (m/s). */
  readonly speedMs: number;
  /** Longest path through the junction among them (m). */
  readonly pathM: number;
}

interface Geometry {
  /** tl id → linkIndex → the connections' (approach speed, path length) pairs. */
  readonly links: Map<string, Map<number, { speedMs: number; pathM: number }[]>>;
}

function geometry(netXml: string): Geometry {
  const speed = new Map<string, number>(); // normal lane → speed limit
  const internalLength = new Map<string, number>(); // internal lane → length
  const nextInternal = new Map<string, string>(); // internal lane → the internal lane after it
  const conns: { tl: string; link: number; lane: string; via: string }[] = [];
  for (const t of scanXmlTags(netXml)) {
    const a = t.attrs;
    if (t.name === 'lane' && a.id) {
      if (t.parentAttrs?.function === 'internal') internalLength.set(a.id, Number(a.length));
      else if (t.parentAttrs?.function === undefined) speed.set(a.id, Number(a.speed));
    } else if (t.name === 'connection' && a.from && a.to) {
      if (a.from.startsWith(':')) {
        if (a.via) nextInternal.set(`${a.from}_${a.fromLane ?? '0'}`, a.via);
      } else if (a.tl !== undefined && a.via) {
        conns.push({
          tl: a.tl,
          link: Number(a.linkIndex),
          lane: `${a.from}_${a.fromLane ?? '0'}`,
          via: a.via,
        });
      }
    }
  }
  const links: Geometry['links'] = new Map();
  for (const c of conns) {
    const v = speed.get(c.lane);
    // Pedestrian links (from a walking area) have no normal approach lane: not a vehicle yellow.
    if (v === undefined || !(v > 0)) continue;
    let pathM = 0;
    const seen = new Set<string>();
    for (let l: string | undefined = c.via; l !== undefined && !seen.has(l); l = nextInternal.get(l)) {
      seen.add(l);
      pathM += internalLength.get(l) ?? 0;
    }
    const byLink = links.get(c.tl) ?? links.set(c.tl, new Map()).get(c.tl)!;
    (byLink.get(c.link) ?? byLink.set(c.link, []).get(c.link)!).push({ speedMs: v, pathM });
  }
  return { links };
}

/** Whole seconds up, ignoring float noise (3.0000000001 is 3). */
const ceilS = (s: number): number => Math.ceil(s - 1e-9);

/** The fair yellow and all-red of one yellow phase, from the links it ends; undefined if none. */
export function fairChange(
  ending: readonly { speedMs: number; pathM: number }[],
): { yellowS: number; allRedS: number; speedMs: number; pathM: number } | undefined {
  if (ending.length === 0) return undefined;
  const speedMs = Math.max(...ending.map((e) => e.speedMs));
  const pathM = Math.max(...ending.map((e) => e.pathM));
  const yellowS = Math.min(
    FAIR.maxYellowS,
    Math.max(FAIR.minYellowS, ceilS(FAIR.reactionS + speedMs / FAIR.twoDecelMs2)),
  );
  const allRedS = Math.max(FAIR.minAllRedS, ceilS((pathM + FAIR.vehicleM) / speedMs));
  return { yellowS, allRedS, speedMs, pathM };
}

const YELLOW = /[yY]/;
const GREEN = /[Gg]/;

/** Each yellow phase's fair intervals, per traffic light (original phase indices). */
export function fairChanges(netXml: string): Map<string, FairChange[]> {
  const geo = geometry(netXml);
  const out = new Map<string, FairChange[]>();
  const phases = new Map<string, string[]>();
  const program = new Map<string, string>(); // tl → the first program's id (the one SUMO runs)
  for (const t of scanXmlTags(netXml)) {
    const tl = t.parentAttrs?.id;
    if (t.name !== 'phase' || tl === undefined || !t.attrs.state) continue;
    const id = t.parentAttrs?.programID ?? '0';
    if ((program.get(tl) ?? program.set(tl, id).get(tl)) !== id) continue;
    (phases.get(tl) ?? phases.set(tl, []).get(tl)!).push(t.attrs.state);
  }
  for (const [tl, states] of phases) {
    const byLink = geo.links.get(tl) ?? new Map<number, { speedMs: number; pathM: number }[]>();
    const changes: FairChange[] = [];
    states.forEach((state, phase) => {
      if (!YELLOW.test(state)) return;
      const ending = [...state].flatMap((c, i) => (YELLOW.test(c) ? (byLink.get(i) ?? []) : []));
      const ch = fairChange(ending);
      if (ch) changes.push({ phase, ...ch });
    });
    out.set(tl, changes);
  }
  return out;
}

/**
 * The net's text with every tlLogic made the fair baseline (see the file comment). Throws when a
 * program uses `next` (inserted all-red phases would shift its indices) or has no yellow phase.
 */
export function fairBaselineNetXml(netXml: string): string {
  const changes = fairChanges(netXml);
  const done = new Set<string>();
  return netXml.replace(/<tlLogic\b[^>]*>[\s\S]*?<\/tlLogic>/g, (block) => {
    const id = /\bid="([^"]*)"/.exec(block)?.[1] ?? '';
    // Only the first program of a light is rewritten; SUMO runs that one.
    if (done.has(id)) return block;
    done.add(id);
    if (/<phase\b[^>]*\bnext=/.test(block))
      throw new Error(`tlLogic "${id}": phases with "next" are not supported`);
    const byPhase = new Map((changes.get(id) ?? []).map((c) => [c.phase, c]));
    let k = -1;
    const out = block
      .replace(/\btype="[^"]*"/, 'type="actuated"')
      .replace(/<phase\b([^>]*?)\/>/g, (phase: string, attrs: string) => {
        k++;
        const state = /\bstate="([^"]*)"/.exec(attrs)?.[1] ?? '';
        const indent = '\n        ';
        const ch = byPhase.get(k);
        if (ch) {
          const red = state.replace(/[yY]/g, 'r');
          return (
            `<phase duration="${ch.yellowS}" state="${state}"/>` +
            `${indent}<phase duration="${ch.allRedS}" state="${red}"/>`
          );
        }
        if (!GREEN.test(state) || YELLOW.test(state)) return phase;
        const duration = Number(/\bduration="([^"]*)"/.exec(attrs)?.[1]);
        const d = Math.min(
          FAIR.maxGreenS,
          Math.max(FAIR.minGreenS, Number.isFinite(duration) ? duration : FAIR.minGreenS),
        );
        return `<phase duration="${d}" state="${state}" minDur="${FAIR.minGreenS}" maxDur="${FAIR.maxGreenS}"/>`;
      });
    if (byPhase.size === 0) throw new Error(`tlLogic "${id}": no yellow phase to time`);
    return out;
  });
}
