// TraCI message framing (REFERENCE §1). A message is a 4-byte big-endian length that counts
// itself, then commands. A command is [ubyte len][ubyte id][content] with len counting those two
// bytes, or, when that would exceed 255, [0][int32 len][ubyte id][content] with len counting all
// six header bytes. SUMO uses the long form even for short replies, so the reader accepts both
// everywhere. Every command is answered by a status command [id][ubyte result][string text].
import { ByteReader, ByteWriter } from './traci-values.js';

/** Status result codes. */
export const STATUS = { ok: 0x00, notImplemented: 0x01, error: 0xff } as const;

/** One command in its wire form: short when it fits in 255 bytes, long otherwise. */
export function encodeCommand(id: number, content: Uint8Array = new Uint8Array(0)): Buffer {
  const w = new ByteWriter();
  if (content.length + 2 <= 255) w.ubyte(content.length + 2).ubyte(id);
  else
    w.ubyte(0)
      .int(content.length + 6)
      .ubyte(id);
  return w.bytes(content).toBuffer();
}

/** A message holding the given commands, in order. */
export function encodeMessage(commands: readonly Uint8Array[]): Buffer {
  const body = Buffer.concat(commands);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length + 4);
  return Buffer.concat([head, body]);
}

/** Where a command starts and ends in a message body, and its id. */
export interface CommandFrame {
  readonly id: number;
  /** Offset of the first content byte (after the id). */
  readonly contentStart: number;
  /** Offset just past the command. */
  readonly end: number;
}

/** Reads a command header (either form) at the reader's position; leaves it at the content. */
export function readCommandHeader(r: ByteReader, what = 'command'): CommandFrame {
  const start = r.position;
  let len = r.ubyte(`${what} length`);
  if (len === 0) {
    len = r.int(`${what} long length`);
    if (len < 6) throw new RangeError(`TraCI: ${what} long length ${len} is below its 6-byte header`);
  } else if (len < 2) {
    throw new RangeError(`TraCI: ${what} length ${len} is below its 2-byte header`);
  }
  const id = r.ubyte(`${what} id`);
  const end = start + len;
  if (end > r.position + r.remaining)
    throw new RangeError(`TraCI: ${what} 0x${id.toString(16)} claims ${len} bytes, message ends before`);
  return { id, contentStart: r.position, end };
}

export interface Status {
  readonly id: number;
  readonly result: number;
  readonly description: string;
}

/** Reads a status command and moves the reader past it. */
export function readStatus(r: ByteReader): Status {
  const f = readCommandHeader(r, 'status');
  const result = r.ubyte('status result');
  const description = r.string('status description');
  if (r.position !== f.end) r.skip(f.end - r.position, 'status padding');
  return { id: f.id, result, description };
}

/**
 * Cuts a TCP byte stream into TraCI messages (bodies without their length prefix). A length
 * below 4 or above `maxBytes` is a protocol error: the stream cannot be resynchronised.
 */
export class MessageSplitter {
  #pending: Buffer[] = [];
  #pendingLen = 0;
  readonly #maxBytes: number;

  constructor(maxBytes = 64 * 1024 * 1024) {
    this.#maxBytes = maxBytes;
  }

  /** Adds received bytes; returns every message now complete. */
  push(chunk: Buffer): Buffer[] {
    this.#pending.push(chunk);
    this.#pendingLen += chunk.length;
    const out: Buffer[] = [];
    while (this.#pendingLen >= 4) {
      const buf = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending);
      this.#pending = [buf];
      const len = buf.readUInt32BE(0);
      if (len < 4 || len > this.#maxBytes)
        throw new RangeError(`TraCI: message length ${len} is outside 4..${this.#maxBytes}`);
      if (buf.length < len) break;
      out.push(buf.subarray(4, len));
      const rest = buf.subarray(len);
      this.#pending = rest.length > 0 ? [rest] : [];
      this.#pendingLen = rest.length;
    }
    return out;
  }
}
