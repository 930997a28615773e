// The bytes on the wire, on a raw socket: the specification's own request/response examples
// must come out of (and be read back by) the Modbus client the driver uses, and a response that
// does not fit its request, or a request outside the protocol's limits, must be refused.
import test, { type ExecutionContext } from 'ava';
import { createServer, type Socket } from 'node:net';
import { testLogger } from '../../../../common/testing/temp-dir.js';
import { connectionUnderTest } from './evaluation/transport-under-test.js';
import { ModbusError } from './modbus-errors.js';
import { checkRequest, type ModbusRequest } from './modbus-request.js';

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

/** A server that records each request PDU and answers with `respond(pdu)` under the same MBAP header. */
async function wire(t: ExecutionContext, respond: (pdu: Buffer) => Buffer) {
  const seen: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    let buf = Buffer.alloc(0);
    s.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 7 && buf.length >= 6 + buf.readUInt16BE(4)) {
        const frame = buf.subarray(0, 6 + buf.readUInt16BE(4));
        buf = buf.subarray(frame.length);
        const pdu = Buffer.from(frame.subarray(7));
        seen.push(pdu);
        const reply = respond(pdu);
        const header = Buffer.alloc(7);
        frame.copy(header, 0, 0, 4);
        header.writeUInt16BE(reply.length + 1, 4);
        header.writeUInt8(frame.readUInt8(6), 6);
        s.write(Buffer.concat([header, reply]));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const conn = connectionUnderTest({
    host: '127.0.0.1',
    port: (server.address() as { port: number }).port,
    log: testLogger(),
  });
  t.teardown(async () => {
    await conn.close();
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });
  conn.open();
  const deadline = Date.now() + 5000;
  while (!conn.up) {
    if (Date.now() > deadline) throw new Error('never connected');
    await new Promise((r) => setTimeout(r, 10));
  }
  return { conn, seen };
}

for (const ex of EXAMPLES) {
  test(`modbus wire — function ${ex.req.fc} matches the specification's example`, async (t) => {
    const { conn, seen } = await wire(t, () => hex(ex.response));
    t.deepEqual(await conn.request(1, ex.req, 1000), ex.result);
    t.deepEqual(seen, [hex(ex.request)]);
  });
}

test('modbus wire — an exception response becomes a ModbusError naming the exception', async (t) => {
  const { conn } = await wire(t, () => hex('84 02'));
  const err = await t.throwsAsync(conn.request(1, { fc: 0x04, address: 100, quantity: 3 }, 1000), {
    instanceOf: ModbusError,
  });
  t.is(err.code, 'MODBUS_EXCEPTION');
  t.is(err.exception, 2);
  t.is(err.message, 'read input registers 100–102: exception 2 (ILLEGAL DATA ADDRESS)');
});

test('modbus wire — a response that does not match its request is a protocol error', async (t) => {
  const replies = [hex('03 02 0001'), hex('04 04 0001 0002'), hex('06 0002 0003'), hex('10 0002 0002')];
  const { conn } = await wire(t, () => replies.shift()!);
  const req: ModbusRequest = { fc: 0x03, address: 0, quantity: 2 };
  await t.throwsAsync(conn.request(1, req, 1000), { instanceOf: ModbusError, code: 'MODBUS_PROTOCOL' });
  await t.throwsAsync(conn.request(1, req, 1000), { instanceOf: ModbusError, code: 'MODBUS_PROTOCOL' });
  // A server that echoes another address is not trusted with a write.
  await t.throwsAsync(conn.request(1, { fc: 0x06, address: 1, value: 3 }, 1000), { message: /echo differs/ });
  await t.throwsAsync(conn.request(1, { fc: 0x10, address: 1, values: [1, 2] }, 1000), {
    message: /echo differs/,
  });
  t.true(conn.up, 'a bad answer is the request’s failure, not the link’s');
});

test('modbus wire — requests outside the protocol limits are refused before sending', async (t) => {
  t.like(
    t.throws(() => checkRequest({ fc: 0x03, address: 0, quantity: 126 })),
    { code: 'MODBUS_BAD_REQUEST' },
  );
  t.throws(() => checkRequest({ fc: 0x06, address: 0, value: 70000 }), { message: /not a 16-bit word/ });
  t.throws(() => checkRequest({ fc: 0x10, address: 0, values: [1, -1] }), { message: /not a 16-bit word/ });
  t.throws(() => checkRequest({ fc: 0x04, address: 65535, quantity: 2 }), { message: /past address 65535/ });
  const { conn, seen } = await wire(t, () => hex('03 02 0000'));
  await t.throwsAsync(conn.request(1, { fc: 0x03, address: 0, quantity: 126 }, 1000), {
    message: 'read holding registers 0–125: quantity 126 is outside 1–125',
  });
  t.deepEqual(seen, [], 'nothing was sent');
});
