import test from 'ava';
import { decodeControlledLinks, getRequest, parseReply, setRequest, typedString } from './traci-client.js';
import {
  encodeCommand,
  encodeMessage,
  MessageSplitter,
  readCommandHeader,
  readStatus,
} from './traci-framing.js';
import { ByteReader, ByteWriter, TYPE } from './traci-values.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('traci framing — short command: length counts itself and the id', (t) => {
  t.is(hex(encodeCommand(0x02, new ByteWriter().double(0).toBuffer())), '0a02' + '0000000000000000');
  t.is(hex(encodeCommand(0x7f)), '027f');
});

test('traci framing — long command form above 255 bytes: [0][int32 len incl. 6-byte header][id]', (t) => {
  const content = Buffer.alloc(300, 0xaa);
  const cmd = encodeCommand(0xc2, content);
  t.is(cmd.length, 306);
  t.is(hex(cmd.subarray(0, 6)), '00' + '00000132' + 'c2');
  const h = readCommandHeader(new ByteReader(cmd));
  t.deepEqual(h, { id: 0xc2, contentStart: 6, end: 306 });
});

test('traci framing — message length prefix counts its own 4 bytes', (t) => {
  const m = encodeMessage([encodeCommand(0x00)]);
  t.is(hex(m), '00000006' + '0200');
});

test('traci framing — get variable request bytes: [var][string id]', (t) => {
  const q = getRequest(0xa2, 0x20, 'A0');
  t.is(hex(encodeCommand(q.id, q.content)), '09a2' + '20' + '00000002' + '4130');
  const s = setRequest(0xc2, 0x20, 'A0', typedString('rG'));
  t.is(hex(encodeCommand(s.id, s.content)), '10c2' + '20' + '00000002' + '4130' + '0c' + '00000002' + '7247');
});

test('traci framing — the splitter reassembles messages cut anywhere and keeps the rest', (t) => {
  const a = encodeMessage([encodeCommand(0x7f)]);
  const b = encodeMessage([encodeCommand(0x00, Buffer.alloc(10, 1))]);
  const all = Buffer.concat([a, b]);
  const s = new MessageSplitter();
  const out: Buffer[] = [];
  for (let i = 0; i < all.length; i += 3) out.push(...s.push(all.subarray(i, i + 3)));
  t.deepEqual(out.map(hex), [hex(a.subarray(4)), hex(b.subarray(4))]);
  t.throws(() => new MessageSplitter().push(Buffer.from('00000002', 'hex')), { message: /outside 4\.\./ });
});

test('traci framing — status accepts both the short and the long form', (t) => {
  const short = Buffer.from('07a2' + '00' + '00000000', 'hex');
  const long = Buffer.from('00' + '0000000b' + 'a2' + '00' + '00000000', 'hex');
  t.deepEqual(readStatus(new ByteReader(short)), { id: 0xa2, result: 0, description: '' });
  t.deepEqual(readStatus(new ByteReader(long)), { id: 0xa2, result: 0, description: '' });
});

test('traci reply — a get answered with a long-form result is parsed; an error status rejects with its text', (t) => {
  const q = getRequest(0xab, 0x66, '');
  // What SUMO 1.15 sent for getTime at t = 1 (captured here), then the same result in long form.
  const short = Buffer.from('07ab0000000000' + '10bb66000000000b3ff0000000000000', 'hex');
  t.deepEqual(parseReply(short, [q]), [1]);
  const long = Buffer.from('07ab0000000000' + '00' + '00000014' + 'bb66000000000b3ff0000000000000', 'hex');
  t.deepEqual(parseReply(long, [q]), [1]);
  const err = new ByteWriter()
    .ubyte(0)
    .int(6 + 1 + 4 + 3)
    .ubyte(0xa2)
    .ubyte(0xff)
    .string('bad')
    .toBuffer();
  t.throws(() => parseReply(err, [getRequest(0xa2, 0x23, 'A0')]), { message: /0xa2: error: bad/ });
  const wrong = Buffer.from('077f0000000000', 'hex');
  t.throws(() => parseReply(wrong, [q]), { message: /expected 0xab/ });
});

test('traci values — compound of controlled links decodes to [index][alternative][from, to, via]', (t) => {
  const w = new ByteWriter().ubyte(TYPE.compound).int(5);
  w.ubyte(TYPE.int).int(2);
  w.ubyte(TYPE.int).int(1).ubyte(TYPE.stringList).stringList(['a_0', 'b_0', ':J_0_0']);
  w.ubyte(TYPE.int).int(1).ubyte(TYPE.stringList).stringList(['a_1', 'c_0', ':J_1_0']);
  const v = new ByteReader(w.toBuffer()).typed();
  t.deepEqual(decodeControlledLinks(v), [[['a_0', 'b_0', ':J_0_0']], [['a_1', 'c_0', ':J_1_0']]]);
  t.throws(() => new ByteReader(Buffer.from('0000000561', 'hex')).string(), { message: /needs 5 bytes/ });
});
