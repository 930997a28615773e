// The mqtt driver against the shared conformance suite: a real mosquitto, and the fill-sensor
// publisher process sending ChirpStack v4 uplinks through it. The peer that disappears is the
// broker (SIGKILL), brought back on the same port.
import { LocalMqttBroker } from '../../../../deploy/mqtt/local-broker.js';
import { EquipmentProcess } from '../../../../hil-tests/equipment/equipment-process.js';
import { BUILT_IN_TYPES } from '../../catalogue.js';
import { driverConformance } from '../conformance.js';
import { MqttDriver } from './mqtt-driver.js';

const def = BUILT_IN_TYPES.find((d) => d.name === 'lorawan-ultrasonic-fill')!;
const EUIS = ['70b3d57ed0000001', '70b3d57ed0000002'];

interface Peer {
  broker: LocalMqttBroker;
  sensors: EquipmentProcess;
}

driverConformance<Peer, MqttDriver>({
  name: 'mqtt',
  startPeer: async () => {
    const broker = await LocalMqttBroker.start();
    const sensors = await EquipmentProcess.start({
      script: 'hil-tests/equipment/fill-sensor-publisher.ts',
      args: [
        '--broker',
        broker.url,
        '--application',
        'waste-app',
        ...EUIS.flatMap((e) => ['--dev-eui', e]),
        '--interval-ms',
        '150',
      ],
      hasPort: false,
    });
    return { broker, sensors };
  },
  stopPeer: async ({ broker, sensors }) => {
    await sensors.stop('SIGTERM');
    await broker.close();
  },
  create: ({ broker }, log) => ({
    driver: new MqttDriver({ log, backoffMs: { initial: 50, max: 400 } }),
    devices: EUIS.map((devEui, i) => ({
      id: `fill-${i}`,
      definition: def,
      params: { broker: broker.url, applicationId: 'waste-app', devEui, intervalS: 0.15, missedUplinks: 4 },
    })),
  }),
  disappear: async ({ broker }) => broker.stop('SIGKILL'),
  reappear: async ({ broker }) => broker.start(),
});
