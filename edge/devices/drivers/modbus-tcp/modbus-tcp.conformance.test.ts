// The modbus-tcp driver against the shared conformance suite, over real sockets to the equipment
// simulator process (an I/O module and a lighting controller behind one port); the peer
// disappears by SIGKILL and comes back on the same port.
import { EquipmentProcess } from '../../../../hil-tests/equipment/equipment-process.js';
import { BUILT_IN_TYPES } from '../../catalogue.js';
import { driverConformance } from '../conformance.js';
import { transportUnderTest } from './evaluation/transport-under-test.js';
import { ModbusTcpDriver } from './modbus-tcp-driver.js';

const def = (name: string) => BUILT_IN_TYPES.find((d) => d.name === name)!;

driverConformance<EquipmentProcess, ModbusTcpDriver>({
  name: 'modbus-tcp',
  startPeer: async () =>
    EquipmentProcess.start({
      script: 'hil-tests/equipment/modbus-equipment.ts',
      args: [
        '--unit',
        '1=io-module:heads=2,detectors=2,vehiclesPerHour=3600',
        '--unit',
        '2=lighting-controller:ratedW=60',
      ],
    }),
  stopPeer: async (eq) => eq.stop('SIGTERM'),
  create: (eq, log) => {
    const at = { host: '127.0.0.1', port: eq.port, pollMs: 100, timeoutMs: 500 };
    return {
      driver: new ModbusTcpDriver({
        log,
        connection: { backoffMs: { initial: 50, max: 400 } },
        transport: transportUnderTest(),
      }),
      devices: [
        { id: 'sig-1', definition: def('modbus-vehicle-signal-3'), params: { ...at, unitId: 1, channel: 1 } },
        { id: 'det-0', definition: def('modbus-loop-detector'), params: { ...at, unitId: 1, channel: 0 } },
        { id: 'lum', definition: def('modbus-led-luminaire'), params: { ...at, unitId: 2 } },
      ],
    };
  },
  disappear: async (eq) => eq.stop('SIGKILL'),
  reappear: async (eq) => eq.start(),
});
