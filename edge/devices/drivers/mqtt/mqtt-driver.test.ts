// The mqtt driver's sensor-side failures, through a real mosquitto and the fill-sensor publisher
// process: malformed uplinks, other ports, a sensor that goes silent and comes back.
import test from 'ava';
import { LocalMqttBroker } from '../../../../deploy/mqtt/local-broker.js';
import { EquipmentProcess } from '../../../../hil-tests/equipment/equipment-process.js';
import { testLogger } from '../../../../common/testing/temp-dir.js';
import { BUILT_IN_TYPES } from '../../catalogue.js';
import type { DriverUpdate } from '../../driver.js';
import { MqttDriver } from './mqtt-driver.js';

const def = BUILT_IN_TYPES.find((d) => d.name === 'lorawan-ultrasonic-fill')!;
let broker: LocalMqttBroker;
let sensors: EquipmentProcess;

test.before(async () => {
  broker = await LocalMqttBroker.start();
  sensors = await EquipmentProcess.start({
    script: 'hil-tests/equipment/fill-sensor-publisher.ts',
    args: [
      '--broker',
      broker.url,
      '--dev-eui',
      'a000000000000001',
      '--dev-eui',
      'a000000000000002',
      '--interval-ms',
      '100',
    ],
    hasPort: false,
  });
});
test.after.always(async () => {
  await sensors?.stop('SIGTERM');
  await broker?.close();
});

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * missedUplinks: the silence budget. Tests about malformed frames give 5 s, so a scheduling stall
 * of the publisher process on a loaded machine cannot pass for a silent sensor (it did at 0.3 s).
 */
async function driver(t: import('ava').ExecutionContext, missedUplinks = 3) {
  const d = new MqttDriver({ log: testLogger(), backoffMs: { initial: 50, max: 200 } });
  const updates: DriverUpdate[] = [];
  d.subscribe((u) => updates.push(u));
  t.teardown(async () => d.stop());
  const params = (devEui: string) => ({
    broker: broker.url,
    applicationId: 'waste-app',
    devEui,
    intervalS: 0.1,
    missedUplinks,
  });
  await d.start([
    { id: 'one', definition: def, params: params('a000000000000001') },
    { id: 'two', definition: def, params: params('A000000000000002') },
  ]);
  await until('uplinks from both', () =>
    ['one', 'two'].every((id) => updates.some((u) => u.deviceId === id && 'values' in u)),
  );
  return { d, updates };
}

test.serial(
  'mqtt driver — malformed uplinks are counted and dropped; the device and its neighbour carry on',
  async (t) => {
    const { d, updates } = await driver(t, 50);
    for (const kind of ['json', 'short', 'base64'])
      await sensors.command({ cmd: 'malformed', devEui: 'a000000000000001', kind });
    await sensors.command({ cmd: 'malformed', devEui: 'a000000000000001', kind: 'port' });
    await until('3 malformed counted', () => d.stats('one').malformed === 3);
    await until('the other port counted', () => d.stats('one').otherPort === 1);
    const mark = updates.length;
    await until('both still updating', () =>
      ['one', 'two'].every((id) => updates.slice(mark).some((u) => u.deviceId === id && 'values' in u)),
    );
    t.false(
      updates.some((u) => 'error' in u),
      'no device was marked unavailable by a bad frame',
    );
    t.is(d.stats('two').malformed, 0);
    t.true(d.stats('one').uplinks > 0);
    t.is(d.stats('one').lastRssi, -97);
  },
);

test.serial(
  'mqtt driver — a silent sensor is unavailable after missedUplinks × interval and back with its next uplink',
  async (t) => {
    const { d, updates } = await driver(t);
    await sensors.command({ cmd: 'pause', devEui: 'a000000000000002' });
    t.teardown(async () => void (await sensors.command({ cmd: 'resume' })));
    await until(
      'two unavailable',
      () =>
        updates.findLast((u) => u.deviceId === 'two') !== undefined &&
        'error' in updates.findLast((u) => u.deviceId === 'two')!,
    );
    const err = updates.findLast((u) => u.deviceId === 'two') as { error: string };
    t.regex(err.error, /^no uplink for 0\.\d+ s \(expected every 0\.1 s\)$/);
    await t.throwsAsync(d.read('two'), { message: /no uplink for/ });
    await t.notThrowsAsync(d.read('one'), 'the other sensor is unaffected');
    const errors = updates.filter((u) => u.deviceId === 'two' && 'error' in u).length;
    await new Promise((r) => setTimeout(r, 300));
    t.is(
      updates.filter((u) => u.deviceId === 'two' && 'error' in u).length,
      errors,
      'silence is reported once, not at every check',
    );
    await sensors.command({ cmd: 'resume', devEui: 'a000000000000002' });
    await until('two back', () => 'values' in updates.findLast((u) => u.deviceId === 'two')!);
    t.true(typeof (await d.read('two')).distance === 'number');
  },
);
