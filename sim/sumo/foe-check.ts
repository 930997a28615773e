// The harness's own safety check, independent of calle's model and supervisor: which links of a
// traffic light are foes, taken from SUMO itself (TraCI controlled links: from lane, to lane,
// via lane per state index) and the junction's `<request foes response>` rows in the net, and a
// count of the states that show two foes going at once.
//
// A foe pair may show together only as a permissive movement that the net's own programs
// already show (some phase has both going, one as minor green `g`: a left turn filtering through
// opposing traffic), and then only while the side that the junction's `response` row makes
// yield shows a minor aspect (`g`, or `y`, SUMO's minor yellow) — so a yielding left may clear on
// yellow with the opposing through. Every other foe pair is hard: never both going. Lanes of one edge merging into the same edge are
// one stream, not a conflict. Request bitstrings are read right to left (bit j = character
// n − 1 − j), and a via lane that is not in the junction's intLanes is followed through the
// internal connections until it is (left turns cross an internal junction).
import { scanXmlTags } from './sumo-net-model.js';

const GO = /[GgyYu]/;

export interface FoeChecker {
  /** Link pairs [i, j], i < j, that are foes. */
  readonly foes: readonly (readonly [number, number])[];
  /** The first conflict in a state string, as text, or undefined when it is safe. */
  check(state: string): string | undefined;
}

/** Builds the checker of one light from the net's XML and its TraCI controlled links. */
export function foeChecker(
  netXml: string,
  tlId: string,
  links: readonly (readonly (readonly string[])[])[],
): FoeChecker {
  const program: string[] = [];
  const junctionOf = new Map<string, string>(); // internal lane → junction id
  const rows = new Map<string, { intLanes: string[]; foes: string[]; response: string[] }>();
  const next = new Map<string, string>();
  for (const t of scanXmlTags(netXml)) {
    const a = t.attrs;
    // Internal junctions (inside a left turn) list intLanes too, but carry no request rows.
    if (t.name === 'junction' && a.id && a.type !== 'internal') {
      const intLanes = (a.intLanes ?? '').split(/\s+/).filter(Boolean);
      rows.set(a.id, { intLanes, foes: [], response: [] });
      for (const l of intLanes) junctionOf.set(l, a.id);
    } else if (t.name === 'request' && t.parentAttrs?.id) {
      const j = rows.get(t.parentAttrs.id);
      if (j) {
        j.foes[Number(a.index)] = a.foes ?? '';
        j.response[Number(a.index)] = a.response ?? '';
      }
    } else if (t.name === 'phase' && t.parentAttrs?.id === tlId && a.state) {
      program.push(a.state);
    } else if (t.name === 'connection' && a.from?.startsWith(':') && a.via) {
      next.set(`${a.from}_${a.fromLane ?? '0'}`, a.via);
    }
  }
  const edge = (lane: string): string => lane.slice(0, lane.lastIndexOf('_'));
  interface Req {
    junction: string;
    index: number;
    movement: string;
  }
  const reqs: Req[][] = links.map((alts, i) =>
    alts.map(([from, to, via]) => {
      let lane: string | undefined = via;
      for (let hops = 0; lane && !junctionOf.has(lane) && hops < 8; hops++) lane = next.get(lane);
      const junction = lane === undefined ? undefined : junctionOf.get(lane);
      if (junction === undefined) throw new Error(`link ${i} via "${via}": no request row in the net`);
      return {
        junction,
        index: rows.get(junction)!.intLanes.indexOf(lane!),
        movement: `${edge(from!)}>${edge(to!)}`,
      };
    }),
  );
  const bit = (row: string | undefined, j: number): boolean =>
    row !== undefined && row.length > j && row[row.length - 1 - j] === '1';
  const foes: [number, number][] = [];
  const yields = new Set<string>();
  for (let i = 0; i < reqs.length; i++) {
    for (let j = i + 1; j < reqs.length; j++) {
      let foe = false;
      for (const a of reqs[i]!) {
        for (const b of reqs[j]!) {
          if (a.junction !== b.junction || a.movement === b.movement) continue;
          const r = rows.get(a.junction)!;
          if (bit(r.foes[a.index], b.index) || bit(r.foes[b.index], a.index)) foe = true;
          if (bit(r.response[a.index], b.index)) yields.add(`${i}>${j}`);
          if (bit(r.response[b.index], a.index)) yields.add(`${j}>${i}`);
        }
      }
      if (foe) foes.push([i, j]);
    }
  }
  const permitted = new Set<string>();
  for (const st of program) {
    for (const [i, j] of foes) {
      if (GO.test(st[i] ?? 'r') && GO.test(st[j] ?? 'r') && (st[i] === 'g' || st[j] === 'g'))
        permitted.add(`${i}|${j}`);
    }
  }
  const minor = (c: string): boolean => c === 'g' || c === 'y';
  return {
    foes,
    check(state) {
      if (state.length !== links.length)
        return `state "${state}" has ${state.length} links, the light ${links.length}`;
      for (const [i, j] of foes) {
        const a = state[i]!;
        const b = state[j]!;
        if (!GO.test(a) || !GO.test(b)) continue;
        if (
          permitted.has(`${i}|${j}`) &&
          ((minor(a) && yields.has(`${i}>${j}`)) || (minor(b) && yields.has(`${j}>${i}`)))
        )
          continue;
        return `links ${i} '${a}' and ${j} '${b}' are foes`;
      }
      return undefined;
    },
  };
}
