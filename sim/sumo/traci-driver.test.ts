// The TraCI driver against a real `sumo` on x1 (data/sumo/x1).
import test from 'ava';
import { join } from 'node:path';
import { sumoScenarioDir } from '../../hil-tests/sumo/scenario-data.js';
import { startSumo } from './sumo-process.js';
import { scenarioFromSumocfg } from './traffic-scenario.js';
import { testLogger } from '../../common/testing/temp-dir.js';
import { BUILT_IN_TYPES } from '../../edge/devices/catalogue.js';
import type { DriverDevice, DriverUpdate } from '../../edge/devices/driver.js';
import { aspectOf, sumoChar } from './traci-aspects.js';
import { TraciDriver } from './traci-driver.js';

const X1 = sumoScenarioDir('x1');
const head = BUILT_IN_TYPES.find((d) => d.name === 'vehicle-signal-3')!;
const loop = BUILT_IN_TYPES.find((d) => d.name === 'inductive-loop')!;

test('traci aspects — calle aspects map to SUMO characters and back', (t) => {
  t.deepEqual(
    ['red', 'yellow', 'green', 'flash', 'dark'].map((a) => sumoChar(a)),
    ['r', 'y', 'G', 'o', 'O'],
  );
  t.is(sumoChar('green', true), 'g');
  t.is(sumoChar('blue'), undefined);
  t.deepEqual([...'rRgGyYuoOs'].map(aspectOf), [
    'red',
    'red',
    'green',
    'green',
    'yellow',
    'yellow',
    'yellow',
    'flash',
    'dark',
    'red',
  ]);
});

test('traci driver — writes whole state strings, reads detectors after the step, counts vehicles once', async (t) => {
  const sc = scenarioFromSumocfg(join(X1, 'x1.sumocfg'));
  const sumo = await startSumo([
    '-n',
    sc.net,
    '-r',
    sc.routes.join(','),
    '-a',
    sc.additional.join(','),
    '--no-step-log',
    '--end',
    '300',
  ]);
  t.teardown(() => sumo.child.kill('SIGKILL'));
  const driver = new TraciDriver({ client: sumo.client, log: testLogger() });
  const devices: DriverDevice[] = [
    ...Array.from({ length: 20 }, (_, link) => ({
      id: `h${link}`,
      definition: head,
      params: { tl: 'A0', link, green: link === 3 ? 'g' : 'G' },
    })),
    { id: 'north', definition: loop, params: { detector: 'e2_top0A0.240.00_0', detectorKind: 'lane-area' } },
  ];
  await driver.start(devices);
  await t.throwsAsync(driver.read('north'), { message: /no reading yet/ });
  for (let link = 0; link < 20; link++) await driver.write(`h${link}`, 'aspect', 'red');
  await driver.write('h1', 'aspect', 'green');
  await driver.write('h3', 'aspect', 'green');
  await t.throwsAsync(driver.write('h1', 'aspect', 'purple'), { message: /"purple" is not an aspect/ });
  await t.throwsAsync(driver.write('north', 'aspect', 'red'), { message: /not a signal head/ });
  const updates: DriverUpdate[] = [];
  driver.subscribe((u) => updates.push(u));
  const first = await driver.sync({ step: true, timeMs: 1000 });
  t.deepEqual([...first.written], [['A0', 'rGrgrrrrrrrrrrrrrrrr']]);
  t.is(await sumo.client.tlState('A0'), 'rGrgrrrrrrrrrrrrrrrr');
  t.is((await driver.sync({ step: true })).written.size, 0, 'an unchanged state is not sent again');
  // North through green for a minute: vehicles cross the north detector and are counted once each.
  let maxOnDetector = 0;
  for (let i = 0; i < 60; i++) {
    await driver.sync({ step: true });
    const v = await driver.read('north');
    maxOnDetector = Math.max(maxOnDetector, v.occupancy as number);
  }
  const count = (await driver.read('north')).count as number;
  t.true(count > 0 && count < 40, `counted ${count}`);
  t.true(maxOnDetector > 0);
  t.true(updates.some((u) => u.deviceId === 'north' && 'values' in u));
  t.deepEqual(await driver.read('h1'), { aspect: 'green' });
  await driver.stop();
  await sumo.close();
});

test('traci driver — refuses devices it cannot map, by name', async (t) => {
  const sc = scenarioFromSumocfg(join(X1, 'x1.sumocfg'));
  const sumo = await startSumo(['-n', sc.net, '--no-step-log', '--end', '10']);
  t.teardown(() => sumo.child.kill('SIGKILL'));
  const driver = new TraciDriver({ client: sumo.client, log: testLogger() });
  await t.throwsAsync(driver.start([{ id: 'h', definition: head, params: { tl: 'A0', link: 20 } }]), {
    message: /device "h": params.link 20 is beyond light "A0"'s 20 links/,
  });
  await t.throwsAsync(
    driver.start([{ id: 'h', definition: head, params: { tl: 'A0', link: 1, green: 'x' } }]),
    {
      message: /params.green must be/,
    },
  );
  await t.throwsAsync(driver.start([{ id: 'h', definition: head, params: { tl: 'nope', link: 0 } }]), {
    message: /nope/,
  });
  await sumo.close();
});
