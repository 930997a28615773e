// Builds an intersection's signal model from a SUMO network (`.net.xml`), so the controller and
// its supervisor can be pointed at any SUMO junction (REFERENCE §1) — the HIL issue needs that.
//
// - Signal groups are the traffic light's controlled links: one group per `linkIndex` of the
//   `<connection … tl= linkIndex=>` rows (the character of SUMO's state string at that index).
// - Conflicts come from the controlled junction's `<request index foes response>` rows. The
//   bitstrings are indexed RIGHT-TO-LEFT: bit j is the character at position (n − 1 − j). Checked
//   on x1: link 0 (north arm, right turn into the west exit) has foes "00000000000011000000",
//   whose ones are links 6 and 7 — the westbound through lanes merging into that same exit.
// - Every foe pair is a HARD conflict by default: never green or yellow together. SUMO programs do
//   show some foes together — a permitted left turn as minor green `g` against the opposing
//   through `G` — and the net alone cannot say which foes a signal engineer allows that way (the
//   `response` bits encode the junction's right-of-way, not compatibility: on the Ingolstadt nets
//   every foe pair has exactly one yielding side, crossing through movements included). With
//   `permissive: 'from-program'` the pairs the net's own program shows together, the `g` one
//   yielding per `response`, become compatible; all other foes stay hard conflicts. Foes within
//   one movement (lanes of the same edge merging into the same exit) are not signal conflicts.
//   Measured on every net in data/sumo (x1, ingolstadt1/7/21, sumo-rl's two): no phase shows two
//   foes both as protected green; overlaps always involve a `g` (or the yellow that follows it).
// - Request indices are the junction's own link order, not the tl's linkIndex: a connection maps
//   to a request row through its `via` internal lane, found in the junction's `intLanes` (after
//   following internal connections past an internal junction, as left turns have).
//
// The XML is read with a small tag scanner (regular expressions over start and end tags), not a
// general parser: SUMO's net files are machine-written (no CDATA, no DTD, attributes quoted), and
// this keeps the edge free of an XML dependency. Comments are stripped first.
import { readFileSync } from 'node:fs';
import type { IntersectionConfig } from '../../edge/config/edge-config.js';
import { iteClearance } from './sumo-clearance.js';

export interface XmlTag {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  /** Names of the enclosing open elements, outermost first. */
  readonly parents: readonly string[];
  /** The nearest enclosing element's attributes (for a `<request>`, its `<junction>`). */
  readonly parentAttrs: Readonly<Record<string, string>> | undefined;
}

const TAG = /<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g;
const ATTR = /([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
const ENTITY: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Every element of a machine-written XML document, in document order. */
export function* scanXmlTags(xml: string): Generator<XmlTag> {
  const text = xml.replace(/<!--[\s\S]*?-->/g, '').replace(/<\?[\s\S]*?\?>/g, '');
  const stack: { name: string; attrs: Record<string, string> }[] = [];
  for (const m of text.matchAll(TAG)) {
    const [, close, name, rawAttrs, selfClose] = m as unknown as [string, string, string, string, string];
    if (close) {
      if (stack.at(-1)?.name === name) stack.pop();
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of rawAttrs.matchAll(ATTR)) {
      attrs[a[1]!] = (a[2] ?? a[3] ?? '').replace(/&(amp|lt|gt|quot|apos);/g, (_, e: string) => ENTITY[e]!);
    }
    yield { name, attrs, parents: stack.map((s) => s.name), parentAttrs: stack.at(-1)?.attrs };
    if (!selfClose) stack.push({ name, attrs });
  }
}

export interface SumoSignalGroup {
  /** `l<linkIndex>`: a valid calle item id. */
  readonly id: string;
  readonly linkIndex: number;
  readonly kind: 'vehicle' | 'pedestrian';
  /** Incoming lanes feeding this link: where its detectors belong. */
  readonly lanes: readonly string[];
  /** SUMO direction letters of its connections (s, l, r, t, L, R). */
  readonly dirs: readonly string[];
  /** Length of the crossing, for a pedestrian group (m). */
  readonly crossingM?: number;
  /**
   * What each of a vehicle group's connections must clear (distinct pairs): the incoming lane's
   * speed limit and the length of its path through the junction (see `iteClearance`).
   */
  readonly clearing?: readonly { readonly speedMs: number; readonly widthM: number }[];
}

export interface SumoPhase {
  readonly durationS: number;
  readonly state: string;
}

export interface SumoSignalModel {
  readonly tlId: string;
  readonly programId: string;
  readonly groups: readonly SumoSignalGroup[];
  /** Hard conflicts: never green or yellow together. Each pair once, ids in linkIndex order. */
  readonly conflicts: readonly (readonly [string, string])[];
  /** [yielding, priority] foe pairs treated as compatible (see `permissive`). */
  readonly permissive: readonly (readonly [string, string])[];
  /** The net's own program for this traffic light, for cross-checks and as a starting plan. */
  readonly phases: readonly SumoPhase[];
}

export interface SumoModelOptions {
  /** Which program to read the phases of; default the first in the file. */
  readonly programId?: string;
  /**
   * 'none' (default): every foe pair is a hard conflict. 'from-program': foe pairs that the net's
   * own program shows together, one of them as minor green `g` that yields, become compatible.
   */
  readonly permissive?: 'none' | 'from-program';
}

/** Traffic-light ids in a net, in file order. */
export function sumoTrafficLights(xml: string): string[] {
  const ids = new Set<string>();
  for (const t of scanXmlTags(xml)) if (t.name === 'tlLogic' && t.attrs.id) ids.add(t.attrs.id);
  return [...ids];
}

interface Junction {
  intLanes: string[];
  foes: string[];
  response: string[];
}

/** Reads the model of traffic light `tlId` from the text of a `.net.xml`. */
export function sumoSignalModel(xml: string, tlId: string, opts: SumoModelOptions = {}): SumoSignalModel {
  const edgeTo = new Map<string, string>();
  const laneSpeed = new Map<string, number>();
  const internalLength = new Map<string, number>(); // internal lane → length (m)
  const crossingLength = new Map<string, number>();
  const junctions = new Map<string, Junction>();
  const internalNext = new Map<string, string>(); // internal lane → the next internal lane
  const controlled: {
    from: string;
    to: string;
    fromLane: string;
    via: string;
    linkIndex: number;
    dir: string;
  }[] = [];
  let programId: string | undefined;
  const phases: SumoPhase[] = [];

  for (const t of scanXmlTags(xml)) {
    const a = t.attrs;
    if (t.name === 'edge' && a.id) {
      if (a.to) edgeTo.set(a.id, a.to);
      if (a.function === 'crossing') crossingLength.set(a.id, Number.NaN);
    } else if (t.name === 'lane' && t.parentAttrs?.function === 'crossing' && a.id) {
      const edge = t.parentAttrs.id!;
      if (Number.isNaN(crossingLength.get(edge))) crossingLength.set(edge, Number(a.length));
    } else if (t.name === 'lane' && a.id) {
      if (t.parentAttrs?.function === 'internal') internalLength.set(a.id, Number(a.length));
      else laneSpeed.set(a.id, Number(a.speed));
    } else if (t.name === 'junction' && a.id) {
      junctions.set(a.id, { intLanes: words(a.intLanes), foes: [], response: [] });
    } else if (t.name === 'request' && t.parentAttrs?.id) {
      const j = junctions.get(t.parentAttrs.id);
      const i = Number(a.index);
      if (j && Number.isInteger(i)) {
        j.foes[i] = a.foes ?? '';
        j.response[i] = a.response ?? '';
      }
    } else if (t.name === 'tlLogic' && a.id === tlId) {
      if (programId === undefined && (opts.programId === undefined || a.programID === opts.programId)) {
        programId = a.programID ?? '0';
      }
    } else if (t.name === 'phase' && t.parentAttrs?.id === tlId) {
      if (t.parentAttrs.programID === programId && a.state) {
        phases.push({ durationS: Number(a.duration), state: a.state });
      }
    } else if (t.name === 'connection' && a.from && a.to) {
      if (a.from.startsWith(':') && a.via) internalNext.set(`${a.from}_${a.fromLane ?? '0'}`, a.via);
      if (a.tl === tlId) {
        controlled.push({
          from: a.from,
          to: a.to,
          fromLane: a.fromLane ?? '0',
          // A walking area → crossing link has no via: the crossing lane is its request row.
          via: a.via ?? `${a.to}_${a.toLane ?? '0'}`,
          linkIndex: Number(a.linkIndex),
          dir: a.dir ?? '',
        });
      }
    }
  }
  if (programId === undefined) throw new Error(`tlLogic "${tlId}": not found in the net`);
  if (controlled.length === 0) throw new Error(`tlLogic "${tlId}": controls no connection`);

  // Each controlled link's (junction, request index) pairs.
  const requests = new Map<number, { junction: string; index: number; movement: string }[]>();
  const lanes = new Map<number, Set<string>>();
  const dirs = new Map<number, Set<string>>();
  for (const c of controlled) {
    // A walking area (":J_w0") has no `to`: its junction is in its name.
    const junction =
      edgeTo.get(c.from) ?? (c.from.startsWith(':') ? c.from.slice(1, c.from.lastIndexOf('_')) : undefined);
    const j = junction === undefined ? undefined : junctions.get(junction);
    if (!j) throw new Error(`connection from "${c.from}": its junction is not in the net`);
    let lane: string | undefined = c.via;
    for (let hops = 0; lane !== undefined && !j.intLanes.includes(lane) && hops < 8; hops++) {
      lane = internalNext.get(lane);
    }
    const index = lane === undefined ? -1 : j.intLanes.indexOf(lane);
    if (index < 0)
      throw new Error(
        `connection via "${c.via}": no request row at junction "${junction}" (net without internal links?)`,
      );
    requests.set(c.linkIndex, [
      ...(requests.get(c.linkIndex) ?? []),
      { junction: junction!, index, movement: `${c.from}>${c.to}` },
    ]);
    lanes.set(c.linkIndex, (lanes.get(c.linkIndex) ?? new Set()).add(`${c.from}_${c.fromLane}`));
    dirs.set(c.linkIndex, (dirs.get(c.linkIndex) ?? new Set()).add(c.dir));
  }

  const links = [...requests.keys()].sort((x, y) => x - y);
  const id = (link: number): string => `l${link}`;
  const bit = (row: string | undefined, j: number): boolean =>
    row !== undefined && row.length > j && row[row.length - 1 - j] === '1';
  const foes: [number, number][] = [];
  const yields = new Set<string>(); // "i>j": link i yields to link j
  for (const [n, li] of links.entries()) {
    for (const lj of links.slice(n + 1)) {
      let foe = false;
      for (const ri of requests.get(li)!) {
        for (const rj of requests.get(lj)!) {
          // Lanes of one movement (same edge in, same edge out) merging are one stream to a signal.
          if (ri.junction !== rj.junction || ri.movement === rj.movement) continue;
          const jn = junctions.get(ri.junction)!;
          if (bit(jn.foes[ri.index], rj.index) || bit(jn.foes[rj.index], ri.index)) foe = true;
          if (bit(jn.response[ri.index], rj.index)) yields.add(`${li}>${lj}`);
          if (bit(jn.response[rj.index], ri.index)) yields.add(`${lj}>${li}`);
        }
      }
      if (foe) foes.push([li, lj]);
    }
  }
  // Permissive pairs, when asked for: foes the program shows together with one of them as minor
  // green `g` (and SUMO's junction logic agreeing that this one yields).
  const permissivePairs = new Map<string, [number, number]>();
  if (opts.permissive === 'from-program') {
    for (const { state } of phases) {
      for (const [li, lj] of foes) {
        const a = state[li];
        const b = state[lj];
        if (a === 'g' && b !== undefined && SUMO_GO.test(b) && yields.has(`${li}>${lj}`))
          permissivePairs.set(`${li}|${lj}`, [li, lj]);
        else if (b === 'g' && a !== undefined && SUMO_GO.test(a) && yields.has(`${lj}>${li}`))
          permissivePairs.set(`${li}|${lj}`, [lj, li]);
      }
    }
  }
  const conflicts = foes
    .filter(([li, lj]) => !permissivePairs.has(`${li}|${lj}`))
    .map(([li, lj]) => [id(li), id(lj)] as const);
  const permissive = [...permissivePairs.values()].map(([y, p]) => [id(y), id(p)] as const);

  const groups = links.map((link): SumoSignalGroup => {
    // A link out of a walking area onto a crossing is a pedestrian signal.
    const crossing = controlled.find((c) => c.linkIndex === link && crossingLength.has(edgeOfLane(c.via)));
    const crossingM = crossing ? crossingLength.get(edgeOfLane(crossing.via)) : undefined;
    const pedestrian = crossing !== undefined;
    const clearing = new Map<string, { speedMs: number; widthM: number }>();
    for (const c of pedestrian ? [] : controlled.filter((x) => x.linkIndex === link)) {
      const lane = `${c.from}_${c.fromLane}`;
      const speedMs = laneSpeed.get(lane);
      if (!(speedMs !== undefined && speedMs > 0))
        throw new Error(`lane "${lane}": speed ${speedMs} must be a positive number (m/s)`);
      // The via lane, then the internal lanes after an internal junction (a left turn's second half).
      let widthM = 0;
      const seen = new Set<string>();
      for (let v: string | undefined = c.via; v !== undefined && !seen.has(v); v = internalNext.get(v)) {
        seen.add(v);
        widthM += internalLength.get(v) ?? 0;
      }
      clearing.set(`${speedMs}|${widthM}`, { speedMs, widthM: Math.round(widthM * 100) / 100 });
    }
    return {
      id: id(link),
      linkIndex: link,
      kind: pedestrian ? 'pedestrian' : 'vehicle',
      lanes: [...lanes.get(link)!],
      dirs: [...dirs.get(link)!],
      ...(crossingM !== undefined && Number.isFinite(crossingM) ? { crossingM } : {}),
      ...(pedestrian ? {} : { clearing: [...clearing.values()] }),
    };
  });
  return { tlId, programId, groups, conflicts, permissive, phases };
}

/** Reads the file and builds the model of `tlId`. */
export function loadSumoSignalModel(
  file: string,
  tlId: string,
  opts: SumoModelOptions = {},
): SumoSignalModel {
  return sumoSignalModel(readFileSync(file, 'utf8'), tlId, opts);
}

export interface SumoDetector {
  readonly id: string;
  readonly lane: string;
  readonly kind: 'induction-loop' | 'lane-area';
}

/** Induction loops (E1) and lane-area detectors (E2) of an additional file (`.det.add.xml`). */
export function sumoDetectors(xml: string): SumoDetector[] {
  const out: SumoDetector[] = [];
  for (const t of scanXmlTags(xml)) {
    const kind =
      t.name === 'inductionLoop' || t.name === 'e1Detector'
        ? 'induction-loop'
        : t.name === 'laneAreaDetector' || t.name === 'e2Detector'
          ? 'lane-area'
          : undefined;
    if (kind && t.attrs.id && t.attrs.lane) out.push({ id: t.attrs.id, lane: t.attrs.lane, kind });
  }
  return out;
}

/**
 * An intersection configuration for calle's controller from a SUMO model: one stage per green
 * phase of the net's program (its `G` links, plus `g` links that the model treats as compatible),
 * each green at least the minimum; detectors assigned to groups by lane. Heads are named after the
 * groups (`<id>-l3`): the HIL setup provides devices of those ids.
 */
export function sumoIntersectionConfig(
  m: SumoSignalModel,
  opts: {
    id: string;
    yellowS?: number;
    allRedS?: number;
    minGreenS?: number;
    /**
     * Maximum green of every vehicle group under actuated and adaptive control. Without it the
     * maximum is the program's green (intersection-model.ts), which starves a movement whose
     * static green is short — a 6 s protected left with 300 veh/h cannot clear at 7 s.
     */
    maxGreenS?: number;
    detectors?: readonly SumoDetector[];
    /**
     * 'flat' (default, the old rule): every conflicting pair gets yellowS + allRedS. 'ite': each
     * vehicle group's yellow and all-red from the net (`iteClearance`); yellowS and allRedS must
     * then not be given. The plan has one vehicle yellow (intersection-model.ts), so it is the
     * longest group yellow; each group's intergreens are that yellow + its own all-red — the
     * all-red runs from the end of the yellow actually shown (a driver may enter on the last of
     * it), not of the shorter one the group alone would need. The plan's all-red, which sizes the
     * cycle and the all-red before a manual flash, is the longest group all-red; pedestrian groups
     * keep the model's rule (clearance from the crossing length + the plan's all-red).
     */
    clearance?: 'flat' | 'ite';
  },
): IntersectionConfig {
  const ite = opts.clearance === 'ite';
  if (ite && (opts.yellowS !== undefined || opts.allRedS !== undefined))
    throw new Error(
      `${opts.id}: yellowS/allRedS are computed from the net with clearance 'ite'; give neither`,
    );
  const vehicles = m.groups.filter((g) => g.kind === 'vehicle');
  const perGroup = new Map(ite ? vehicles.map((g) => [g.id, iteClearance(g)]) : []);
  const yellowS = ite ? Math.max(3, ...[...perGroup.values()].map((c) => c.yellowS)) : (opts.yellowS ?? 3);
  const allRedS = ite ? Math.max(1, ...[...perGroup.values()].map((c) => c.allRedS)) : (opts.allRedS ?? 2);
  // A vehicle group's intergreens: the plan's yellow, then its own all-red (pedestrians: default).
  const clear = (from: string, to: string): { from: string; to: string; s: number }[] => {
    const c = perGroup.get(from);
    return c ? [{ from, to, s: yellowS + c.allRedS }] : [];
  };
  const minGreenS = opts.minGreenS ?? 7;
  const permissive = new Set(m.permissive.map(([y]) => y));
  const stages: { groups: string[]; greenS: number }[] = [];
  for (const p of m.phases) {
    if (/[yYu]/.test(p.state)) continue;
    const groups = m.groups
      .filter((g) => p.state[g.linkIndex] === 'G' || (p.state[g.linkIndex] === 'g' && permissive.has(g.id)))
      .map((g) => g.id);
    if (groups.length > 0) stages.push({ groups, greenS: Math.max(minGreenS, Math.round(p.durationS)) });
  }
  const detectors = opts.detectors ?? [];
  const cycleS = stages.reduce((t, s) => t + s.greenS + yellowS + allRedS, 0);
  return {
    id: opts.id,
    name: `SUMO traffic light ${m.tlId}`,
    signalGroups: m.groups.map((g) => ({
      id: g.id,
      head: `${opts.id}-${g.id}`,
      kind: g.kind,
      detectors: detectors.filter((d) => g.lanes.includes(d.lane)).map((d) => d.id),
      ...(opts.maxGreenS !== undefined && g.kind !== 'pedestrian' ? { maxGreenS: opts.maxGreenS } : {}),
      ...(g.crossingM !== undefined ? { crossingM: g.crossingM } : {}),
    })),
    conflicts: m.conflicts,
    ...(ite ? { intergreen: m.conflicts.flatMap(([a, b]) => [...clear(a, b), ...clear(b, a)]) } : {}),
    detectors: [
      ...new Set(detectors.filter((d) => m.groups.some((g) => g.lanes.includes(d.lane))).map((d) => d.id)),
    ],
    plan: { cycleS, yellowS, allRedS, minGreenS, stages },
  };
}

/** SUMO state characters that let traffic go (green, minor green, yellow, red-yellow). */
export const SUMO_GO = /[GgyYu]/;

function words(s: string | undefined): string[] {
  return (s ?? '').split(/\s+/).filter((w) => w.length > 0);
}

function edgeOfLane(lane: string): string {
  return lane.slice(0, lane.lastIndexOf('_'));
}
