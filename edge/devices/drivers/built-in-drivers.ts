// The drivers every node carries, one instance each, registered by name. Constructing them opens
// nothing: a driver touches the network only when start() gives it devices, so a site with no
// Modbus equipment never opens a socket for it.
import type { Logger } from 'pino';
import type { DeviceDriver } from '../driver.js';
import { SimulatedDriver } from '../simulated-driver.js';
import { ModbusTcpDriver } from './modbus-tcp/modbus-tcp-driver.js';
import { MqttDriver } from './mqtt/mqtt-driver.js';

export function createBuiltInDrivers(log: Logger): DeviceDriver[] {
  return [
    new SimulatedDriver({ log: log.child({ module: 'simulated-driver' }) }),
    new ModbusTcpDriver({ log: log.child({ module: 'modbus-tcp-driver' }) }),
    new MqttDriver({ log: log.child({ module: 'mqtt-driver' }) }),
  ];
}
