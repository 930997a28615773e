import test from 'ava';
import { ModbusError } from './modbus-errors.js';
import { decodeResponse, encodeRequest, type ModbusRequest } from './modbus-pdu.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');

// The request/response examples of MODBUS Application Protocol Specification V1.1b3 §6.
const EXAMPLES: { req: ModbusRequest; request: string; response: string; result: unknown }[] = [
  {
    req: { fc: 0x01, address: 19, quantity: 19 },
    request: '01 0013 0013',
    response: '01 03 CD6B05',
    // Coils 20–38 (addresses 19–37): CD = 1100 1101 for 27..20, then 6B, then 05 for 38..36.
    result: [1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1].map(Boolean),
  },
  {
    req: { fc: 0x02, address: 196, quantity: 22 },
    request: '02 00C4 0016',
    response: '02 03 ACDB35',
    result: [0, 0, 1, 1, 0, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 0, 1, 1].map(Boolean),
  },
  {
    req: { fc: 0x03, address: 107, quantity: 3 },
    request: '03 006B 0003',
    response: '03 06 022B 0000 0064',
    result: [555, 0, 100],
  },
  {
    req: { fc: 0x04, address: 8, quantity: 1 },
    request: '04 0008 0001',
    response: '04 02 000A',
    result: [10],
  },
  {
    req: { fc: 0x05, address: 172, value: true },
    request: '05 00AC FF00',
    response: '05 00AC FF00',
    result: undefined,
  },
  {
    req: { fc: 0x06, address: 1, value: 3 },
    request: '06 0001 0003',
    response: '06 0001 0003',
    result: undefined,
  },
  {
    req: { fc: 0x0f, address: 19, values: [1, 0, 1, 1, 0, 0, 1, 1, 1, 0].map(Boolean) },
    request: '0F 0013 000A 02 CD01',
    response: '0F 0013 000A',
    result: undefined,
  },
  {
    req: { fc: 0x10, address: 1, values: [0x000a, 0x0102] },
    request: '10 0001 0002 04 000A 0102',
    response: '10 0001 0002',
    result: undefined,
  },
];

for (const ex of EXAMPLES) {
  test(`modbus pdu — function ${ex.req.fc} matches the specification's example`, (t) => {
    t.deepEqual(encodeRequest(ex.req), hex(ex.request));
    t.deepEqual(decodeResponse(ex.req, hex(ex.response)), ex.result);
  });
}

test('modbus pdu — an exception response becomes a ModbusError naming the exception', (t) => {
  const err = t.throws(() => decodeResponse({ fc: 0x04, address: 100, quantity: 3 }, hex('84 02')), {
    instanceOf: ModbusError,
  });
  t.is(err.code, 'MODBUS_EXCEPTION');
  t.is(err.exception, 2);
  t.is(err.message, 'read input registers 100–102: exception 2 (ILLEGAL DATA ADDRESS)');
});

test('modbus pdu — a response that does not match its request is a protocol error', (t) => {
  const req: ModbusRequest = { fc: 0x03, address: 0, quantity: 2 };
  t.like(
    t.throws(() => decodeResponse(req, hex('03 02 0001'))),
    { code: 'MODBUS_PROTOCOL' },
  );
  t.like(
    t.throws(() => decodeResponse(req, hex('04 04 0001 0002'))),
    { code: 'MODBUS_PROTOCOL' },
  );
  t.throws(() => decodeResponse({ fc: 0x06, address: 1, value: 3 }, hex('06 0002 0003')), {
    message: /echo differs/,
  });
});

test('modbus pdu — requests outside the protocol limits are refused before sending', (t) => {
  t.like(
    t.throws(() => encodeRequest({ fc: 0x03, address: 0, quantity: 126 })),
    { code: 'MODBUS_BAD_REQUEST' },
  );
  t.throws(() => encodeRequest({ fc: 0x06, address: 0, value: 70000 }), { message: /not a 16-bit word/ });
  t.throws(() => encodeRequest({ fc: 0x04, address: 65535, quantity: 2 }), { message: /past address 65535/ });
});
