// The two SUMO baselines a calle run is compared with, as scenarios on temp copies of the net:
// - stock: SUMO's actuated controller with the net's own phases and change intervals (x1 ships an
//   actuated net; the other scenarios ship static programs, so a copy is written with each
//   tlLogic turned `actuated` and every green phase given minDur/maxDur 5 s / 50 s, x1's actuated
//   values and netconvert's defaults). SUMO then places its own induction loops on the incoming
//   lanes (gap-based actuation, SUMO's documented default). 2–3 s yellows, no all-red.
// - fair: the same actuation with ITE change intervals computed from the net (fair-baseline.ts),
//   so that calle, which runs ITE intervals, is compared at equal safety (issue 14).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fairBaselineNetXml } from './fair-baseline.js';
import type { TrafficScenario } from '../../sim/sumo/traffic-scenario.js';

/** Minimum and maximum green of the stock actuated copy (s): x1's actuated net and netconvert's defaults. */
const ACT_MIN_S = 5;
const ACT_MAX_S = 50;

/**
 * The net's text with every static tlLogic made actuated: green phases (a `G`/`g` and no `y`)
 * get minDur/maxDur unless they have them. Returns undefined when the net has no static tlLogic.
 */
export function actuatedNetXml(netXml: string): string | undefined {
  let changed = false;
  const out = netXml.replace(/<tlLogic\b[^>]*>[\s\S]*?<\/tlLogic>/g, (block) => {
    if (!/\btype="static"/.test(block)) return block;
    changed = true;
    return block
      .replace(/\btype="static"/, 'type="actuated"')
      .replace(/<phase\b([^>]*?)\/>/g, (phase: string, attrs: string) => {
        const state = /\bstate="([^"]*)"/.exec(attrs)?.[1] ?? '';
        const duration = Number(/\bduration="([^"]*)"/.exec(attrs)?.[1]);
        if (/minDur=/.test(attrs) || !/[Gg]/.test(state) || /y/i.test(state) || !(duration > 0)) return phase;
        const min = Math.min(ACT_MIN_S, duration);
        const max = Math.max(ACT_MAX_S, duration);
        return `<phase${attrs} minDur="${min}" maxDur="${max}"/>`;
      });
  });
  return changed ? out : undefined;
}

/**
 * The stock actuated form of a scenario: a shipped `*_actuated.net.xml` beside a
 * `*_static.net.xml` (x1), or a rewritten copy in `dir`; undefined when nothing is static.
 */
export function stockActuatedScenario(
  scenario: TrafficScenario,
  dir: string,
  name = basename(scenario.net, '.net.xml'),
): TrafficScenario | undefined {
  const shipped = scenario.net.replace(/_static\.net\.xml$/, '_actuated.net.xml');
  if (shipped !== scenario.net && existsSync(shipped)) return { ...scenario, net: shipped };
  const xml = actuatedNetXml(readFileSync(scenario.net, 'utf8'));
  if (xml === undefined) return undefined;
  const file = join(dir, `${name}-actuated.net.xml`);
  writeFileSync(file, xml);
  return { ...scenario, net: file };
}

/** The fair baseline of a scenario: its net rewritten by fair-baseline.ts, in `dir`. */
export function fairScenario(
  scenario: TrafficScenario,
  dir: string,
  name = basename(scenario.net, '.net.xml'),
): TrafficScenario {
  const file = join(dir, `${name}-fair.net.xml`);
  writeFileSync(file, fairBaselineNetXml(readFileSync(scenario.net, 'utf8')));
  return { ...scenario, net: file };
}
