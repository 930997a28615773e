// Which Modbus TCP client the driver suites run on, named by CALLE_MODBUS_CLIENT (node-serialport's
// "same suites, switched by an environment variable"): unset or `modbus-serial` is the driver's
// ModbusConnection (on modbus-serial); `jsmodbus` is the other maintained npm client, behind an
// adapter. evaluation/README.md says how each fared and how to rerun it.
import { ModbusConnection } from '../modbus-connection.js';
import type { ModbusTransport, ModbusTransportFactory, ModbusTransportOptions } from '../modbus-transport.js';
import { JsModbusTransport } from './jsmodbus-transport.js';

const CLIENTS: Record<string, ModbusTransportFactory> = {
  'modbus-serial': (o) => new ModbusConnection(o),
  jsmodbus: (o) => new JsModbusTransport(o),
};

export const modbusClientName = process.env.CALLE_MODBUS_CLIENT ?? 'modbus-serial';

/** The factory under test; throws for a name it does not know, listing the known ones. */
export function transportUnderTest(): ModbusTransportFactory {
  const factory = CLIENTS[modbusClientName];
  if (!factory)
    throw new Error(
      `CALLE_MODBUS_CLIENT: "${modbusClientName}" is not one of ${Object.keys(CLIENTS).join(', ')}`,
    );
  return factory;
}

export const connectionUnderTest = (o: ModbusTransportOptions): ModbusTransport => transportUnderTest()(o);
