// The errors the Modbus TCP client raises, each with a stable code, so the driver (and a
// technician reading "lastError") can tell a refused request from a silent device from a cut link.

/** Exception codes of MODBUS Application Protocol V1.1b3 §7, with the spec's names. */
export const MODBUS_EXCEPTIONS: Readonly<Record<number, string>> = {
  0x01: 'ILLEGAL FUNCTION',
  0x02: 'ILLEGAL DATA ADDRESS',
  0x03: 'ILLEGAL DATA VALUE',
  0x04: 'SERVER DEVICE FAILURE',
  0x05: 'ACKNOWLEDGE',
  0x06: 'SERVER DEVICE BUSY',
  0x08: 'MEMORY PARITY ERROR',
  0x0a: 'GATEWAY PATH UNAVAILABLE',
  0x0b: 'GATEWAY TARGET DEVICE FAILED TO RESPOND',
};

export type ModbusErrorCode =
  /** The server answered with an exception response. */
  | 'MODBUS_EXCEPTION'
  /** No response within the request's timeout. */
  | 'MODBUS_TIMEOUT'
  /** The connection is down (or went down while the request waited). */
  | 'MODBUS_NOT_CONNECTED'
  /** A response that does not parse or does not match its request. */
  | 'MODBUS_PROTOCOL'
  /** A request the client refuses to send (quantity or value out of the protocol's range). */
  | 'MODBUS_BAD_REQUEST';

export class ModbusError extends Error {
  readonly code: ModbusErrorCode;
  /** The exception code, for MODBUS_EXCEPTION. */
  readonly exception?: number;

  constructor(code: ModbusErrorCode, message: string, opts: { exception?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ModbusError';
    this.code = code;
    if (opts.exception !== undefined) this.exception = opts.exception;
  }
}

export function exceptionName(code: number): string {
  return MODBUS_EXCEPTIONS[code] ?? `UNKNOWN EXCEPTION 0x${code.toString(16).padStart(2, '0')}`;
}
