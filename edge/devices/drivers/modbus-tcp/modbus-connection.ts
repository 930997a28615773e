// One Modbus TCP connection to one endpoint (a module, or a TCP/RTU gateway with several units),
// shared by every device behind it, on modbus-serial (npm, maintained; chosen over jsmodbus and
// calle's own client by the driver suites, evaluation/README.md). The library does the wire: MBAP
// framing, the function codes, transaction ids with a timer per transaction, exception codes.
// This file adds what the library leaves to its user, each measured by a driver test:
// - a limit on transactions outstanding (`maxInFlight`, default 1): the library writes every
//   call at once, and many field devices serve one at a time (pymodbus 3 drops the connection);
// - a timeout counted from the call, queue included, so it bounds what the caller waits;
// - reconnect for ever with exponential backoff and jitter, until close();
// - pending requests rejected the moment the link is lost (the library lets them time out);
// - half-open detection: timeouts in a row with no answer in between replace the socket;
// - write echoes compared with the request (a server that echoes another address is not trusted).
import type ModbusSerial from 'modbus-serial';
import { exceptionName, ModbusError } from './modbus-errors.js';
import { checkRequest, describeRequest, type ModbusRequest, type ModbusResult } from './modbus-request.js';
import type { ConnectionListener, ModbusTransport, ModbusTransportOptions } from './modbus-transport.js';

// A CommonJS module whose exports are the class, with `default` pointing back at them.
type ModbusRTUClass = typeof ModbusSerial.default;
type Client = InstanceType<ModbusRTUClass>;

let library: Promise<ModbusRTUClass> | undefined;
/**
 * The library is loaded at the first connect, not with the driver: it brings serialport's native
 * binding along (its optional dependency), +8 MB RSS on bench:edge, which a site with no Modbus
 * equipment should not pay.
 */
const loadLibrary = async (): Promise<ModbusRTUClass> =>
  (library ??= import('modbus-serial').then((m) => m.default.default));

interface Pending {
  readonly unitId: number;
  readonly req: ModbusRequest;
  readonly timeoutMs: number;
  readonly deadline: number;
  readonly resolve: (r: ModbusResult) => void;
  readonly reject: (e: Error) => void;
  queueTimer?: NodeJS.Timeout;
  settled: boolean;
}

export class ModbusConnection implements ModbusTransport {
  readonly #opts: Required<Omit<ModbusTransportOptions, 'maxInFlight'>>;
  #maxInFlight: number;
  readonly #listeners = new Set<ConnectionListener>();
  readonly #queue: Pending[] = [];
  readonly #inFlight = new Set<Pending>();
  #client: Client | undefined;
  #up = false;
  #closed = true;
  #lastError = 'not connected yet';
  #attempt = 0;
  #silentTimeouts = 0;
  #retryTimer: NodeJS.Timeout | undefined;

  constructor(opts: ModbusTransportOptions) {
    this.#maxInFlight = opts.maxInFlight ?? 1;
    this.#opts = {
      host: opts.host,
      port: opts.port,
      log: opts.log,
      backoffMs: opts.backoffMs ?? { initial: 250, max: 30_000 },
      connectTimeoutMs: opts.connectTimeoutMs ?? 3000,
      deadAfterTimeouts: opts.deadAfterTimeouts ?? 3,
    };
  }

  get endpoint(): string {
    return `${this.#opts.host}:${this.#opts.port}`;
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
    if (!this.#up) {
      throw new ModbusError('MODBUS_NOT_CONNECTED', `${describeRequest(req)}: ${this.#lastError}`);
    }
    checkRequest(req);
    return new Promise<ModbusResult>((resolve, reject) => {
      const p: Pending = {
        unitId,
        req,
        timeoutMs,
        deadline: Date.now() + timeoutMs,
        resolve,
        reject,
        settled: false,
      };
      // A request still waiting for its turn times out here; once sent, the library's timer runs.
      p.queueTimer = setTimeout(() => {
        const i = this.#queue.indexOf(p);
        if (i >= 0) this.#queue.splice(i, 1);
        this.#settle(p, timeoutError(p));
      }, timeoutMs);
      this.#queue.push(p);
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
    loadLibrary().then(
      (ModbusRTU) => this.#connectWith(ModbusRTU),
      (err: unknown) => {
        this.#lastError = `cannot load modbus-serial: ${err instanceof Error ? err.message : String(err)}`;
        this.#opts.log.error({ err }, 'modbus client library did not load');
        this.#emit(false, this.#lastError);
        this.#scheduleReconnect();
      },
    );
  }

  #connectWith(ModbusRTU: ModbusRTUClass): void {
    if (this.#closed || this.#client) return;
    const client = new ModbusRTU();
    this.#client = client;
    let reason: string | undefined;
    client.on('error', (err: unknown) => {
      reason ??= (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
      // After a socket error (ECONNRESET) the library clears its open flag before the socket's
      // close, and so never relays the close: the error is the only news of the loss.
      if (this.#up) this.#lost(client, reason);
    });
    const options = {
      port: this.#opts.port,
      // The library's `timeout` is the socket's idle timeout; before connect it bounds the connect.
      timeout: this.#opts.connectTimeoutMs,
      // Keepalive finds a cabinet whose cable was pulled even when no request is pending.
      keepAlive: true,
      keepAliveInitialDelay: 10_000,
    };
    client.connectTCP(this.#opts.host, options).then(
      () => {
        if (this.#client !== client) return void closeClient(client);
        this.#up = true;
        this.#silentTimeouts = 0;
        client.on('close', () => this.#lost(client, reason ?? 'closed by the server'));
        this.#opts.log.info('modbus connected');
        this.#emit(true);
        this.#pump();
      },
      (err: unknown) => {
        if (this.#client !== client) return;
        this.#client = undefined;
        void closeClient(client);
        const e = err as NodeJS.ErrnoException;
        this.#lastError = `cannot connect: ${e.code ?? e.message}`;
        if (this.#attempt === 0) this.#opts.log.warn({ reason: this.#lastError }, 'modbus connection down');
        this.#emit(false, this.#lastError);
        this.#scheduleReconnect();
      },
    );
  }

  #lost(client: Client, why: string): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    this.#up = false;
    this.#lastError = `connection lost: ${why}`;
    this.#opts.log.warn({ reason: why }, 'modbus connection down');
    this.#failAll(this.#lastError);
    this.#emit(false, this.#lastError);
    this.#scheduleReconnect();
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

  #pump(): void {
    const client = this.#client;
    while (this.#up && client && this.#inFlight.size < this.#maxInFlight && this.#queue.length > 0) {
      const p = this.#queue.shift()!;
      clearTimeout(p.queueTimer);
      this.#inFlight.add(p);
      // The library reads both when the call writes its frame, synchronously: per request.
      client.setID(p.unitId);
      client.setTimeout(Math.max(1, p.deadline - Date.now()));
      call(client, p.req).then(
        (result) => this.#answered(p, result),
        (err: unknown) => this.#failed(client, p, err),
      );
    }
  }

  #answered(p: Pending, result: ModbusResult): void {
    this.#inFlight.delete(p);
    // Any answer proves the link alive, and a reconnect that reached a live server succeeded.
    this.#silentTimeouts = 0;
    this.#attempt = 0;
    this.#settle(p, undefined, result);
    this.#pump();
  }

  #failed(client: Client, p: Pending, err: unknown): void {
    this.#inFlight.delete(p);
    const e = err as { name?: string; message?: string; modbusCode?: number };
    const what = describeRequest(p.req);
    if (e.name === 'TransactionTimedOutError') {
      this.#settle(p, timeoutError(p));
      if (++this.#silentTimeouts >= this.#opts.deadAfterTimeouts) {
        this.#silentTimeouts = 0;
        this.#opts.log.warn('no response to several requests in a row; replacing the connection');
        // destroy() also removes the library's close listener: the loss is reported here.
        destroy(client);
        this.#lost(client, `no response to ${this.#opts.deadAfterTimeouts} requests in a row`);
      }
    } else if (typeof e.modbusCode === 'number') {
      this.#silentTimeouts = 0;
      const code = e.modbusCode;
      this.#settle(
        p,
        new ModbusError('MODBUS_EXCEPTION', `${what}: exception ${code} (${exceptionName(code)})`, {
          exception: code,
        }),
      );
    } else if (e.name === 'PortNotOpenError') {
      this.#settle(p, new ModbusError('MODBUS_NOT_CONNECTED', `${what}: ${this.#lastError}`));
    } else {
      this.#silentTimeouts = 0;
      const message = e.message ?? String(err);
      this.#settle(p, new ModbusError('MODBUS_PROTOCOL', `${what}: ${message}`, { cause: err }));
    }
    this.#pump();
  }

  #settle(p: Pending, err: Error | undefined, result?: ModbusResult): void {
    if (p.settled) return;
    p.settled = true;
    clearTimeout(p.queueTimer);
    if (err) p.reject(err);
    else p.resolve(result);
  }

  #failAll(reason: string): void {
    const all = [...this.#inFlight, ...this.#queue.splice(0)];
    this.#inFlight.clear();
    for (const p of all)
      this.#settle(p, new ModbusError('MODBUS_NOT_CONNECTED', `${describeRequest(p.req)}: ${reason}`));
  }

  #emit(up: boolean, error?: string): void {
    for (const l of this.#listeners) {
      try {
        l(up, error);
      } catch (err) {
        this.#opts.log.error({ err }, 'modbus connection listener threw');
      }
    }
  }
}

function timeoutError(p: Pending): ModbusError {
  return new ModbusError('MODBUS_TIMEOUT', `${describeRequest(p.req)}: no response within ${p.timeoutMs} ms`);
}

/** The library's call for `req`, its answer in calle's shape; a write's echo must match. */
async function call(client: Client, req: ModbusRequest): Promise<ModbusResult> {
  const echo = (ok: boolean, got: string): undefined => {
    if (!ok) throw new ModbusError('MODBUS_PROTOCOL', `${describeRequest(req)}: the echo differs (${got})`);
    return undefined;
  };
  switch (req.fc) {
    case 0x01:
      return (await client.readCoils(req.address, req.quantity)).data.slice(0, req.quantity);
    case 0x02:
      return (await client.readDiscreteInputs(req.address, req.quantity)).data.slice(0, req.quantity);
    case 0x03:
      return (await client.readHoldingRegisters(req.address, req.quantity)).data;
    case 0x04:
      return (await client.readInputRegisters(req.address, req.quantity)).data;
    case 0x05: {
      const r = await client.writeCoil(req.address, req.value);
      return echo(r.address === req.address && r.state === req.value, `coil ${r.address} ${r.state}`);
    }
    case 0x06: {
      const r = await client.writeRegister(req.address, req.value);
      return echo(r.address === req.address && r.value === req.value, `register ${r.address} ${r.value}`);
    }
    case 0x0f:
    case 0x10: {
      const r =
        req.fc === 0x0f
          ? await client.writeCoils(req.address, [...req.values])
          : await client.writeRegisters(req.address, [...req.values]);
      return echo(
        r.address === req.address && r.length === req.values.length,
        `${r.length} from ${r.address}`,
      );
    }
  }
}

/** The typings make destroy's callback optional; the library calls it unconditionally. */
const destroy = (client: Client): void => client.destroy(() => undefined);

/**
 * The library's close() ends the socket gracefully and calls back on its close event, which never
 * comes for a socket already closed or never opened; destroy() does not wait. Both, bounded.
 */
async function closeClient(client: Client): Promise<void> {
  if (!client.isOpen) return destroy(client);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      destroy(client);
      resolve();
    }, 500);
    client.close(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
