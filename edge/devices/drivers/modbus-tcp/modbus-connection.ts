// One Modbus TCP connection to one endpoint (a module, or a TCP/RTU gateway with several units),
// shared by every device behind it. One transaction is outstanding at a time unless the devices'
// params allow more (`maxInFlight`): many field devices serve one at a time. When allowed,
// requests are pipelined and matched to their responses by the MBAP transaction identifier
// (MODBUS Messaging on TCP/IP Implementation Guide V1.0b §3.1.3), so one silent unit behind a
// gateway costs its own timeout and not everybody's. The connection reconnects for ever, with
// exponential backoff and jitter, until close().
import { Socket } from 'node:net';
import type { Logger } from 'pino';
import { ModbusError } from './modbus-errors.js';
import {
  decodeResponse,
  describeRequest,
  encodeRequest,
  type ModbusRequest,
  type ModbusResult,
} from './modbus-pdu.js';
import type { ConnectionListener, ModbusTransport, ModbusTransportOptions } from './modbus-transport.js';

interface Pending {
  readonly tid: number;
  readonly unitId: number;
  readonly req: ModbusRequest;
  readonly frame: Buffer;
  readonly resolve: (r: ModbusResult) => void;
  readonly reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  sent: boolean;
}

/** MBAP header: transaction id, protocol id (0 = Modbus), length (unit id + PDU), unit id. */
const MBAP_BYTES = 7;
/** Largest PDU is 253 bytes (V1.1b3 §4.1), so the length field is at most 254. */
const MAX_LENGTH_FIELD = 254;

export class ModbusConnection implements ModbusTransport {
  readonly #opts: Required<Omit<ModbusTransportOptions, 'log' | 'maxInFlight'>>;
  #maxInFlight: number;
  readonly #log: Logger;
  readonly #listeners = new Set<ConnectionListener>();
  readonly #inFlight = new Map<number, Pending>();
  readonly #queue: Pending[] = [];
  #socket: Socket | undefined;
  #up = false;
  #closed = true;
  #lastError = 'not connected yet';
  #buffer: Buffer = Buffer.alloc(0);
  #nextTid = 1;
  #attempt = 0;
  #silentTimeouts = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #socketClosed: Promise<void> = Promise.resolve();

  constructor(opts: ModbusTransportOptions) {
    this.#log = opts.log;
    this.#maxInFlight = opts.maxInFlight ?? 1;
    this.#opts = {
      host: opts.host,
      port: opts.port,
      backoffMs: opts.backoffMs ?? { initial: 250, max: 30_000 },
      connectTimeoutMs: opts.connectTimeoutMs ?? 3000,
      deadAfterTimeouts: opts.deadAfterTimeouts ?? 3,
    };
  }

  /** Lowers the outstanding-transaction limit: an endpoint serves its most cautious device. */
  limitInFlight(max: number): void {
    this.#maxInFlight = Math.max(1, Math.min(this.#maxInFlight, max));
  }

  get endpoint(): string {
    return `${this.#opts.host}:${this.#opts.port}`;
  }

  get up(): boolean {
    return this.#up;
  }

  /** Why the connection is down (the last socket error), for devices' lastError. */
  get lastError(): string {
    return this.#lastError;
  }

  /** Called with (true) when connected, (false, reason) when the connection is lost or refused. */
  onState(listener: ConnectionListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Starts connecting; reconnects until close(). Idempotent. */
  open(): void {
    if (!this.#closed) return;
    this.#closed = false;
    this.#connect();
  }

  /** Sends one request to `unitId`; rejects at once while the connection is down. */
  async request(unitId: number, req: ModbusRequest, timeoutMs: number): Promise<ModbusResult> {
    if (!this.#up) {
      throw new ModbusError('MODBUS_NOT_CONNECTED', `${describeRequest(req)}: ${this.#lastError}`);
    }
    const pdu = encodeRequest(req);
    return new Promise<ModbusResult>((resolve, reject) => {
      const tid = this.#takeTid();
      const frame = Buffer.alloc(MBAP_BYTES + pdu.length);
      frame.writeUInt16BE(tid, 0);
      frame.writeUInt16BE(0, 2);
      frame.writeUInt16BE(pdu.length + 1, 4);
      frame.writeUInt8(unitId, 6);
      pdu.copy(frame, MBAP_BYTES);
      const p: Pending = {
        tid,
        unitId,
        req,
        frame,
        resolve,
        reject,
        sent: false,
        // The timeout runs from the call, queue included: it bounds what the caller waits.
        timer: setTimeout(() => this.#timeout(p, timeoutMs), timeoutMs),
      };
      this.#queue.push(p);
      this.#pump();
    });
  }

  /** Closes the socket and every timer; pending requests reject. Resolves once the socket is closed. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#socket?.destroy();
    this.#failAll('connection closed');
    await this.#socketClosed;
    this.#listeners.clear();
  }

  #connect(): void {
    this.#retryTimer = undefined;
    if (this.#closed) return;
    const socket = new Socket();
    this.#socket = socket;
    this.#buffer = Buffer.alloc(0);
    let reason: string | undefined;
    let connected = false;
    this.#socketClosed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.setTimeout(this.#opts.connectTimeoutMs, () => {
      reason = `connect timeout after ${this.#opts.connectTimeoutMs} ms`;
      socket.destroy();
    });
    socket.once('connect', () => {
      connected = true;
      socket.setTimeout(0);
      socket.setNoDelay(true);
      // Keepalive finds a cabinet whose cable was pulled even when no request is pending.
      socket.setKeepAlive(true, 10_000);
      this.#up = true;
      this.#silentTimeouts = 0;
      this.#log.info('modbus connected');
      this.#emit(true);
      this.#pump();
    });
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      reason ??= err.code ?? err.message;
    });
    socket.once('close', () => {
      if (this.#socket === socket) this.#socket = undefined;
      const why = reason ?? (connected ? 'closed by the server' : 'connection refused');
      const wasUp = this.#up;
      this.#up = false;
      this.#lastError = connected ? `connection lost: ${why}` : `cannot connect: ${why}`;
      this.#failAll(this.#lastError);
      if (wasUp || this.#attempt === 0) this.#log.warn({ reason: why }, 'modbus connection down');
      this.#emit(false, this.#lastError);
      this.#scheduleReconnect();
    });
    socket.connect(this.#opts.port, this.#opts.host);
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#retryTimer) return;
    const { initial, max } = this.#opts.backoffMs;
    const ceiling = Math.min(max, initial * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    // "Equal jitter": half fixed, half random, so a cabinet full of modules restarted by one
    // power cut does not reconnect in lock step, and no attempt comes at once after a failure.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.#retryTimer = setTimeout(() => this.#connect(), delay);
  }

  #takeTid(): number {
    // 16-bit, wrapping, skipping ids still in flight (a late response must not match a new request).
    for (;;) {
      const tid = this.#nextTid;
      this.#nextTid = (this.#nextTid + 1) & 0xffff;
      if (!this.#inFlight.has(tid) && !this.#queue.some((p) => p.tid === tid)) return tid;
    }
  }

  #pump(): void {
    const socket = this.#socket;
    if (!this.#up || !socket) return;
    while (this.#inFlight.size < this.#maxInFlight && this.#queue.length > 0) {
      const p = this.#queue.shift()!;
      p.sent = true;
      this.#inFlight.set(p.tid, p);
      socket.write(p.frame);
    }
  }

  #onData(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    while (this.#buffer.length >= MBAP_BYTES) {
      const tid = this.#buffer.readUInt16BE(0);
      const protocol = this.#buffer.readUInt16BE(2);
      const length = this.#buffer.readUInt16BE(4);
      if (protocol !== 0 || length < 2 || length > MAX_LENGTH_FIELD) {
        // The stream is out of step; nothing after this point can be trusted.
        this.#log.error({ protocol, length }, 'malformed MBAP header; reconnecting');
        this.#socket?.destroy(new Error(`malformed MBAP header (protocol ${protocol}, length ${length})`));
        return;
      }
      if (this.#buffer.length < 6 + length) return;
      const unitId = this.#buffer.readUInt8(6);
      const pdu = this.#buffer.subarray(MBAP_BYTES, 6 + length);
      this.#buffer = this.#buffer.subarray(6 + length);
      this.#silentTimeouts = 0;
      this.#attempt = 0;
      const p = this.#inFlight.get(tid);
      if (!p) {
        this.#log.debug({ tid }, 'response to no pending request (late, after a timeout)');
        continue;
      }
      this.#inFlight.delete(tid);
      clearTimeout(p.timer);
      if (unitId !== p.unitId) {
        p.reject(
          new ModbusError(
            'MODBUS_PROTOCOL',
            `${describeRequest(p.req)}: answered by unit ${unitId}, asked ${p.unitId}`,
          ),
        );
      } else {
        try {
          p.resolve(decodeResponse(p.req, Buffer.from(pdu)));
        } catch (err) {
          p.reject(err as Error);
        }
      }
      this.#pump();
    }
  }

  #timeout(p: Pending, timeoutMs: number): void {
    const queued = this.#queue.indexOf(p);
    if (queued >= 0) this.#queue.splice(queued, 1);
    else this.#inFlight.delete(p.tid);
    p.reject(
      new ModbusError('MODBUS_TIMEOUT', `${describeRequest(p.req)}: no response within ${timeoutMs} ms`),
    );
    if (p.sent && ++this.#silentTimeouts >= this.#opts.deadAfterTimeouts) {
      this.#log.warn('no response to several requests in a row; replacing the connection');
      this.#socket?.destroy(new Error(`no response to ${this.#silentTimeouts} requests in a row`));
      this.#silentTimeouts = 0;
    }
    this.#pump();
  }

  #failAll(reason: string): void {
    const all = [...this.#inFlight.values(), ...this.#queue.splice(0)];
    this.#inFlight.clear();
    for (const p of all) {
      clearTimeout(p.timer);
      p.reject(new ModbusError('MODBUS_NOT_CONNECTED', `${describeRequest(p.req)}: ${reason}`));
    }
  }

  #emit(up: boolean, error?: string): void {
    for (const l of this.#listeners) {
      try {
        l(up, error);
      } catch (err) {
        this.#log.error({ err }, 'modbus connection listener threw');
      }
    }
  }
}
