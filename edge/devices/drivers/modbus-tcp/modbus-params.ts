// devices[].params of a device on the modbus-tcp driver.
import type { ParamReader } from '../param-reader.js';

export interface ModbusTcpParams {
  /** Host name or address of the Modbus TCP server (the module, or a TCP/RTU gateway). */
  readonly host: string;
  /** Default 502, the registered Modbus port. */
  readonly port: number;
  /** Unit identifier: the slave behind a gateway; devices on TCP directly often use 1 or 255. */
  readonly unitId: number;
  /** Channel of a multi-channel module (see RegisterMap.channelStride); default 0. */
  readonly channel: number;
  /** How often the device is polled; default 1000 ms. */
  readonly pollMs: number;
  /** How long one request may wait for its response; default 1000 ms. */
  readonly timeoutMs: number;
  /**
   * Transactions outstanding at once on this device's connection; default 1. The TCP guide allows
   * pipelining, but many field devices and gateways serve one transaction at a time: pymodbus 3
   * answers the first of eight pipelined requests and drops the connection. Raise it only for a
   * server documented to pipeline; an endpoint shared by several devices uses the smallest value.
   */
  readonly maxInFlight: number;
}

const HOST = /^[A-Za-z0-9.-]+$|^\[?[0-9a-fA-F:]+\]?$/;

export function parseModbusParams(r: ParamReader): ModbusTcpParams | undefined {
  const host = r.string('host', { pattern: HOST, hint: 'a host name or IP address' });
  const port = r.number('port', { min: 1, max: 65535, integer: true, default: 502 });
  const unitId = r.number('unitId', { min: 0, max: 255, integer: true, default: 1 });
  const channel = r.number('channel', { min: 0, max: 4095, integer: true, default: 0 });
  const pollMs = r.number('pollMs', { min: 50, max: 3_600_000, integer: true, default: 1000 });
  const timeoutMs = r.number('timeoutMs', { min: 20, max: 30_000, integer: true, default: 1000 });
  const maxInFlight = r.number('maxInFlight', { min: 1, max: 16, integer: true, default: 1 });
  if (
    host === undefined ||
    port === undefined ||
    unitId === undefined ||
    channel === undefined ||
    pollMs === undefined ||
    timeoutMs === undefined ||
    maxInFlight === undefined
  )
    return undefined;
  return { host: host.replace(/^\[|\]$/g, ''), port, unitId, channel, pollMs, timeoutMs, maxInFlight };
}
