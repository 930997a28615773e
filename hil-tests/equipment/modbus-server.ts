// A Modbus TCP server for equipment simulators: the server side of MODBUS Messaging on TCP/IP
// (MBAP framing) and the eight function codes of the Application Protocol V1.1b3 that calle's
// client uses, over a RegisterBank per unit id. Written independently of the client in
// edge/devices/drivers/modbus-tcp, so the two meet only at the wire and a shared misreading of
// the spec cannot hide. Fault injection (a mute unit, a slow unit) is how the driver tests reach
// the failure paths with real sockets.
import { createServer, type Server, type Socket } from 'node:net';

export const EXCEPTION = {
  illegalFunction: 0x01,
  illegalDataAddress: 0x02,
  illegalDataValue: 0x03,
  serverDeviceFailure: 0x04,
  gatewayTargetFailed: 0x0b,
} as const;

/** Thrown by a unit's write hook to refuse a value with an exception response. */
export class ModbusRefusal extends Error {
  constructor(
    readonly exception: number,
    message: string,
  ) {
    super(message);
  }
}

/** The four tables of one unit. Hooks let a device model react to writes and refresh reads. */
export class RegisterBank {
  readonly coils: boolean[];
  readonly discrete: boolean[];
  readonly input: Uint16Array;
  readonly holding: Uint16Array;
  /** Called before a write is applied; throw ModbusRefusal to refuse it. */
  beforeWrite?: (table: 'coil' | 'holding', address: number, values: readonly (boolean | number)[]) => void;
  /** Called after a write was applied. */
  afterWrite?: (table: 'coil' | 'holding', address: number, count: number) => void;

  constructor(size: { coils?: number; discrete?: number; input?: number; holding?: number }) {
    this.coils = new Array<boolean>(size.coils ?? 0).fill(false);
    this.discrete = new Array<boolean>(size.discrete ?? 0).fill(false);
    this.input = new Uint16Array(size.input ?? 0);
    this.holding = new Uint16Array(size.holding ?? 0);
  }
}

export interface UnitFaults {
  /** No response at all (a dead unit behind a gateway, or a hung module). */
  mute?: boolean;
  /** Delay before each response. */
  delayMs?: number;
}

export class ModbusServer {
  readonly #units: Map<number, RegisterBank>;
  readonly #faults = new Map<number, UnitFaults>();
  readonly #sockets = new Set<Socket>();
  readonly #server: Server;
  /** Requests served, by function code (for tests that count round trips). */
  readonly requests = new Map<number, number>();

  constructor(units: Map<number, RegisterBank>) {
    this.#units = units;
    this.#server = createServer((socket) => this.#accept(socket));
  }

  /** Listens; port 0 picks a free one. Resolves with the port. */
  async listen(port = 0, host = '127.0.0.1'): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const addr = this.#server.address();
    if (addr === null || typeof addr === 'string') throw new Error('server has no TCP address');
    return addr.port;
  }

  setFaults(unitId: number, faults: UnitFaults): void {
    this.#faults.set(unitId, { ...this.#faults.get(unitId), ...faults });
  }

  get connections(): number {
    return this.#sockets.size;
  }

  /** Drops every client connection (a cable pulled) but keeps listening. */
  dropClients(): void {
    for (const s of this.#sockets) s.destroy();
  }

  async close(): Promise<void> {
    this.dropClients();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(socket: Socket): void {
    this.#sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 7) {
        const length = buf.readUInt16BE(4);
        if (buf.readUInt16BE(2) !== 0 || length < 2 || length > 254) {
          socket.destroy();
          return;
        }
        if (buf.length < 6 + length) return;
        const frame = buf.subarray(0, 6 + length);
        buf = buf.subarray(6 + length);
        this.#handle(socket, Buffer.from(frame));
      }
    });
  }

  #handle(socket: Socket, frame: Buffer): void {
    const tid = frame.readUInt16BE(0);
    const unitId = frame.readUInt8(6);
    const pdu = frame.subarray(7);
    const faults = this.#faults.get(unitId) ?? {};
    if (faults.mute) return;
    const fc = pdu.readUInt8(0);
    this.requests.set(fc, (this.requests.get(fc) ?? 0) + 1);
    const bank = this.#units.get(unitId);
    // A gateway answers for a unit it cannot reach (V1.1b3 §7, code 0x0B).
    const reply = bank ? serve(bank, pdu) : Buffer.from([fc | 0x80, EXCEPTION.gatewayTargetFailed]);
    const out = Buffer.alloc(7 + reply.length);
    out.writeUInt16BE(tid, 0);
    out.writeUInt16BE(0, 2);
    out.writeUInt16BE(reply.length + 1, 4);
    out.writeUInt8(unitId, 6);
    reply.copy(out, 7);
    const send = (): void => {
      if (!socket.destroyed) socket.write(out);
    };
    if (faults.delayMs) setTimeout(send, faults.delayMs);
    else send();
  }
}

/** One request PDU → one response PDU (possibly an exception). */
export function serve(bank: RegisterBank, pdu: Buffer): Buffer {
  const fc = pdu.readUInt8(0);
  const exception = (code: number): Buffer => Buffer.from([fc | 0x80, code]);
  if (pdu.length < 5) return exception(EXCEPTION.illegalDataValue);
  const address = pdu.readUInt16BE(1);
  const inRange = (size: number, n: number): boolean => address + n <= size;
  try {
    switch (fc) {
      case 0x01:
      case 0x02: {
        const n = pdu.readUInt16BE(3);
        if (n < 1 || n > 2000) return exception(EXCEPTION.illegalDataValue);
        const table = fc === 0x01 ? bank.coils : bank.discrete;
        if (!inRange(table.length, n)) return exception(EXCEPTION.illegalDataAddress);
        const bytes = Math.ceil(n / 8);
        const out = Buffer.alloc(2 + bytes);
        out[0] = fc;
        out[1] = bytes;
        for (let i = 0; i < n; i++) if (table[address + i]) out[2 + Math.floor(i / 8)]! |= 1 << (i % 8);
        return out;
      }
      case 0x03:
      case 0x04: {
        const n = pdu.readUInt16BE(3);
        if (n < 1 || n > 125) return exception(EXCEPTION.illegalDataValue);
        const table = fc === 0x03 ? bank.holding : bank.input;
        if (!inRange(table.length, n)) return exception(EXCEPTION.illegalDataAddress);
        const out = Buffer.alloc(2 + 2 * n);
        out[0] = fc;
        out[1] = 2 * n;
        for (let i = 0; i < n; i++) out.writeUInt16BE(table[address + i]!, 2 + 2 * i);
        return out;
      }
      case 0x05: {
        const raw = pdu.readUInt16BE(3);
        if (raw !== 0xff00 && raw !== 0x0000) return exception(EXCEPTION.illegalDataValue);
        if (!inRange(bank.coils.length, 1)) return exception(EXCEPTION.illegalDataAddress);
        write(bank, 'coil', address, [raw === 0xff00]);
        return Buffer.from(pdu.subarray(0, 5));
      }
      case 0x06: {
        if (!inRange(bank.holding.length, 1)) return exception(EXCEPTION.illegalDataAddress);
        write(bank, 'holding', address, [pdu.readUInt16BE(3)]);
        return Buffer.from(pdu.subarray(0, 5));
      }
      case 0x0f: {
        const n = pdu.readUInt16BE(3);
        const bytes = pdu.readUInt8(5);
        if (n < 1 || n > 1968 || bytes !== Math.ceil(n / 8) || pdu.length !== 6 + bytes)
          return exception(EXCEPTION.illegalDataValue);
        if (!inRange(bank.coils.length, n)) return exception(EXCEPTION.illegalDataAddress);
        const values = Array.from(
          { length: n },
          (_, i) => ((pdu[6 + Math.floor(i / 8)]! >> (i % 8)) & 1) === 1,
        );
        write(bank, 'coil', address, values);
        return Buffer.from(pdu.subarray(0, 5));
      }
      case 0x10: {
        const n = pdu.readUInt16BE(3);
        const bytes = pdu.readUInt8(5);
        if (n < 1 || n > 123 || bytes !== 2 * n || pdu.length !== 6 + bytes)
          return exception(EXCEPTION.illegalDataValue);
        if (!inRange(bank.holding.length, n)) return exception(EXCEPTION.illegalDataAddress);
        const values = Array.from({ length: n }, (_, i) => pdu.readUInt16BE(6 + 2 * i));
        write(bank, 'holding', address, values);
        return Buffer.from(pdu.subarray(0, 5));
      }
      default:
        return exception(EXCEPTION.illegalFunction);
    }
  } catch (err) {
    if (err instanceof ModbusRefusal) return exception(err.exception);
    return exception(EXCEPTION.serverDeviceFailure);
  }
}

function write(
  bank: RegisterBank,
  table: 'coil' | 'holding',
  address: number,
  values: readonly (boolean | number)[],
): void {
  bank.beforeWrite?.(table, address, values);
  values.forEach((v, i) => {
    if (table === 'coil') bank.coils[address + i] = v as boolean;
    else bank.holding[address + i] = v as number;
  });
  bank.afterWrite?.(table, address, values.length);
}
