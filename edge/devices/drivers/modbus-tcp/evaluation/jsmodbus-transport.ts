// jsmodbus 5 (npm) behind calle's ModbusTransport, configured as its README says: a net.Socket,
// `new Modbus.client.TCP(socket, unitId, timeout)` per unit, reconnect by connecting the same
// socket again after its close. Units behind one gateway share the socket, as the driver's
// contract asks (one connection per endpoint). What the library does: MBAP framing, PDU codecs,
// one request at a time per client with a timer, exception names, offline rejection of pending
// requests. What it leaves to its user, and this adapter adds (LIBRARY GAP below): a queue
// across clients on one socket, per-request timeouts, reconnect with backoff, half-open
// detection. Evaluation only (evaluation/README.md); the driver uses ModbusConnection.
import Modbus from 'jsmodbus';
import { Socket } from 'node:net';
import { exceptionName, ModbusError } from '../modbus-errors.js';
import { describeRequest, checkRequest, type ModbusRequest, type ModbusResult } from '../modbus-request.js';
import type { ConnectionListener, ModbusTransport, ModbusTransportOptions } from '../modbus-transport.js';

type Client = InstanceType<typeof Modbus.client.TCP>;

interface Job {
  readonly unitId: number;
  readonly req: ModbusRequest;
  readonly timeoutMs: number;
  readonly resolve: (r: ModbusResult) => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
  settled: boolean;
}

export class JsModbusTransport implements ModbusTransport {
  readonly #o: ModbusTransportOptions;
  #maxInFlight: number;
  readonly #listeners = new Set<ConnectionListener>();
  readonly #queue: Job[] = [];
  readonly #inFlight = new Set<Job>();
  readonly #clients = new Map<number, Client>();
  readonly #socket = new Socket();
  #up = false;
  #closed = true;
  #lastError = 'not connected yet';
  #reason: string | undefined;
  #attempt = 0;
  #silentTimeouts = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #socketClosed: Promise<void> = Promise.resolve();

  constructor(opts: ModbusTransportOptions) {
    this.#o = opts;
    this.#maxInFlight = opts.maxInFlight ?? 1;
    this.#socket.on('connect', () => {
      this.#socket.setTimeout(0);
      this.#up = true;
      this.#silentTimeouts = 0;
      this.#emit(true);
      this.#pump();
    });
    this.#socket.on('error', (err: NodeJS.ErrnoException) => {
      this.#reason ??= err.code ?? err.message;
    });
    this.#socket.on('close', () => {
      const wasUp = this.#up;
      this.#up = false;
      const why = this.#reason ?? (wasUp ? 'closed by the server' : 'connection refused');
      this.#reason = undefined;
      this.#lastError = wasUp ? `connection lost: ${why}` : `cannot connect: ${why}`;
      this.#failAll(this.#lastError);
      this.#emit(false, this.#lastError);
      this.#scheduleReconnect();
    });
  }

  get endpoint(): string {
    return `${this.#o.host}:${this.#o.port}`;
  }
  get up(): boolean {
    return this.#up;
  }
  get lastError(): string {
    return this.#lastError;
  }

  limitInFlight(max: number): void {
    this.#maxInFlight = Math.max(1, Math.min(this.#maxInFlight, max));
  }

  onState(listener: ConnectionListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  open(): void {
    if (!this.#closed) return;
    this.#closed = false;
    this.#connect();
  }

  async request(unitId: number, req: ModbusRequest, timeoutMs: number): Promise<ModbusResult> {
    if (!this.#up)
      throw new ModbusError('MODBUS_NOT_CONNECTED', `${describeRequest(req)}: ${this.#lastError}`);
    checkRequest(req); // calle's range checks
    return new Promise<ModbusResult>((resolve, reject) => {
      const job: Job = {
        unitId,
        req,
        timeoutMs,
        resolve,
        reject,
        settled: false,
        // LIBRARY GAP: the library's timeout is fixed per client at construction and starts when
        // the request is written; calle's runs from the call, per request.
        timer: setTimeout(() => {
          const i = this.#queue.indexOf(job);
          if (i >= 0) this.#queue.splice(i, 1);
          this.#settle(
            job,
            new ModbusError('MODBUS_TIMEOUT', `${describeRequest(req)}: no response within ${timeoutMs} ms`),
          );
          if (i < 0) this.#timedOut(job);
        }, timeoutMs),
      };
      this.#queue.push(job);
      this.#pump();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#listeners.clear();
    this.#socket.destroy();
    this.#failAll('connection closed');
    await this.#socketClosed;
  }

  #connect(): void {
    this.#retryTimer = undefined;
    if (this.#closed) return;
    const socket = this.#socket;
    this.#socketClosed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.setTimeout(this.#o.connectTimeoutMs ?? 3000, () => {
      this.#reason = `connect timeout after ${this.#o.connectTimeoutMs ?? 3000} ms`;
      socket.destroy();
    });
    socket.connect({
      host: this.#o.host,
      port: this.#o.port,
      keepAlive: true,
      keepAliveInitialDelay: 10_000,
    });
  }

  // LIBRARY GAP: no reconnect; the same equal-jitter backoff as ModbusConnection.
  #scheduleReconnect(): void {
    if (this.#closed || this.#retryTimer) return;
    const { initial, max } = this.#o.backoffMs ?? { initial: 250, max: 30_000 };
    const ceiling = Math.min(max, initial * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    this.#retryTimer = setTimeout(() => this.#connect(), ceiling / 2 + Math.random() * (ceiling / 2));
  }

  #client(unitId: number, timeoutMs: number): Client {
    let client = this.#clients.get(unitId);
    if (!client) {
      // A client per unit on the shared socket, with the unit's timeout (fixed per client).
      client = new Modbus.client.TCP(this.#socket, unitId, timeoutMs);
      // LIBRARY GAP: a client learns "online" only from a connect event after its construction;
      // units are known at their first request, so one made while connected is told (private API).
      if (this.#up)
        (client as unknown as { _requestHandler: { _onConnect(): void } })._requestHandler._onConnect();
      this.#clients.set(unitId, client);
    }
    return client;
  }

  // LIBRARY GAP: one request in flight per client, but none across the clients of one socket.
  #pump(): void {
    while (this.#up && this.#inFlight.size < this.#maxInFlight && this.#queue.length > 0) {
      const job = this.#queue.shift()!;
      this.#inFlight.add(job);
      call(this.#client(job.unitId, job.timeoutMs), job.req).then(
        (result) => {
          this.#inFlight.delete(job);
          this.#silentTimeouts = 0;
          this.#attempt = 0;
          this.#settle(job, undefined, result);
          this.#pump();
        },
        (err: unknown) => {
          this.#inFlight.delete(job);
          const e = err as { err?: string; message?: string; response?: { body?: { code?: number } } };
          const what = describeRequest(job.req);
          const code = e.response?.body?.code;
          if (e.err === 'ModbusException' && typeof code === 'number') {
            this.#silentTimeouts = 0;
            this.#settle(
              job,
              new ModbusError('MODBUS_EXCEPTION', `${what}: exception ${code} (${exceptionName(code)})`, {
                exception: code,
              }),
            );
          } else if (e.err === 'Offline') {
            this.#settle(job, new ModbusError('MODBUS_NOT_CONNECTED', `${what}: ${this.#lastError}`));
          } else {
            this.#settle(
              job,
              new ModbusError('MODBUS_PROTOCOL', `${what}: ${e.err ?? ''} ${e.message ?? String(err)}`),
            );
          }
          this.#pump();
        },
      );
    }
  }

  #timedOut(job: Job): void {
    this.#inFlight.delete(job);
    // LIBRARY GAP: no half-open detection.
    if (++this.#silentTimeouts >= (this.#o.deadAfterTimeouts ?? 3)) {
      this.#silentTimeouts = 0;
      this.#reason = `no response to ${this.#o.deadAfterTimeouts ?? 3} requests in a row`;
      this.#socket.destroy();
    }
    this.#pump();
  }

  #settle(job: Job, err: Error | undefined, result?: ModbusResult): void {
    if (job.settled) return;
    job.settled = true;
    clearTimeout(job.timer);
    if (err) job.reject(err);
    else job.resolve(result);
  }

  #failAll(reason: string): void {
    const all = [...this.#inFlight, ...this.#queue.splice(0)];
    this.#inFlight.clear();
    for (const job of all)
      this.#settle(job, new ModbusError('MODBUS_NOT_CONNECTED', `${describeRequest(job.req)}: ${reason}`));
  }

  #emit(up: boolean, error?: string): void {
    for (const l of this.#listeners) {
      try {
        l(up, error);
      } catch (err) {
        this.#o.log.error({ err }, 'modbus connection listener threw');
      }
    }
  }
}

const bits = (v: ArrayLike<boolean | number>, n: number): boolean[] =>
  Array.from(v)
    .slice(0, n)
    .map((b) => Boolean(b));

async function call(client: Client, req: ModbusRequest): Promise<ModbusResult> {
  switch (req.fc) {
    case 0x01:
      return bits(
        (await client.readCoils(req.address, req.quantity)).response.body.valuesAsArray,
        req.quantity,
      );
    case 0x02:
      return bits(
        (await client.readDiscreteInputs(req.address, req.quantity)).response.body.valuesAsArray,
        req.quantity,
      );
    case 0x03:
      return Array.from(
        (await client.readHoldingRegisters(req.address, req.quantity)).response.body.valuesAsArray,
      );
    case 0x04:
      return Array.from(
        (await client.readInputRegisters(req.address, req.quantity)).response.body.valuesAsArray,
      );
    case 0x05:
      await client.writeSingleCoil(req.address, req.value);
      return undefined;
    case 0x06:
      await client.writeSingleRegister(req.address, req.value);
      return undefined;
    case 0x0f:
      await client.writeMultipleCoils(req.address, [...req.values]);
      return undefined;
    case 0x10:
      await client.writeMultipleRegisters(req.address, [...req.values]);
      return undefined;
  }
}
