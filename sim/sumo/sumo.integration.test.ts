// Against a real `sumo` (Debian's 1.15) on the x1 single intersection (data/sumo/x1).
import test from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, testLogger } from '../../common/testing/temp-dir.js';
import { foeChecker } from './foe-check.js';
import { sumoScenarioDir } from '../../hil-tests/sumo/scenario-data.js';
import { startSumo } from './sumo-process.js';
import { TraciClient } from './traci-client.js';
import { DET_VAR } from './traci-constants.js';
import { runTraffic } from './traffic-run.js';
import { scenarioFromSumocfg } from './traffic-scenario.js';
import { readFileSync } from 'node:fs';

const X1 = sumoScenarioDir('x1');
const cfg = join(X1, 'x1.sumocfg');

test('traci client — talks to real SUMO: version, light state and links, detectors, step, close', async (t) => {
  const sc = scenarioFromSumocfg(cfg);
  const sumo = await startSumo([
    '-n',
    sc.net,
    '-r',
    sc.routes.join(','),
    '-a',
    sc.additional.join(','),
    '--no-step-log',
    '--end',
    '200',
  ]);
  t.teardown(() => sumo.child.kill('SIGKILL'));
  const c = sumo.client;
  t.deepEqual(await c.getVersion(), { apiVersion: 20, identifier: 'SUMO 1.15.0' });
  t.is(await c.tlState('A0'), 'GGGggrrrrrGGGggrrrrr');
  t.is(await c.tlProgram('A0'), '0');
  const links = await c.tlControlledLinks('A0');
  t.is(links.length, 20);
  t.deepEqual(links[3], [['top0A0.240.00_2', 'A0right0_1', ':A0_3_0']]);
  t.is((await c.detectorIds('lane-area')).length, 12);
  let seen = 0;
  for (let i = 0; i < 60; i++) {
    await c.simulationStep();
    seen += (await c.detector('lane-area', DET_VAR.count, 'e2_top0A0.240.00_0')) as number;
  }
  t.is(await c.time(), 60);
  t.true(seen > 0, 'vehicles reached the north approach detector in a minute');
  await c.setTlState('A0', 'rrrrrrrrrrrrrrrrrrrr');
  t.is(await c.tlProgram('A0'), 'online');
  await t.throwsAsync(c.get(0xa2, 0x23, 'A0'), { message: /unsupported variable 0x23/ });
  t.is(await c.time(), 60, 'the connection survives a refused command');
  t.is(await sumo.close(), 0);
});

test('foe check — the net program of x1 is safe and two crossing throughs are caught', async (t) => {
  const sc = scenarioFromSumocfg(cfg);
  const sumo = await startSumo(['-n', sc.net, '--no-step-log', '--end', '10']);
  t.teardown(() => sumo.child.kill('SIGKILL'));
  const check = foeChecker(readFileSync(sc.net, 'utf8'), 'A0', await sumo.client.tlControlledLinks('A0'));
  await sumo.close();
  for (const s of [
    'GGGggrrrrrGGGggrrrrr',
    'yyyggrrrrryyyggrrrrr',
    'rrrrrGGGggrrrrrGGGgg',
    'oooooooooooooooooooo',
  ])
    t.is(check.check(s), undefined, s);
  // North through (link 1) with east through (link 6).
  t.regex(check.check('rGrrrrGrrrrrrrrrrrrr') ?? '', /links 1 'G' and 6 'G' are foes/);
  // The permissive left shown as protected G is a conflict.
  t.truthy(check.check('GGGGGrrrrrGGGggrrrrr'));
  // A yielding left may clear on yellow with its opposing through; a crossing through may not.
  t.is(check.check('yyyyyrrrrryyyyyrrrrr'), undefined);
  t.truthy(check.check('ryrrrrGrrrrrrrrrrrrr'));
});

test('calle hil traffic — 600 s of x1 under calle actuated: no violation, no latch, finite delay', async (t) => {
  const r = await runTraffic({
    scenario: scenarioFromSumocfg(cfg),
    controller: 'actuated',
    seconds: 600,
    seed: 3,
    dir: tempDir(t),
    log: testLogger(),
  });
  t.is(r.safetyViolations, 0);
  t.is(r.supervisorInterventions, 0);
  t.true(r.vehicles > 200, `${r.vehicles} vehicles`);
  t.true(Number.isFinite(r.meanDelay) && r.meanDelay > 0 && r.meanDelay < 120, `mean delay ${r.meanDelay}`);
  t.true(r.throughput > 0.8 * r.vehicles, `throughput ${r.throughput} of ${r.vehicles}`);
});

test('calle hil traffic — the sumo baseline runs the net program and adds no detectors', async (t) => {
  const dir = tempDir(t);
  const r = await runTraffic({
    scenario: scenarioFromSumocfg(cfg),
    controller: 'sumo',
    seconds: 300,
    seed: 1,
    dir,
    log: testLogger(),
  });
  t.is(r.controller, 'sumo');
  t.is(r.safetyViolations, 0);
  t.true(r.vehicles > 100 && r.meanDelay > 0);
  t.false(existsSync(join(dir, 'calle-detectors.add.xml')));
});

test('calle hil traffic — a scenario without detectors gets lane-area detectors on its incoming lanes', async (t) => {
  const dir = tempDir(t);
  const sc = scenarioFromSumocfg(cfg);
  const r = await runTraffic({
    scenario: { ...sc, additional: [] },
    controller: 'actuated',
    seconds: 300,
    seed: 2,
    dir,
    log: testLogger(),
  });
  const added = readFileSync(join(dir, 'calle-detectors.add.xml'), 'utf8');
  // One per incoming lane at the stop line; x1's approach lanes are 44 m, so each continues 6 m
  // onto the lane upstream to reach 50 m.
  t.is(added.match(/<laneAreaDetector id="calle_e2_[^"~]*" lane=/g)?.length, 12);
  t.is(added.match(/<laneAreaDetector id="calle_e2_[^"]*~1" lane=/g)?.length, 12);
  t.regex(added, /id="calle_e2_top0A0\.240\.00_0~1" lane="top0A0_0" pos="230.00" endPos="236.00"/);
  t.is(r.safetyViolations, 0);
  t.true(r.meanDelay > 0 && r.meanDelay < 120);
});

test('traci client — two clients with SetOrder step SUMO together (--num-clients 2)', async (t) => {
  const sc = scenarioFromSumocfg(cfg);
  const sumo = await startSumo(['-n', sc.net, '--no-step-log', '--end', '100', '--num-clients', '2']);
  t.teardown(() => sumo.child.kill('SIGKILL'));
  const second = await TraciClient.connect(sumo.port);
  await sumo.client.setOrder(1);
  await second.setOrder(2);
  // Each step waits for both clients; SUMO serves client 1's commands until its next step first.
  await Promise.all([sumo.client.simulationStep(), second.simulationStep()]);
  t.is(await sumo.client.time(), 1);
  await sumo.client.close();
  t.is(await second.time(), 1, 'client 2 is served once client 1 has left');
  await second.simulationStep();
  t.is(await second.time(), 2);
  await second.close();
  t.is(await sumo.close(), 0);
});
