// Demand for a generated net (issue 14, item 2): what makes signal control hard, from a seed.
// - Flows enter at every fringe edge (from a dead end), Poisson-like (`--randomize-flows`), over
//   periods: light, rising, a directional peak (the sources heading one way get more), a surge
//   (every source up), back to normal, light again so queues can drain.
// - Turns at every junction: right 20 %, straight 60 %, left 20 % where those exist; one approach
//   of one signalised junction gets heavy lefts (40–55 % left, 15 % right, straight the rest), the case
//   where a permissive left finds no gaps and its bay overflows.
// Routes are drawn by SUMO's `jtrrouter` from these flows and turning ratios (a SUMO tool, so the
// routes are SUMO's, not a route writer of ours); a route ends where it leaves the net.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scanXmlTags } from '../../sim/sumo/sumo-net-model.js';
import { rng } from './generated-net.js';
import { SUMO_HOME } from '../../sim/sumo/sumo-process.js';

export interface DemandParams {
  /** Vehicles per hour per lane of a fringe approach at the normal level. */
  readonly basePerLaneVph: number;
  /** The directional peak's factor on sources heading the peak's way. */
  readonly peakFactor: number;
  /** Every source's factor during the surge. */
  readonly surgeFactor: number;
  /** Heading of the peak, radians. */
  readonly peakHeading: number;
  /** Left share of the heavy-left approach. */
  readonly heavyLeft: number;
}

/** Period fractions of the run and their demand factors; `peak` applies the directional factor. */
const PERIODS = [
  { share: 0.15, factor: 0.35 },
  { share: 0.15, factor: 0.75 },
  { share: 0.25, factor: 0.9, peak: true },
  { share: 0.1, factor: 1, surge: true },
  { share: 0.2, factor: 0.8 },
  { share: 0.15, factor: 0.35 },
] as const;

export function demandParams(seed: number): DemandParams {
  const r = rng(seed * 104_729 + 3);
  return {
    basePerLaneVph: Math.round(200 + r() * 160),
    peakFactor: 1.3 + r() * 0.4,
    surgeFactor: 1.25 + r() * 0.3,
    peakHeading: r() * 2 * Math.PI,
    heavyLeft: 0.4 + r() * 0.15,
  };
}

interface NetShape {
  readonly edges: Map<string, { from: string; to: string; lanes: number }>;
  readonly nodes: Map<string, { type: string; x: number; y: number }>;
  /** Normal edge → its successors with SUMO's direction letter. */
  readonly turns: Map<string, Map<string, string>>;
}

function netShape(netXml: string): NetShape {
  const edges: NetShape['edges'] = new Map();
  const nodes: NetShape['nodes'] = new Map();
  const turns: NetShape['turns'] = new Map();
  for (const t of scanXmlTags(netXml)) {
    const a = t.attrs;
    if (t.name === 'edge' && a.id && !a.function && a.from && a.to) {
      edges.set(a.id, { from: a.from, to: a.to, lanes: 0 });
    } else if (t.name === 'lane' && t.parentAttrs?.id && edges.has(t.parentAttrs.id)) {
      const e = edges.get(t.parentAttrs.id)!;
      edges.set(t.parentAttrs.id, { ...e, lanes: e.lanes + 1 });
    } else if (t.name === 'junction' && a.id && !a.id.startsWith(':')) {
      nodes.set(a.id, { type: a.type ?? '', x: Number(a.x), y: Number(a.y) });
    } else if (t.name === 'connection' && a.from && a.to && !a.from.startsWith(':') && edges.has(a.from)) {
      (turns.get(a.from) ?? turns.set(a.from, new Map()).get(a.from)!).set(a.to, a.dir ?? 's');
    }
  }
  return { edges, nodes, turns };
}

const TURN_SHARE: Record<string, number> = { r: 0.2, s: 0.6, l: 0.2 };
const dirClass = (d: string): string | undefined =>
  d === 'r' || d === 'R' ? 'r' : d === 's' ? 's' : d === 'l' || d === 'L' ? 'l' : undefined;

/**
 * Writes `<dir>/flows.xml`, `<dir>/turns.xml` and the routes `<dir>/routes.rou.xml` for `seconds`
 * of demand on `net`; `tls` are the signalised junctions (one gets the heavy-left approach).
 * Returns the routes file and what was chosen.
 */
export function buildDemand(
  net: string,
  tls: readonly string[],
  seconds: number,
  seed: number,
  dir: string,
): { routes: string; heavyLeftEdge: string | undefined; params: DemandParams } {
  const p = demandParams(seed);
  const r = rng(seed * 31 + 5);
  const shape = netShape(readFileSync(net, 'utf8'));
  const sources = [...shape.edges].filter(([, e]) => shape.nodes.get(e.from)?.type === 'dead_end');
  const sinks = [...shape.edges]
    .filter(([, e]) => shape.nodes.get(e.to)?.type === 'dead_end')
    .map(([id]) => id);
  if (sources.length === 0 || sinks.length === 0)
    throw new Error(`${net}: no fringe edge to enter or leave by`);
  // The heavy-left approach: an edge into a signalised junction that has a left turn.
  const candidates = [...shape.edges]
    .filter(
      ([id, e]) =>
        tls.includes(e.to) && [...(shape.turns.get(id)?.values() ?? [])].some((d) => dirClass(d) === 'l'),
    )
    .map(([id]) => id)
    .sort();
  const heavyLeftEdge = candidates.length ? candidates[Math.floor(r() * candidates.length)] : undefined;

  const relations: string[] = [];
  for (const [from, succ] of [...shape.turns].sort((a, b) => a[0].localeCompare(b[0]))) {
    const share = from === heavyLeftEdge ? { r: 0.15, s: 0.85 - p.heavyLeft, l: p.heavyLeft } : TURN_SHARE;
    const byClass = new Map<string, string[]>();
    for (const [to, d] of succ) {
      const c = dirClass(d);
      if (c) (byClass.get(c) ?? byClass.set(c, []).get(c)!).push(to);
    }
    const total = [...byClass.keys()].reduce((t, c) => t + share[c]!, 0);
    if (byClass.size < 2 || !(total > 0)) continue; // one way on: jtrrouter needs no ratio
    for (const [c, tos] of byClass)
      for (const to of tos)
        relations.push(
          `    <edgeRelation from="${from}" to="${to}" probability="${(share[c]! / total / tos.length).toFixed(4)}"/>`,
        );
  }
  const turns = join(dir, 'turns.xml');
  writeFileSync(
    turns,
    `<edgeRelations>\n  <interval begin="0" end="${seconds}">\n${relations.join('\n')}\n  </interval>\n</edgeRelations>\n`,
  );

  const flows: string[] = [];
  let t0 = 0;
  PERIODS.forEach((period, k) => {
    const t1 = k === PERIODS.length - 1 ? seconds : Math.round(t0 + period.share * seconds);
    for (const [id, e] of sources) {
      const from = shape.nodes.get(e.from)!;
      const to = shape.nodes.get(e.to)!;
      const heading = Math.atan2(to.y - from.y, to.x - from.x);
      const off = Math.abs(Math.atan2(Math.sin(heading - p.peakHeading), Math.cos(heading - p.peakHeading)));
      let factor: number = period.factor;
      if ('peak' in period && off < Math.PI / 3) factor *= p.peakFactor;
      if ('surge' in period) factor *= p.surgeFactor;
      const vph = Math.round(p.basePerLaneVph * Math.max(1, e.lanes) * factor);
      if (t1 > t0 && vph > 0)
        flows.push(
          `  <flow id="f${k}_${id}" from="${id}" begin="${t0}" end="${t1}" vehsPerHour="${vph}" departLane="best" departSpeed="max"/>`,
        );
    }
    t0 = t1;
  });
  const flowFile = join(dir, 'flows.xml');
  writeFileSync(flowFile, `<routes>\n${flows.join('\n')}\n</routes>\n`);
  const routes = join(dir, 'routes.rou.xml');
  const args = [
    '-n',
    net,
    '-r',
    flowFile,
    '-t',
    turns,
    '--randomize-flows',
    '--sink-edges',
    sinks.join(','),
    '--seed',
    String(seed),
    '--max-edges-factor',
    '2',
    '--no-warnings',
    '--no-step-log',
    '-o',
    routes,
  ];
  try {
    execFileSync('jtrrouter', args, {
      env: { ...process.env, SUMO_HOME },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(
      `jtrrouter failed: ${e.stderr?.toString().trim() || e.message}\ncommand: jtrrouter ${args.join(' ')}`,
    );
  }
  return { routes, heavyLeftEdge, params: p };
}
