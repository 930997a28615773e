// Modbus protocol data units, client side: request encoding and response decoding for the eight
// function codes calle uses. Field layouts and limits are those of the MODBUS Application
// Protocol Specification V1.1b3 §6 (quantities: 2000 bits / 125 registers to read, 1968 coils /
// 123 registers to write); the unit tests replay the specification's own examples.
import { exceptionName, ModbusError } from './modbus-errors.js';

export const FUNCTION_CODES = {
  readCoils: 0x01,
  readDiscreteInputs: 0x02,
  readHoldingRegisters: 0x03,
  readInputRegisters: 0x04,
  writeSingleCoil: 0x05,
  writeSingleRegister: 0x06,
  writeMultipleCoils: 0x0f,
  writeMultipleRegisters: 0x10,
} as const;

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

function bad(req: ModbusRequest, reason: string): ModbusError {
  return new ModbusError('MODBUS_BAD_REQUEST', `${describeRequest(req)}: ${reason}`);
}

function checkRange(req: ModbusRequest, n: number, max: number): void {
  if (!Number.isInteger(req.address) || req.address < 0 || req.address > 0xffff)
    throw bad(req, `address ${req.address} is outside 0–65535`);
  if (!Number.isInteger(n) || n < 1 || n > max) throw bad(req, `quantity ${n} is outside 1–${max}`);
  if (req.address + n > 0x10000) throw bad(req, 'the range runs past address 65535');
}

const isWord = (v: number): boolean => Number.isInteger(v) && v >= 0 && v <= 0xffff;

export function encodeRequest(req: ModbusRequest): Buffer {
  switch (req.fc) {
    case 0x01:
    case 0x02:
    case 0x03:
    case 0x04: {
      checkRange(req, req.quantity, req.fc <= 0x02 ? 2000 : 125);
      const b = Buffer.alloc(5);
      b.writeUInt8(req.fc, 0);
      b.writeUInt16BE(req.address, 1);
      b.writeUInt16BE(req.quantity, 3);
      return b;
    }
    case 0x05: {
      checkRange(req, 1, 1);
      const b = Buffer.alloc(5);
      b.writeUInt8(req.fc, 0);
      b.writeUInt16BE(req.address, 1);
      // §6.5: ON is 0xFF00, OFF is 0x0000; any other value is illegal.
      b.writeUInt16BE(req.value ? 0xff00 : 0x0000, 3);
      return b;
    }
    case 0x06: {
      checkRange(req, 1, 1);
      if (!isWord(req.value)) throw bad(req, `value ${req.value} is not a 16-bit word`);
      const b = Buffer.alloc(5);
      b.writeUInt8(req.fc, 0);
      b.writeUInt16BE(req.address, 1);
      b.writeUInt16BE(req.value, 3);
      return b;
    }
    case 0x0f: {
      checkRange(req, req.values.length, 1968);
      const bytes = Math.ceil(req.values.length / 8);
      const b = Buffer.alloc(6 + bytes);
      b.writeUInt8(req.fc, 0);
      b.writeUInt16BE(req.address, 1);
      b.writeUInt16BE(req.values.length, 3);
      b.writeUInt8(bytes, 5);
      // §6.11: the first coil is the least significant bit of the first byte.
      req.values.forEach((on, i) => {
        if (on) b[6 + (i >> 3)]! |= 1 << (i & 7);
      });
      return b;
    }
    case 0x10: {
      checkRange(req, req.values.length, 123);
      const bad16 = req.values.find((v) => !isWord(v));
      if (bad16 !== undefined) throw bad(req, `value ${bad16} is not a 16-bit word`);
      const b = Buffer.alloc(6 + 2 * req.values.length);
      b.writeUInt8(req.fc, 0);
      b.writeUInt16BE(req.address, 1);
      b.writeUInt16BE(req.values.length, 3);
      b.writeUInt8(2 * req.values.length, 5);
      req.values.forEach((v, i) => b.writeUInt16BE(v, 6 + 2 * i));
      return b;
    }
  }
}

/**
 * Decodes the response PDU to `req`. Throws MODBUS_EXCEPTION for an exception response and
 * MODBUS_PROTOCOL for anything that does not match the request (a server that echoes another
 * address is not trusted with a write).
 */
export function decodeResponse(req: ModbusRequest, pdu: Buffer): ModbusResult {
  const what = describeRequest(req);
  const protocol = (reason: string): ModbusError =>
    new ModbusError('MODBUS_PROTOCOL', `${what}: ${reason} (response ${pdu.toString('hex')})`);
  if (pdu.length < 2) throw protocol('response too short');
  const fc = pdu.readUInt8(0);
  if (fc === (req.fc | 0x80)) {
    const code = pdu.readUInt8(1);
    throw new ModbusError('MODBUS_EXCEPTION', `${what}: exception ${code} (${exceptionName(code)})`, {
      exception: code,
    });
  }
  if (fc !== req.fc) throw protocol(`function code ${fc} answers a request with ${req.fc}`);
  switch (req.fc) {
    case 0x01:
    case 0x02: {
      const n = pdu.readUInt8(1);
      if (n !== Math.ceil(req.quantity / 8) || pdu.length !== 2 + n) throw protocol('wrong byte count');
      return Array.from({ length: req.quantity }, (_, i) => ((pdu[2 + (i >> 3)]! >> (i & 7)) & 1) === 1);
    }
    case 0x03:
    case 0x04: {
      const n = pdu.readUInt8(1);
      if (n !== 2 * req.quantity || pdu.length !== 2 + n) throw protocol('wrong byte count');
      return Array.from({ length: req.quantity }, (_, i) => pdu.readUInt16BE(2 + 2 * i));
    }
    case 0x05:
    case 0x06: {
      // Both answer with an echo of the request.
      if (!pdu.equals(encodeRequest(req))) throw protocol('the echo differs from the request');
      return undefined;
    }
    case 0x0f:
    case 0x10: {
      if (pdu.length !== 5) throw protocol('wrong length');
      if (pdu.readUInt16BE(1) !== req.address || pdu.readUInt16BE(3) !== req.values.length)
        throw protocol('the echoed address or quantity differs from the request');
      return undefined;
    }
  }
}
