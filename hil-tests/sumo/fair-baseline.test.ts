// The fair baseline on a hand-worked junction, and on x1 in real SUMO.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, testLogger } from '../../common/testing/temp-dir.js';
import { fairScenario } from './baseline-nets.js';
import { fairBaselineNetXml, fairChange, fairChanges } from './fair-baseline.js';
import { sumoScenarioDir } from './scenario-data.js';
import { runTraffic } from '../../sim/sumo/traffic-run.js';
import { scenarioFromSumocfg } from '../../sim/sumo/traffic-scenario.js';

/**
 * Two approaches into J: from the north at 13.89 m/s straight over a 20 m internal lane (link 0),
 * from the west at 8.33 m/s turning left over 12 m + 13 m past an internal junction (link 1), and
 * a pedestrian crossing link (2) from a walking area, which has no approach speed.
 */
const NET = `<net>
  <edge id=":J_0" function="internal"><lane id=":J_0_0" index="0" speed="13.89" length="20.00"/></edge>
  <edge id=":J_1" function="internal"><lane id=":J_1_0" index="0" speed="8.33" length="12.00"/></edge>
  <edge id=":J_5" function="internal"><lane id=":J_5_0" index="0" speed="8.33" length="13.00"/></edge>
  <edge id=":J_c0" function="crossing"><lane id=":J_c0_0" index="0" speed="1.00" length="10.00"/></edge>
  <edge id=":J_w0" function="walkingarea"><lane id=":J_w0_0" index="0" speed="1.00" length="3.00"/></edge>
  <edge id="n_J" from="n" to="J"><lane id="n_J_0" index="0" speed="13.89" length="200.00"/></edge>
  <edge id="w_J" from="w" to="J"><lane id="w_J_0" index="0" speed="8.33" length="200.00"/></edge>
  <tlLogic id="J" type="static" programID="0" offset="0">
    <phase duration="30" state="Grr"/>
    <phase duration="3" state="yrr"/>
    <phase duration="60" state="rGG"/>
    <phase duration="3" state="ryy"/>
  </tlLogic>
  <connection from="n_J" to="J_s" fromLane="0" toLane="0" via=":J_0_0" tl="J" linkIndex="0" dir="s" state="O"/>
  <connection from="w_J" to="J_n" fromLane="0" toLane="0" via=":J_1_0" tl="J" linkIndex="1" dir="l" state="o"/>
  <connection from=":J_w0" to=":J_c0" fromLane="0" toLane="0" tl="J" linkIndex="2" dir="s" state="o"/>
  <connection from=":J_1" to="J_n" fromLane="0" toLane="0" via=":J_5_0" dir="l" state="m"/>
</net>`;

test('fair baseline — ITE intervals by hand on a two-approach junction', (t) => {
  // Link 0: yellow ceil(1 + 13.89 / 6.1) = ceil(3.28) = 4 s; all-red ceil((20 + 6) / 13.89) =
  // ceil(1.87) = 2 s. Link 1 (and the crossing, ignored): yellow ceil(1 + 8.33 / 6.1) = ceil(2.37)
  // = 3 s (the 3 s floor); all-red ceil((12 + 13 + 6) / 8.33) = ceil(3.72) = 4 s.
  t.deepEqual(fairChanges(NET).get('J'), [
    { phase: 1, yellowS: 4, allRedS: 2, speedMs: 13.89, pathM: 20 },
    { phase: 3, yellowS: 3, allRedS: 4, speedMs: 8.33, pathM: 25 },
  ]);
  t.is(
    fairBaselineNetXml(NET).match(/<tlLogic[\s\S]*<\/tlLogic>/)![0],
    [
      '<tlLogic id="J" type="actuated" programID="0" offset="0">',
      '    <phase duration="30" state="Grr" minDur="5" maxDur="50"/>',
      '    <phase duration="4" state="yrr"/>',
      '        <phase duration="2" state="rrr"/>',
      '    <phase duration="50" state="rGG" minDur="5" maxDur="50"/>',
      '    <phase duration="3" state="ryy"/>',
      '        <phase duration="4" state="rrr"/>',
      '  </tlLogic>',
    ].join('\n'),
  );
});

test('fair baseline — one v and one W per yellow (the issue’s rule), clamps and floors', (t) => {
  // Both links end together: the fastest speed (13.89) with the longest path (25 m):
  // yellow 4 s, all-red ceil(31 / 13.89) = ceil(2.23) = 3 s.
  t.like(
    fairChange([
      { speedMs: 13.89, pathM: 20 },
      { speedMs: 8.33, pathM: 25 },
    ]),
    { yellowS: 4, allRedS: 3 },
  );
  t.like(
    fairChange([{ speedMs: 40, pathM: 10 }]),
    { yellowS: 6, allRedS: 1 },
    'yellow at most 6 s, all-red at least 1 s',
  );
  t.like(
    fairChange([{ speedMs: 12.2, pathM: 18.4 }]),
    { yellowS: 3, allRedS: 2 },
    '1 + 12.2 / 6.1 = 3 exactly: no extra second',
  );
  t.is(fairChange([]), undefined);
});

test('fair baseline — refuses what it cannot rewrite safely', (t) => {
  t.throws(
    () =>
      fairBaselineNetXml(
        NET.replace('<phase duration="3" state="yrr"/>', '<phase duration="3" state="yrr" next="0"/>'),
      ),
    {
      message: /tlLogic "J": phases with "next" are not supported/,
    },
  );
  t.throws(() => fairBaselineNetXml(NET.replace(/"yrr"|"ryy"/g, '"rrr"')), {
    message: /tlLogic "J": no yellow phase to time/,
  });
});

test('fair baseline — shares no code with calle’s clearance or signal model', (t) => {
  const src = readFileSync(new URL('./fair-baseline.ts', import.meta.url), 'utf8');
  const imports = [...src.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
  t.deepEqual(imports, ['../../sim/sumo/sumo-net-model.js']);
  t.regex(src, /^import \{ scanXmlTags \} from/m, 'only the XML tag scanner');
});

test('fair baseline — x1 in real SUMO: 4 s yellows and 3 s all-reds, no foe shown together', async (t) => {
  const dir = tempDir(t);
  const sc = fairScenario(scenarioFromSumocfg(join(sumoScenarioDir('x1'), 'x1.sumocfg')), dir, 'x1');
  const phases = [...readFileSync(sc.net, 'utf8').matchAll(/<phase duration="(\d+)" state="([^"]+)"/g)];
  t.deepEqual(
    phases.map((p) => p[1]),
    ['33', '4', '3', '6', '4', '3', '33', '4', '3', '6', '4', '3'],
  );
  const r = await runTraffic({
    scenario: sc,
    controller: 'sumo',
    seconds: 300,
    seed: 1,
    dir,
    log: testLogger(),
  });
  t.is(r.safetyViolations, 0);
  t.true(r.vehicles > 50 && Number.isFinite(r.meanDelay), JSON.stringify(r));
});
