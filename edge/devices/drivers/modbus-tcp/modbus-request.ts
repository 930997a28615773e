// The Modbus requests the driver sends, for the eight function codes calle uses, checked against
// the protocol's limits before anything is sent (MODBUS Application Protocol Specification
// V1.1b3 §6: 2000 bits / 125 registers to read, 1968 coils / 123 registers to write), and named
// for error messages. The bytes on the wire are the Modbus client library's (modbus-connection.ts).
import { ModbusError } from './modbus-errors.js';

export type ModbusRequest =
  | { readonly fc: 0x01 | 0x02; readonly address: number; readonly quantity: number }
  | { readonly fc: 0x03 | 0x04; readonly address: number; readonly quantity: number }
  | { readonly fc: 0x05; readonly address: number; readonly value: boolean }
  | { readonly fc: 0x06; readonly address: number; readonly value: number }
  | { readonly fc: 0x0f; readonly address: number; readonly values: readonly boolean[] }
  | { readonly fc: 0x10; readonly address: number; readonly values: readonly number[] };

/** Bits for FC 1/2, words for FC 3/4, nothing for writes. */
export type ModbusResult = boolean[] | number[] | undefined;

const TABLE_NAME: Record<number, string> = {
  0x01: 'coils',
  0x02: 'discrete inputs',
  0x03: 'holding registers',
  0x04: 'input registers',
  0x05: 'coil',
  0x06: 'holding register',
  0x0f: 'coils',
  0x10: 'holding registers',
};

/** "read input registers 100–102", for error messages. */
export function describeRequest(req: ModbusRequest): string {
  const verb = req.fc <= 0x04 ? 'read' : 'write';
  const n = 'quantity' in req ? req.quantity : 'values' in req ? req.values.length : 1;
  const range = n === 1 ? `${req.address}` : `${req.address}–${req.address + n - 1}`;
  return `${verb} ${TABLE_NAME[req.fc] ?? `fc ${req.fc}`} ${range}`;
}

const isWord = (v: number): boolean => Number.isInteger(v) && v >= 0 && v <= 0xffff;

/** Throws MODBUS_BAD_REQUEST for a request outside the protocol's ranges: never sent. */
export function checkRequest(req: ModbusRequest): void {
  const bad = (reason: string): ModbusError =>
    new ModbusError('MODBUS_BAD_REQUEST', `${describeRequest(req)}: ${reason}`);
  const [n, max] =
    'quantity' in req
      ? [req.quantity, req.fc <= 0x02 ? 2000 : 125]
      : 'values' in req
        ? [req.values.length, req.fc === 0x0f ? 1968 : 123]
        : [1, 1];
  if (!Number.isInteger(req.address) || req.address < 0 || req.address > 0xffff)
    throw bad(`address ${req.address} is outside 0–65535`);
  if (!Number.isInteger(n) || n < 1 || n > max) throw bad(`quantity ${n} is outside 1–${max}`);
  if (req.address + n > 0x10000) throw bad('the range runs past address 65535');
  const words = req.fc === 0x06 ? [req.value] : req.fc === 0x10 ? req.values : [];
  const notWord = words.find((v) => !isWord(v));
  if (notWord !== undefined) throw bad(`value ${notWord} is not a 16-bit word`);
}
