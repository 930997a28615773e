// modbus-serial 8 (npm, the most used maintained Modbus client for Node) behind calle's
// ModbusTransport, configured as its README says: one client per endpoint, `connectTCP(host,
// { port })`, `setID(unit)` and `setTimeout(ms)` before each call of the promise API.
// What the library does: MBAP framing, PDU encoding and decoding, transaction ids (mod 256) with a
// timer per transaction, exception codes (`err.modbusCode`). What it leaves to its user, and
// this adapter adds, each marked LIBRARY GAP below: no limit on requests in flight (every call is
// written at once), no reconnect, pending requests never rejected when the socket closes, no
// half-open detection. Evaluation only (evaluation/README.md); the driver uses ModbusConnection.
import modbusSerial from 'modbus-serial';
import { ModbusError } from '../modbus-errors.js';
import { exceptionName } from '../modbus-errors.js';
import { describeRequest, encodeRequest, type ModbusRequest, type ModbusResult } from '../modbus-pdu.js';
import type { ConnectionListener, ModbusTransport, ModbusTransportOptions } from '../modbus-transport.js';

// A CommonJS module whose exports are the class, with `default` pointing back at them.
const ModbusRTU = modbusSerial.default;
type Client = InstanceType<typeof ModbusRTU>;

interface Job {
  readonly unitId: number;
  readonly req: ModbusRequest;
  readonly timeoutMs: number;
  readonly deadline: number;
  readonly resolve: (r: ModbusResult) => void;
  readonly reject: (e: Error) => void;
  queueTimer?: NodeJS.Timeout;
  settled: boolean;
}

export class ModbusSerialTransport implements ModbusTransport {
  readonly #o: ModbusTransportOptions;
  #maxInFlight: number;
  readonly #listeners = new Set<ConnectionListener>();
  readonly #queue: Job[] = [];
  readonly #inFlight = new Set<Job>();
  #client: Client | undefined;
  #up = false;
  #closed = true;
  #lastError = 'not connected yet';
  #attempt = 0;
  #silentTimeouts = 0;
  #retryTimer: NodeJS.Timeout | undefined;

  constructor(opts: ModbusTransportOptions) {
    this.#o = opts;
    this.#maxInFlight = opts.maxInFlight ?? 1;
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
    encodeRequest(req); // calle's range checks: the library sends what it is given
    return new Promise<ModbusResult>((resolve, reject) => {
      const job: Job = {
        unitId,
        req,
        timeoutMs,
        deadline: Date.now() + timeoutMs,
        resolve,
        reject,
        settled: false,
      };
      // LIBRARY GAP: no queue. A request still waiting for its turn times out here.
      job.queueTimer = setTimeout(() => {
        const i = this.#queue.indexOf(job);
        if (i >= 0) this.#queue.splice(i, 1);
        this.#settle(job, timeoutError(job));
      }, timeoutMs);
      this.#queue.push(job);
      this.#pump();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#failAll('connection closed');
    const client = this.#client;
    this.#client = undefined;
    this.#up = false;
    if (client) await closeClient(client);
    this.#listeners.clear();
  }

  #connect(): void {
    this.#retryTimer = undefined;
    if (this.#closed) return;
    const client = new ModbusRTU();
    this.#client = client;
    let reason: string | undefined;
    client.on('error', (err: unknown) => {
      reason ??= err instanceof Error ? err.message : String(err);
      // LIBRARY GAP: after a socket error (ECONNRESET) the port clears its open flag first, so its
      // close event is never relayed; the error is the only news of the loss.
      if (this.#up) this.#lost(client, reason);
    });
    client
      .connectTCP(this.#o.host, {
        port: this.#o.port,
        // The library's `timeout` is the socket's idle timeout, which is what bounds a connect.
        timeout: this.#o.connectTimeoutMs ?? 3000,
        keepAlive: true,
        keepAliveInitialDelay: 10_000,
      } as Parameters<Client['connectTCP']>[1])
      .then(() => {
        if (this.#client !== client) return void closeClient(client);
        this.#up = true;
        this.#silentTimeouts = 0;
        // LIBRARY GAP: close is the only news of a lost link, and pending calls are left to time out.
        client.on('close', () => this.#lost(client, reason ?? 'closed by the server'));
        this.#emit(true);
        this.#pump();
      })
      .catch((err: unknown) => {
        if (this.#client !== client) return;
        this.#client = undefined;
        void closeClient(client);
        const e = err as NodeJS.ErrnoException;
        this.#lastError = `cannot connect: ${e.code ?? e.message}`;
        this.#emit(false, this.#lastError);
        this.#scheduleReconnect();
      });
  }

  #lost(client: Client, why: string): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    this.#up = false;
    this.#lastError = `connection lost: ${why}`;
    this.#failAll(this.#lastError);
    this.#emit(false, this.#lastError);
    this.#scheduleReconnect();
  }

  // LIBRARY GAP: no reconnect; the same equal-jitter backoff as ModbusConnection.
  #scheduleReconnect(): void {
    if (this.#closed || this.#retryTimer) return;
    const { initial, max } = this.#o.backoffMs ?? { initial: 250, max: 30_000 };
    const ceiling = Math.min(max, initial * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    this.#retryTimer = setTimeout(() => this.#connect(), ceiling / 2 + Math.random() * (ceiling / 2));
  }

  // LIBRARY GAP: no in-flight limit; pymodbus drops a connection that is pipelined to.
  #pump(): void {
    const client = this.#client;
    while (this.#up && client && this.#inFlight.size < this.#maxInFlight && this.#queue.length > 0) {
      const job = this.#queue.shift()!;
      clearTimeout(job.queueTimer);
      this.#inFlight.add(job);
      client.setID(job.unitId);
      client.setTimeout(Math.max(1, job.deadline - Date.now()));
      call(client, job.req).then(
        (result) => this.#answered(job, result),
        (err: unknown) => this.#failed(client, job, err),
      );
    }
  }

  #answered(job: Job, result: ModbusResult): void {
    this.#inFlight.delete(job);
    this.#silentTimeouts = 0;
    this.#attempt = 0;
    this.#settle(job, undefined, result);
    this.#pump();
  }

  #failed(client: Client, job: Job, err: unknown): void {
    this.#inFlight.delete(job);
    const e = err as { name?: string; message?: string; modbusCode?: number };
    if (e.name === 'TransactionTimedOutError') {
      this.#settle(job, timeoutError(job));
      // LIBRARY GAP: no half-open detection.
      if (++this.#silentTimeouts >= (this.#o.deadAfterTimeouts ?? 3)) {
        this.#silentTimeouts = 0;
        client.destroy(); // removes the library's close listener: report the loss ourselves
        this.#lost(client, `no response to ${this.#o.deadAfterTimeouts ?? 3} requests in a row`);
      }
    } else {
      this.#silentTimeouts = 0;
      const what = describeRequest(job.req);
      this.#settle(
        job,
        typeof e.modbusCode === 'number'
          ? new ModbusError(
              'MODBUS_EXCEPTION',
              `${what}: exception ${e.modbusCode} (${exceptionName(e.modbusCode)})`,
              {
                exception: e.modbusCode,
              },
            )
          : e.name === 'PortNotOpenError'
            ? new ModbusError('MODBUS_NOT_CONNECTED', `${what}: ${this.#lastError}`)
            : new ModbusError('MODBUS_PROTOCOL', `${what}: ${e.message ?? String(err)}`, { cause: err }),
      );
    }
    this.#pump();
  }

  #settle(job: Job, err: Error | undefined, result?: ModbusResult): void {
    if (job.settled) return;
    job.settled = true;
    clearTimeout(job.queueTimer);
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

function timeoutError(job: Job): ModbusError {
  return new ModbusError(
    'MODBUS_TIMEOUT',
    `${describeRequest(job.req)}: no response within ${job.timeoutMs} ms`,
  );
}

async function call(client: Client, req: ModbusRequest): Promise<ModbusResult> {
  switch (req.fc) {
    case 0x01:
      return (await client.readCoils(req.address, req.quantity)).data.slice(0, req.quantity);
    case 0x02:
      return (await client.readDiscreteInputs(req.address, req.quantity)).data.slice(0, req.quantity);
    case 0x03:
      return (await client.readHoldingRegisters(req.address, req.quantity)).data;
    case 0x04:
      return (await client.readInputRegisters(req.address, req.quantity)).data;
    case 0x05:
      await client.writeCoil(req.address, req.value);
      return undefined;
    case 0x06:
      await client.writeRegister(req.address, req.value);
      return undefined;
    case 0x0f:
      await client.writeCoils(req.address, [...req.values]);
      return undefined;
    case 0x10:
      await client.writeRegisters(req.address, [...req.values]);
      return undefined;
  }
}

/**
 * The library's close() ends the socket gracefully and calls back on its close event, which never
 * comes for a socket already closed or never opened; destroy() does not wait. Both, bounded.
 */
async function closeClient(client: Client): Promise<void> {
  if (!client.isOpen) {
    client.destroy();
    return;
  }
  await new Promise<void>((resolve) => {
    const t = setTimeout(() => {
      client.destroy();
      resolve();
    }, 500);
    client.close(() => {
      clearTimeout(t);
      resolve();
    });
  });
}
