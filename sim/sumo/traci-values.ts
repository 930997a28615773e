// TraCI's typed values (REFERENCE §1): big-endian integers and doubles, strings as an int32 byte
// length then the bytes, string lists as an int32 count then strings, and the type tags that
// precede a value in results and set commands. SUMO reads and writes strings as Latin-1 (the
// Python client encodes ids with "latin1"); ids in SUMO nets are ASCII in practice.

export const TYPE = {
  ubyte: 0x07,
  byte: 0x08,
  int: 0x09,
  double: 0x0b,
  string: 0x0c,
  stringList: 0x0e,
  compound: 0x0f,
} as const;

/** A value read with its type tag. Compounds keep their items in order. */
export type TraciValue = number | string | readonly string[] | readonly TraciValue[];

/** Appends big-endian fields to a growing buffer. */
export class ByteWriter {
  #buf = Buffer.alloc(64);
  #len = 0;

  get length(): number {
    return this.#len;
  }

  #room(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    const next = Buffer.alloc(Math.max(this.#buf.length * 2, this.#len + n));
    this.#buf.copy(next, 0, 0, this.#len);
    this.#buf = next;
  }

  ubyte(v: number): this {
    this.#room(1);
    this.#buf.writeUInt8(v, this.#len);
    this.#len += 1;
    return this;
  }

  int(v: number): this {
    this.#room(4);
    this.#buf.writeInt32BE(v, this.#len);
    this.#len += 4;
    return this;
  }

  double(v: number): this {
    this.#room(8);
    this.#buf.writeDoubleBE(v, this.#len);
    this.#len += 8;
    return this;
  }

  string(s: string): this {
    const bytes = Buffer.from(s, 'latin1');
    this.int(bytes.length);
    return this.bytes(bytes);
  }

  stringList(list: readonly string[]): this {
    this.int(list.length);
    for (const s of list) this.string(s);
    return this;
  }

  bytes(b: Uint8Array): this {
    this.#room(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
    return this;
  }

  /** A copy of what was written. */
  toBuffer(): Buffer {
    return Buffer.from(this.#buf.subarray(0, this.#len));
  }
}

/** Reads big-endian fields; every read past the end throws a RangeError naming the field. */
export class ByteReader {
  readonly #buf: Buffer;
  #pos: number;
  readonly #end: number;

  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.#buf = buf;
    this.#pos = start;
    this.#end = end;
  }

  get position(): number {
    return this.#pos;
  }

  get remaining(): number {
    return this.#end - this.#pos;
  }

  #need(n: number, what: string): void {
    if (this.#pos + n > this.#end)
      throw new RangeError(
        `TraCI: ${what} needs ${n} bytes at offset ${this.#pos}, only ${this.remaining} left`,
      );
  }

  ubyte(what = 'ubyte'): number {
    this.#need(1, what);
    return this.#buf.readUInt8(this.#pos++);
  }

  byte(what = 'byte'): number {
    this.#need(1, what);
    return this.#buf.readInt8(this.#pos++);
  }

  int(what = 'int'): number {
    this.#need(4, what);
    const v = this.#buf.readInt32BE(this.#pos);
    this.#pos += 4;
    return v;
  }

  double(what = 'double'): number {
    this.#need(8, what);
    const v = this.#buf.readDoubleBE(this.#pos);
    this.#pos += 8;
    return v;
  }

  string(what = 'string'): string {
    const n = this.int(`${what} length`);
    if (n < 0) throw new RangeError(`TraCI: ${what} has negative length ${n}`);
    this.#need(n, what);
    const s = this.#buf.toString('latin1', this.#pos, this.#pos + n);
    this.#pos += n;
    return s;
  }

  stringList(what = 'string list'): string[] {
    const n = this.int(`${what} count`);
    if (n < 0) throw new RangeError(`TraCI: ${what} has negative count ${n}`);
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.string(`${what}[${i}]`));
    return out;
  }

  skip(n: number, what = 'bytes'): void {
    this.#need(n, what);
    this.#pos += n;
  }

  /** A value preceded by its type tag. */
  typed(what = 'value'): TraciValue {
    const tag = this.ubyte(`${what} type`);
    switch (tag) {
      case TYPE.ubyte:
        return this.ubyte(what);
      case TYPE.byte:
        return this.byte(what);
      case TYPE.int:
        return this.int(what);
      case TYPE.double:
        return this.double(what);
      case TYPE.string:
        return this.string(what);
      case TYPE.stringList:
        return this.stringList(what);
      case TYPE.compound: {
        const n = this.int(`${what} item count`);
        const items: TraciValue[] = [];
        for (let i = 0; i < n; i++) items.push(this.typed(`${what}[${i}]`));
        return items;
      }
      default:
        throw new RangeError(`TraCI: ${what} has unsupported type tag 0x${tag.toString(16)}`);
    }
  }
}
