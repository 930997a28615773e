// Runnable LoRaWAN fill sensors as a network server would deliver them: ChirpStack v4 uplink
// events published to an MQTT broker, one per sensor per interval, each uplink `--sim-hours` of
// simulated time later (time is compressed: hourly sensors, one uplink every 200 ms in tests).
//
//   node --import tsx hil-tests/equipment/fill-sensor-publisher.ts --broker mqtt://127.0.0.1:1883 \
//     --application waste-app --dev-eui 70b3d57ed0000001 --dev-eui 70b3d57ed0000002 \
//     --interval-ms 200 --sim-hours 1 [--depth-cm 150] [--seed 1] [--stamp wall|sim]
//
// "--stamp sim" puts the simulated time in the event's "time" (for prediction tests); the
// default stamps wall time, as a live network server does. Prints {"ready":true} once connected.
// JSON-line commands on stdin (see control-channel.ts):
//   {"id":1,"cmd":"pause","devEui":"…"}    the sensor goes silent ("resume" brings it back;
//                                         without devEui: every sensor)
//   {"id":2,"cmd":"malformed","devEui":"…","kind":"json"|"short"|"base64"|"port"}
//   {"id":3,"cmd":"empty","devEui":"…"}    a collection now
//   {"id":4,"cmd":"state"}                 true waste, counters
// Exits when stdin closes.
import mqtt from 'mqtt';
import { parseArgs } from 'node:util';
import { uplinkEvent, uplinkTopic } from './chirpstack-event.js';
import { serveControl } from './control-channel.js';
import { encodeFillPayload, FillSensorModel, type FillReading } from './fill-sensor-model.js';

interface Sensor {
  devEui: string;
  model: FillSensorModel;
  fCnt: number;
  paused: boolean;
  last?: FillReading;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      broker: { type: 'string' },
      application: { type: 'string', default: 'waste-app' },
      'dev-eui': { type: 'string', multiple: true, default: [] },
      'interval-ms': { type: 'string', default: '1000' },
      'sim-hours': { type: 'string', default: '1' },
      'depth-cm': { type: 'string', default: '150' },
      seed: { type: 'string', default: '1' },
      stamp: { type: 'string', default: 'wall' },
    },
  });
  if (!values.broker) throw new Error('--broker is required');
  if (values['dev-eui'].length === 0) throw new Error('at least one --dev-eui is required');
  const app = values.application;
  const simHours = Number(values['sim-hours']);
  const sensors = new Map<string, Sensor>(
    values['dev-eui'].map((eui, i) => [
      eui.toLowerCase(),
      {
        devEui: eui.toLowerCase(),
        model: new FillSensorModel({
          depthCm: Number(values['depth-cm']),
          seed: Number(values.seed) * 1000 + i,
        }),
        fCnt: 0,
        paused: false,
      },
    ]),
  );
  // mqtt.js's own reconnect (every second) is right for a simulator: it is not a fleet.
  const client = await mqtt.connectAsync(values.broker, { reconnectPeriod: 200, connectTimeout: 5000 });
  client.on('error', () => undefined);

  const publish = (s: Sensor, fPort: number, data: Buffer, raw?: string): void => {
    const timeMs = values.stamp === 'sim' ? s.model.timeMs : Date.now();
    const body =
      raw ??
      JSON.stringify(
        uplinkEvent({ applicationId: app, devEui: s.devEui, fCnt: s.fCnt++, fPort, data, timeMs }),
      );
    // QoS 0, as a network server publishes by default; lost while the broker is down.
    if (client.connected) client.publish(uplinkTopic(app, s.devEui), body);
  };
  const timer = setInterval(() => {
    for (const s of sensors.values()) {
      if (s.paused) continue;
      s.last = s.model.step(simHours);
      publish(s, 2, encodeFillPayload(s.last));
    }
  }, Number(values['interval-ms']));

  const pick = (c: Record<string, unknown>): Sensor[] => {
    if (c.devEui === undefined) return [...sensors.values()];
    const eui = typeof c.devEui === 'string' ? c.devEui.toLowerCase() : '';
    const s = sensors.get(eui);
    if (!s) throw new Error(`no sensor ${JSON.stringify(c.devEui)}`);
    return [s];
  };
  const shutdown = async (): Promise<void> => {
    clearInterval(timer);
    await client.endAsync(true);
    process.exit(0);
  };
  serveControl(
    {
      pause: (c) => pick(c).forEach((s) => (s.paused = true)),
      resume: (c) => pick(c).forEach((s) => (s.paused = false)),
      empty: (c) => pick(c).forEach((s) => s.model.empty()),
      malformed: (c) => {
        for (const s of pick(c)) {
          const kind = typeof c.kind === 'string' ? c.kind : 'json';
          if (kind === 'json') publish(s, 2, Buffer.alloc(0), '{"deviceInfo": {"devEui": ');
          else if (kind === 'short') publish(s, 2, Buffer.from([0x01]));
          else if (kind === 'port') publish(s, 99, Buffer.from([0x01, 0x02]));
          else
            publish(
              s,
              2,
              Buffer.alloc(0),
              JSON.stringify({ deviceInfo: { devEui: s.devEui }, fPort: 2, data: '*not base64*' }),
            );
        }
      },
      state: () =>
        [...sensors.values()].map((s) => ({
          devEui: s.devEui,
          fCnt: s.fCnt,
          paused: s.paused,
          last: s.last,
          emptyings: s.model.emptyings,
        })),
    },
    shutdown,
  );
  process.on('SIGTERM', () => void shutdown());
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`fill-sensor-publisher: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
