// Road networks calle has never seen (issue 14, item 2), made by SUMO's own `netgenerate` from a
// seed: a grid, a spider or a random net; 1–3 lanes; left-turn bays of 20–100 m or none; links
// of 200–400 m; 1–4 signalised junctions. Everything follows from the seed; nothing in calle
// may depend on the net or its name (the ids are netgenerate's).
//
// Two steps, both SUMO tools: `netgenerate` builds the geometry with priority junctions, then
// `netconvert` sets the traffic lights on the chosen junctions (`--tls.set`), so that the count is
// exact (netgenerate's `-j traffic_light` signals every junction, fringe stubs included), and, for
// a spider, cuts the outer ring so that its nodes become the fringe where traffic enters and
// leaves. netconvert builds each light's program by its defaults: a protected left phase where a
// left has its own lane (`tls.left-green.time`), permissive lefts otherwise.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scanXmlTags, sumoSignalModel } from '../../sim/sumo/sumo-net-model.js';
import { SUMO_HOME } from '../../sim/sumo/sumo-process.js';

export const NET_KINDS = ['grid', 'spider', 'random'] as const;
export type NetKind = (typeof NET_KINDS)[number];

export interface GeneratedNetParams {
  readonly kind: NetKind;
  readonly signals: number;
  readonly lanes: number;
  /** Left-turn bay length, m; 0: no bay. */
  readonly bayM: number;
  /** Link lengths, m. */
  readonly linkM: number;
  readonly speedMs: number;
  /** netgenerate's own seed (random nets). */
  readonly seed: number;
  /** Spider arms (3–5). */
  readonly arms: number;
}

/** A seeded uniform generator (mulberry32): the same seed gives the same scenario everywhere. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The net a seed stands for. */
export function netParams(seed: number): GeneratedNetParams {
  const r = rng(seed * 7919 + 17);
  const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
  const x = r();
  const kind: NetKind = x < 0.45 ? 'grid' : x < 0.75 ? 'spider' : 'random';
  return {
    kind,
    signals: int(1, 4),
    lanes: int(1, 3),
    bayM: r() < 0.3 ? 0 : int(2, 10) * 10,
    linkM: int(20, 40) * 10,
    speedMs: [11.11, 13.89, 13.89, 16.67][int(0, 3)]!,
    seed: int(1, 100_000),
    arms: int(3, 5),
  };
}

/** Which grid shape has `n` signals (every grid node is signalised). */
const GRID_SHAPE: Record<number, [number, number]> = { 1: [1, 1], 2: [2, 1], 3: [3, 1], 4: [2, 2] };

const tool = (bin: string, args: readonly string[]): void => {
  try {
    execFileSync(bin, args, { env: { ...process.env, SUMO_HOME }, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(
      `${bin} failed: ${e.stderr?.toString().trim() || e.message}\ncommand: ${bin} ${args.join(' ')}`,
    );
  }
};

/** Builds the net of `p` as `<dir>/net.net.xml`; returns the file and its signalised junctions. */
export function buildNet(p: GeneratedNetParams, dir: string): { net: string; tls: string[] } {
  const raw = join(dir, 'raw.net.xml');
  const common = [
    '--default.lanenumber',
    String(p.lanes),
    '--default.speed',
    String(p.speedMs),
    '--default-junction-type',
    'priority',
    '--no-turnarounds',
    '--seed',
    String(p.seed),
    ...(p.bayM > 0 ? ['--turn-lanes', '1', '--turn-lanes.length', String(p.bayM)] : []),
    '-o',
    raw,
  ];
  const L = String(p.linkM);
  if (p.kind === 'grid') {
    const [gx, gy] = GRID_SHAPE[p.signals]!;
    tool('netgenerate', [
      '--grid',
      '--grid.x-number',
      String(gx),
      '--grid.y-number',
      String(gy),
      '--grid.length',
      L,
      '--grid.attach-length',
      L,
      ...common,
    ]);
  } else if (p.kind === 'spider') {
    tool('netgenerate', [
      '--spider',
      '--spider.arm-number',
      String(p.arms),
      '--spider.circle-number',
      '2',
      '--spider.space-radius',
      L,
      ...common,
    ]);
  } else {
    tool('netgenerate', [
      '--rand',
      '--rand.iterations',
      '12',
      '--rand.min-distance',
      String(Math.max(200, p.linkM - 100)),
      '--rand.max-distance',
      String(Math.min(400, p.linkM + 100)),
      '--rand.min-angle',
      '60',
      ...common,
    ]);
  }
  const nodes = junctionLegs(readFileSync(raw, 'utf8'));
  let tls: string[];
  let remove: string[] = [];
  if (p.kind === 'grid') {
    tls = [...nodes.keys()].filter((n) => /^[A-Z]\d+$/.test(n));
  } else if (p.kind === 'spider') {
    // netgenerate names the centre A1 and the circles B, C by arm number; the outer ring's edges
    // (C1C2 and the pieces a bay splits off, C1C2.303.55) are cut so C nodes become the fringe.
    remove = edgeIds(readFileSync(raw, 'utf8')).filter((e) => /^C\d+C\d+/.test(e));
    const ring = [...nodes.keys()].filter((n) => /^B\d+$/.test(n)).sort();
    tls = ['A1', ...ring.slice(0, p.signals - 1)];
  } else {
    // The junctions with the most legs (at least 3), by id for a stable order.
    tls = [...nodes]
      .filter(([id, legs]) => legs >= 3 && !id.includes('.'))
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0], 'en', { numeric: true }))
      .slice(0, p.signals)
      .map(([id]) => id);
  }
  if (tls.length === 0) throw new Error(`${p.kind} net of seed ${p.seed}: no junction to signalise`);
  const net = join(dir, 'net.net.xml');
  tool('netconvert', [
    '-s',
    raw,
    '--tls.set',
    tls.join(','),
    ...(remove.length ? ['--remove-edges.explicit', remove.join(',')] : []),
    '--no-turnarounds',
    '--junctions.join',
    'false',
    '-o',
    net,
  ]);
  const unsafe = tls.flatMap((tl) => unsafeProgram(readFileSync(net, 'utf8'), tl));
  if (unsafe.length) throw new UnsafeNetError(`${p.kind} net of seed ${p.seed}: ${unsafe.join('; ')}`);
  return { net, tls };
}

/** netconvert built a program that shows two foes as protected green (odd random geometry). */
export class UnsafeNetError extends Error {}

/**
 * Phases of `tl`'s own program that show two foes as `G` at once. netconvert does this on some
 * random junctions (two approaches meeting at a sharp angle); such a net cannot be a baseline,
 * since SUMO's own program would count as unsafe.
 */
function unsafeProgram(netXml: string, tl: string): string[] {
  const m = sumoSignalModel(netXml, tl, { permissive: 'from-program' });
  const link = (g: string): number => Number(g.slice(1));
  const go = (c: string | undefined): boolean => /[Gg]/.test(c ?? 'r');
  const out: string[] = [];
  for (const ph of m.phases) {
    const s = ph.state;
    for (const [a, b] of m.conflicts)
      if (go(s[link(a)]) && go(s[link(b)])) out.push(`tl ${tl} "${s}" shows foes ${a} and ${b} together`);
    // A permissive pair is safe only while the yielding link shows minor green (the harness's rule).
    for (const [y, p] of m.permissive)
      if (s[link(y)] === 'G' && go(s[link(p)])) out.push(`tl ${tl} "${s}" shows ${y} as G against ${p}`);
  }
  return out.slice(0, 3);
}

/** Legs (distinct neighbour junctions over normal edges) per junction. */
function junctionLegs(netXml: string): Map<string, number> {
  const near = new Map<string, Set<string>>();
  for (const t of scanXmlTags(netXml)) {
    const a = t.attrs;
    if (t.name !== 'edge' || !a.from || !a.to || a.function) continue;
    (near.get(a.from) ?? near.set(a.from, new Set()).get(a.from)!).add(a.to);
    (near.get(a.to) ?? near.set(a.to, new Set()).get(a.to)!).add(a.from);
  }
  return new Map([...near].map(([n, s]) => [n, s.size]));
}

function edgeIds(netXml: string): string[] {
  const out: string[] = [];
  for (const t of scanXmlTags(netXml))
    if (t.name === 'edge' && t.attrs.id && !t.attrs.function) out.push(t.attrs.id);
  return out;
}
