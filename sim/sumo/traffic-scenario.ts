// What a traffic run simulates: a net, its routes and additional files, from a `.sumocfg` or
// given one by one, and the detectors calle's controllers read. Where a light's incoming lanes
// have no detector in the scenario, lane-area detectors (E2) are added on them, written to an
// additional file in the run's temp dir (issue 7: "where the scenario has no detectors").
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { scanXmlTags, sumoDetectors, type SumoDetector, type SumoSignalModel } from './sumo-net-model.js';

export interface TrafficScenario {
  readonly net: string;
  readonly routes: readonly string[];
  readonly additional: readonly string[];
  /** The configuration's begin time (s; Ingolstadt's RESCO scenarios start at 57600). */
  readonly beginS?: number;
  /** The configuration's end time, if it has one (s). */
  readonly endS?: number;
}

/** Reads the inputs of a `.sumocfg`; paths are resolved against its directory. */
export function scenarioFromSumocfg(file: string): TrafficScenario {
  const dir = dirname(resolve(file));
  let net: string | undefined;
  let routes: string[] = [];
  let additional: string[] = [];
  let endS: number | undefined;
  let beginS: number | undefined;
  const list = (v: string | undefined): string[] =>
    (v ?? '')
      .split(/[\s,]+/)
      .filter(Boolean)
      .map((p) => resolve(dir, p));
  for (const t of scanXmlTags(readFileSync(file, 'utf8'))) {
    const v = t.attrs.value;
    if (t.name === 'net-file') net = list(v)[0];
    else if (t.name === 'route-files') routes = list(v);
    else if (t.name === 'additional-files') additional = list(v);
    else if (t.name === 'end' && v !== undefined) endS = Number(v);
    else if (t.name === 'begin' && v !== undefined) beginS = Number(v);
  }
  if (!net) throw new Error(`${file}: no <net-file> in the configuration`);
  for (const f of [net, ...routes, ...additional])
    if (!existsSync(f)) throw new Error(`${file}: input file ${f} does not exist`);
  return {
    net,
    routes,
    additional,
    ...(beginS !== undefined && Number.isFinite(beginS) ? { beginS } : {}),
    ...(endS !== undefined && Number.isFinite(endS) ? { endS } : {}),
  };
}

/** The detectors already in the scenario's additional files. */
export function scenarioDetectors(s: TrafficScenario): SumoDetector[] {
  return s.additional.flatMap((f) => sumoDetectors(readFileSync(f, 'utf8')));
}

/** Lane lengths from the net (m). */
export function laneLengths(netXml: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of scanXmlTags(netXml))
    if (t.name === 'lane' && t.attrs.id) out.set(t.attrs.id, Number(t.attrs.length));
  return out;
}

/** E2 length when calle adds detectors: about the queue a 30 s red builds on one lane (m). */
export const ADDED_E2_LENGTH_M = 50;

/**
 * Detectors for the lights' incoming lanes: the scenario's own where a lane has one, otherwise a
 * lane-area detector from the stop line back ADDED_E2_LENGTH_M (or the whole lane), written to
 * `<dir>/calle-detectors.add.xml`. Returns every detector and the added file, if any.
 */
export function detectorsFor(
  models: readonly SumoSignalModel[],
  existing: readonly SumoDetector[],
  netXml: string,
  dir: string,
): { detectors: SumoDetector[]; addedFile?: string } {
  const covered = new Set(existing.map((d) => d.lane));
  const lengths = laneLengths(netXml);
  const lanes = new Set(
    models.flatMap((m) => m.groups.filter((g) => g.kind === 'vehicle').flatMap((g) => g.lanes)),
  );
  const preds = lanePredecessors(netXml);
  const added: SumoDetector[] = [];
  const rows: string[] = [];
  for (const lane of [...lanes].sort()) {
    if (covered.has(lane)) continue;
    const len = lengths.get(lane);
    if (len === undefined || !(len > 0)) throw new Error(`lane "${lane}": no length in the net`);
    const id = `calle_e2_${lane}`;
    // A short approach lane (a joined cluster's 1 m stub) would see only the first vehicle of a
    // queue: detection continues upstream through unique predecessors, up to ADDED_E2_LENGTH_M.
    const chain = [lane];
    let total = len;
    for (
      let up = preds.get(lane);
      total < ADDED_E2_LENGTH_M && up !== undefined && !chain.includes(up);
      up = preds.get(up)
    ) {
      chain.unshift(up);
      total += lengths.get(up) ?? 0;
    }
    // One single-lane E2 per lane of the chain, all assigned to the stop-line lane's group
    // (SUMO 1.15's multi-lane E2 trips an assertion in MSE2Collector::notifyEnter on Debian's
    // build, measured here on ingolstadt7).
    let remaining = ADDED_E2_LENGTH_M;
    for (let c = chain.length - 1; c >= 0; c--) {
      const l = chain[c]!;
      const ll = lengths.get(l) ?? 0;
      if (!(ll > 0) || remaining <= 0) break;
      const did = c === chain.length - 1 ? id : `${id}~${chain.length - 1 - c}`;
      const pos = Math.max(0, ll - remaining);
      rows.push(
        `  <laneAreaDetector id="${xmlAttr(did)}" lane="${xmlAttr(l)}" pos="${pos.toFixed(2)}" endPos="${ll.toFixed(2)}" period="3600" file="NUL"/>`,
      );
      remaining -= ll - pos;
      added.push({ id: did, lane, kind: 'lane-area' });
    }
  }
  if (added.length === 0) return { detectors: [...existing] };
  const addedFile = join(dir, 'calle-detectors.add.xml');
  writeFileSync(addedFile, `<additional>\n${rows.join('\n')}\n</additional>\n`);
  return { detectors: [...existing, ...added], addedFile };
}

/** Each lane's single upstream lane (over normal edges), where it has exactly one. */
export function lanePredecessors(netXml: string): Map<string, string> {
  const all = new Map<string, Set<string>>();
  for (const t of scanXmlTags(netXml)) {
    const a = t.attrs;
    if (t.name !== 'connection' || !a.from || !a.to || a.from.startsWith(':') || a.to.startsWith(':'))
      continue;
    const to = `${a.to}_${a.toLane ?? '0'}`;
    all.set(to, (all.get(to) ?? new Set()).add(`${a.from}_${a.fromLane ?? '0'}`));
  }
  const out = new Map<string, string>();
  for (const [lane, from] of all) if (from.size === 1) out.set(lane, [...from][0]!);
  return out;
}

function xmlAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}
