// The site file's driver section, and a street on real protocols: the fixture site with its
// Modbus equipment (an I/O module and two lighting controllers behind one gateway port, as a
// separate process) and its LoRaWAN fill sensors (publisher process → mosquitto), run by the
// EdgeSite with the built-in drivers. A cut of the Modbus peer raises DEVICE_UNAVAILABLE for its
// devices only; its return clears the alarms without restarting anything.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LocalMqttBroker } from '../../../deploy/mqtt/local-broker.js';
import { EquipmentProcess } from '../../../hil-tests/equipment/equipment-process.js';
import { ConfigError } from '../../config/config-error.js';
import { checkEdgeConfig, loadEdgeConfig } from '../../config/load-config.js';
import { EdgeSite, SITE_EVENTS } from '../../site/edge-site.js';
import type { EdgeEvent } from '../../telemetry-sink.js';
import { testLogger } from '../../../common/testing/temp-dir.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/field-street.json', import.meta.url));
type Raw = { devices: { id: string; type: string; driver: string; params: Record<string, unknown> }[] };
const raw = (): Raw => JSON.parse(readFileSync(FIXTURE, 'utf8')) as Raw;

function problems(t: import('ava').ExecutionContext, cfg: Raw): string[] {
  const err = t.throws(() => checkEdgeConfig(cfg, FIXTURE), { instanceOf: ConfigError });
  return err.problems.map((p) => `${p.field}: ${p.reason}`);
}

test('driver params — the field fixture loads with typed params for each driver', (t) => {
  const cfg = loadEdgeConfig(FIXTURE);
  t.deepEqual(
    cfg.devices.map((d) => d.driver),
    ['modbus-tcp', 'modbus-tcp', 'modbus-tcp', 'modbus-tcp', 'modbus-tcp', 'mqtt', 'mqtt'],
  );
  t.like(cfg.devices[2]?.params, { host: '127.0.0.1', unitId: 1, channel: 0 });
});

test('driver params — each problem names the device field and the reason', (t) => {
  const cfg = raw();
  cfg.devices[0]!.params = { host: 'bad host!', port: 70000, unitID: 2 };
  cfg.devices[5]!.params = { ...cfg.devices[5]!.params, devEui: '70b3', broker: 'http://x' };
  cfg.devices[6]!.type = 'ultrasonic-fill';
  cfg.devices[1]!.driver = 'modbus-rtu';
  t.deepEqual(problems(t, cfg), [
    'devices[0].params.host: "bad host!" is not a host name or IP address',
    'devices[0].params.port: 70000 is outside [1, 65535]',
    'devices[0].params.unitID: unknown param (known: host, port, unitId, channel, pollMs, timeoutMs, maxInFlight)',
    'devices[1].driver: "modbus-rtu" must be one of "simulated", "modbus-tcp", "mqtt"',
    'devices[5].params.broker: "http://x" is not an mqtt:// or mqtts:// URL',
    'devices[5].params.devEui: "70b3" is not an EUI-64 of 16 hex digits',
    'devices[6].type: type "ultrasonic-fill" has no uplink payload layout',
  ]);
});

test('driver params — a simulated device keeps numeric params only', (t) => {
  const cfg = raw();
  cfg.devices[0] = { id: 'lum-1', type: 'dali-led-luminaire', driver: 'simulated', params: { seed: 'x' } };
  t.deepEqual(problems(t, cfg), ['devices[0].params.seed: must be a number, got "x"']);
});

test('field site — Modbus and MQTT equipment run the street; a Modbus cut alarms its devices only, and clears', async (t) => {
  const broker = await LocalMqttBroker.start();
  t.teardown(async () => broker.close());
  const modbus = await EquipmentProcess.start({
    script: 'hil-tests/equipment/modbus-equipment.ts',
    args: [
      '--unit',
      '1=io-module:heads=2,detectors=1',
      '--unit',
      '2=lighting-controller',
      '--unit',
      '3=lighting-controller',
    ],
  });
  t.teardown(async () => modbus.stop());
  const sensors = await EquipmentProcess.start({
    script: 'hil-tests/equipment/fill-sensor-publisher.ts',
    args: [
      '--broker',
      broker.url,
      '--dev-eui',
      '70b3d57ed0000001',
      '--dev-eui',
      '70b3d57ed0000002',
      '--interval-ms',
      '200',
    ],
    hasPort: false,
  });
  t.teardown(async () => sensors.stop());

  const cfg = raw();
  for (const d of cfg.devices) {
    if (d.driver === 'modbus-tcp') d.params.port = modbus.port;
    else d.params.broker = broker.url;
  }
  const events: EdgeEvent[] = [];
  const site = new EdgeSite({
    config: checkEdgeConfig(cfg, FIXTURE),
    sink: { record: () => undefined, raise: (e) => void events.push(e) },
    log: testLogger(),
    tickMs: 100,
  });
  t.teardown(async () => site.stop());
  site.start();
  const until = async (what: string, check: () => boolean): Promise<void> => {
    const deadline = Date.now() + 8000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const view = (id: string) => site.devices().find((d) => d.id === id)!;
  await until('every device available', () => site.devices().every((d) => d.available));
  // The lighting loop's level reached the controllers; the intersection drives real coils.
  await until('a level commanded', () => typeof view('lum-1').state.level === 'number');
  const lum = (await modbus.command({ cmd: 'state', unit: 2 })) as { targetPct: number };
  t.is(lum.targetPct, view('lum-1').state.level as number);
  await until(
    'heads showing aspects',
    () => view('sig-ns').state.aspect !== 'dark' && view('sig-ew').state.aspect !== 'dark',
  );
  t.true(typeof view('fill-1').state.distance === 'number');

  await modbus.stop('SIGKILL');
  await until('modbus devices unavailable', () =>
    ['lum-1', 'lum-2', 'sig-ns', 'det-n'].every((id) => !view(id).available),
  );
  // A poll on the wire when the server died may first report its own timeout (a loaded machine
  // stalls the socket's close); the device then states the link's reason at its next poll.
  await until('lum-1 names the cut', () =>
    /unit 2: (connection lost|cannot connect)/.test(view('lum-1').lastError ?? ''),
  );
  t.regex(view('lum-1').lastError ?? '', /unit 2: (connection lost|cannot connect)/);
  const raised = events
    .filter((e) => e.code === SITE_EVENTS.deviceUnavailable && e.active)
    .map((e) => e.deviceId);
  t.deepEqual(new Set(raised), new Set(['lum-1', 'lum-2', 'sig-ns', 'sig-ew', 'det-n']));
  // The fixture allows the sensors 25 missed uplinks (5 s), so a loaded machine's scheduling
  // stalls cannot pass for an outage here; only the Modbus cut may mark devices unavailable.
  t.true(view('fill-1').available && view('fill-2').available, 'the LoRaWAN sensors are unaffected');

  await modbus.start();
  await until('modbus devices back', () => site.devices().every((d) => d.available));
  const cleared = events
    .filter((e) => e.code === SITE_EVENTS.deviceUnavailable && !e.active)
    .map((e) => e.deviceId);
  t.deepEqual(new Set(cleared), new Set(raised));
});
