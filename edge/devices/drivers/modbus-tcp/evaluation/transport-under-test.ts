// Which Modbus TCP client the driver suites run on, named by CALLE_MODBUS_CLIENT (node-serialport's
// "same suites, switched by an environment variable"): unset or `calle` is ModbusConnection, the
// driver's own; `modbus-serial` and `jsmodbus` are the maintained npm clients behind adapters.
// evaluation/README.md says how they fared and how to rerun it.
import { ModbusConnection } from '../modbus-connection.js';
import type { ModbusTransport, ModbusTransportFactory, ModbusTransportOptions } from '../modbus-transport.js';
import { JsModbusTransport } from './jsmodbus-transport.js';
import { ModbusSerialTransport } from './modbus-serial-transport.js';

const CLIENTS: Record<string, ModbusTransportFactory> = {
  calle: (o) => new ModbusConnection(o),
  'modbus-serial': (o) => new ModbusSerialTransport(o),
  jsmodbus: (o) => new JsModbusTransport(o),
};

export const modbusClientName = process.env.CALLE_MODBUS_CLIENT ?? 'calle';

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
