// The modbus-tcp driver: devices whose definitions carry a RegisterMap, on Modbus TCP servers
// (I/O modules, lighting controllers, TCP/RTU gateways). One connection per host:port, shared by
// its devices; each device polled on its own period with its reads pipelined; a device that
// times out or answers with an exception is reported unavailable with the reason and the others
// carry on; a lost connection marks its devices unavailable at once and reconnects with backoff.
import type { Logger } from 'pino';
import { pointValueProblem } from '../../definition.js';
import type { PointValue } from '../../device-view.js';
import type { DeviceDriver, DriverDevice, DriverListener, DriverUpdate } from '../../driver.js';
import { parseOrThrow } from '../param-reader.js';
import { ModbusConnection } from './modbus-connection.js';
import { ModbusError } from './modbus-errors.js';
import { parseModbusParams, type ModbusTcpParams } from './modbus-params.js';
import type { ModbusRequest } from './modbus-request.js';
import type { ModbusTransport, ModbusTransportFactory, ModbusTransportOptions } from './modbus-transport.js';
import {
  decodePoint,
  encodePoint,
  placeBindings,
  planReads,
  type PlacedBinding,
  type ReadBlock,
} from './register-codec.js';

export interface ModbusTcpDriverOptions {
  log: Logger;
  /** Connection tuning shared by every endpoint (tests shorten the backoff). */
  connection?: Pick<ModbusTransportOptions, 'backoffMs' | 'connectTimeoutMs' | 'deadAfterTimeouts'>;
  /** The Modbus TCP client; default calle's ModbusConnection. */
  transport?: ModbusTransportFactory;
}

const ownTransport: ModbusTransportFactory = (opts) => new ModbusConnection(opts);

interface Endpoint {
  readonly conn: ModbusTransport;
  readonly devices: ModbusDevice[];
  timer?: NodeJS.Timeout;
  /** The connection has said up or down once: until then a device is not yet unavailable. */
  heard: boolean;
}

interface ModbusDevice {
  readonly id: string;
  readonly dev: DriverDevice;
  readonly params: ModbusTcpParams;
  readonly bindings: Map<string, PlacedBinding>;
  readonly blocks: readonly ReadBlock[];
  readonly endpoint: Endpoint;
  readonly log: Logger;
  values: Record<string, PointValue>;
  /** undefined until the first poll answers or fails. */
  available?: boolean;
  lastError?: string;
  lastPollMs: number;
  /** Counts completed writes: a poll that overlapped one may carry the value from before it. */
  writes: number;
  polling?: Promise<Record<string, PointValue>>;
}

const FC_READ = { coil: 0x01, discrete: 0x02, holding: 0x03, input: 0x04 } as const;

export class ModbusTcpDriver implements DeviceDriver {
  readonly name = 'modbus-tcp';
  readonly #log: Logger;
  readonly #connOpts: ModbusTcpDriverOptions['connection'];
  readonly #transport: ModbusTransportFactory;
  readonly #endpoints = new Map<string, Endpoint>();
  readonly #devices = new Map<string, ModbusDevice>();
  readonly #listeners = new Set<DriverListener>();
  /** Devices whose params did not parse: reported unavailable, never polled. */
  readonly #broken = new Map<string, string>();
  /** Updates stop at stop(): a poll rejected by the closing socket is not news. */
  #running = false;

  constructor(opts: ModbusTcpDriverOptions) {
    this.#log = opts.log;
    this.#connOpts = opts.connection;
    this.#transport = opts.transport ?? ownTransport;
  }

  // Connections open in the background; start() never waits on the network.
  // eslint-disable-next-line @typescript-eslint/require-await
  async start(devices: readonly DriverDevice[]): Promise<void> {
    this.#running = true;
    for (const dev of devices) {
      if (this.#devices.has(dev.id) || this.#broken.has(dev.id)) continue;
      try {
        this.#add(dev);
      } catch (err) {
        // One device with a bad map or params must not keep the others from starting.
        const reason = `not served: ${err instanceof Error ? err.message : String(err)}`;
        this.#log.error({ deviceId: dev.id, err }, 'modbus device not served');
        this.#broken.set(dev.id, reason);
        this.#emit({ deviceId: dev.id, timeMs: Date.now(), error: reason });
      }
    }
    for (const ep of this.#endpoints.values()) this.#startEndpoint(ep);
  }

  async read(deviceId: string): Promise<Readonly<Record<string, PointValue>>> {
    return { ...(await this.#poll(this.#get(deviceId))) };
  }

  async write(deviceId: string, point: string, value: PointValue): Promise<void> {
    const d = this.#get(deviceId);
    const def = d.dev.definition.points.find((p) => p.name === point);
    if (!def || def.access !== 'write') throw new Error(`point "${point}" is not writable`);
    const problem = pointValueProblem(def, value);
    if (problem !== undefined) throw new Error(problem);
    const pb = d.bindings.get(point);
    if (!pb) throw new Error(`point "${point}" has no register`);
    const raw = encodePoint(pb, value);
    const req: ModbusRequest =
      pb.binding.table === 'coil'
        ? raw.length === 1
          ? { fc: 0x05, address: pb.address, value: raw[0] as boolean }
          : { fc: 0x0f, address: pb.address, values: raw as boolean[] }
        : raw.length === 1
          ? { fc: 0x06, address: pb.address, value: raw[0] as number }
          : { fc: 0x10, address: pb.address, values: raw as number[] };
    await d.endpoint.conn.request(d.params.unitId, req, d.params.timeoutMs);
    d.writes++;
    d.values = { ...d.values, [point]: value };
    if (d.available) this.#emit({ deviceId, timeMs: Date.now(), values: { ...d.values } });
  }

  subscribe(listener: DriverListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async stop(): Promise<void> {
    this.#running = false;
    const endpoints = [...this.#endpoints.values()];
    this.#endpoints.clear();
    this.#devices.clear();
    this.#broken.clear();
    for (const ep of endpoints) if (ep.timer) clearInterval(ep.timer);
    await Promise.all(endpoints.map(async (ep) => ep.conn.close()));
    // Polls in progress have been rejected by close(); let them settle before returning.
    await Promise.allSettled(endpoints.flatMap((ep) => ep.devices.map(async (d) => d.polling)));
  }

  #add(dev: DriverDevice): void {
    const params = parseOrThrow(dev.params, dev.id, parseModbusParams);
    if (!params) throw new Error('params did not parse');
    const map = dev.definition.modbus;
    if (!map) throw new Error(`type "${dev.definition.name}" has no Modbus register map`);
    const readable = dev.definition.points.filter((p) => !p.derived);
    const bindings = placeBindings(map, readable, params.channel);
    const key = `${params.host}:${params.port}`;
    let endpoint = this.#endpoints.get(key);
    if (!endpoint) {
      const conn = this.#transport({
        ...this.#connOpts,
        host: params.host,
        port: params.port,
        maxInFlight: params.maxInFlight,
        log: this.#log.child({ endpoint: key }),
      });
      endpoint = { conn, devices: [], heard: false };
      const ep = endpoint;
      conn.onState((up, error) => {
        ep.heard = true;
        // A lost link is every device's news at once, not at each device's next poll.
        if (!up) for (const d of ep.devices) this.#fail(d, error ?? 'connection down');
        else for (const d of ep.devices) d.lastPollMs = 0;
      });
      this.#endpoints.set(key, endpoint);
    }
    endpoint.conn.limitInFlight(params.maxInFlight);
    const d: ModbusDevice = {
      id: dev.id,
      dev,
      params,
      bindings,
      blocks: planReads(bindings.values()),
      endpoint,
      log: this.#log.child({ deviceId: dev.id }),
      values: {},
      lastPollMs: 0,
      writes: 0,
    };
    endpoint.devices.push(d);
    this.#devices.set(dev.id, d);
  }

  #startEndpoint(ep: Endpoint): void {
    ep.conn.open();
    if (ep.timer) clearInterval(ep.timer);
    // One timer per endpoint at its fastest device's period; each device is polled when due.
    const period = Math.min(...ep.devices.map((d) => d.params.pollMs));
    ep.timer = setInterval(() => this.#pollDue(ep), Math.max(20, Math.floor(period / 2)));
  }

  #pollDue(ep: Endpoint): void {
    const now = Date.now();
    for (const d of ep.devices) {
      if (d.polling || now - d.lastPollMs < d.params.pollMs) continue;
      if (!ep.conn.up) {
        // The first attempt has not ended (the client library loading, a slow connect, bounded by
        // connectTimeoutMs): "not connected yet" is no reason to alarm a device.
        if (!ep.heard) continue;
        // Nothing to ask; restate the connection's reason (the site ignores repeats).
        d.lastPollMs = now;
        this.#fail(d, ep.conn.lastError);
        continue;
      }
      // Errors are reported as updates inside #poll; the rejection here is already handled.
      this.#poll(d).catch(() => undefined);
    }
  }

  /** Reads every block of one device; shares an in-progress poll rather than doubling it. */
  async #poll(d: ModbusDevice): Promise<Record<string, PointValue>> {
    if (this.#broken.has(d.id)) throw new Error(this.#broken.get(d.id));
    if (d.polling) return d.polling;
    d.lastPollMs = Date.now();
    const writesBefore = d.writes;
    const run = async (): Promise<Record<string, PointValue>> => {
      try {
        const raws = await Promise.all(
          d.blocks.map(async (b) =>
            d.endpoint.conn.request(
              d.params.unitId,
              { fc: FC_READ[b.table], address: b.address, quantity: b.quantity },
              d.params.timeoutMs,
            ),
          ),
        );
        const values: Record<string, PointValue> = {};
        d.blocks.forEach((b, i) => {
          for (const m of b.members)
            values[m.point.name] = decodePoint(m, b, raws[i] as (boolean | number)[]);
        });
        if (!d.available) d.log.info('modbus device answering');
        d.available = true;
        delete d.lastError;
        // A write landed while this poll was on the wire: its answer may predate the write, and
        // reporting it would flip the point back for one period. The next poll is clean.
        if (d.writes !== writesBefore) return { ...d.values };
        d.values = values;
        this.#emit({ deviceId: d.id, timeMs: Date.now(), values: { ...values } });
        return values;
      } catch (err) {
        // A request failed by a cut link states the link's reason, the same words the link's own
        // news gave every device, not the request that happened to be on the wire.
        const reason =
          err instanceof ModbusError && err.code === 'MODBUS_NOT_CONNECTED'
            ? d.endpoint.conn.lastError
            : err instanceof Error
              ? err.message
              : String(err);
        this.#fail(d, reason);
        throw err;
      } finally {
        d.polling = undefined;
      }
    };
    d.polling = run();
    return d.polling;
  }

  /** Marks the device unavailable; the reason is prefixed with where it lives ("10.0.0.5:502 unit 3: …"). */
  #fail(d: ModbusDevice, why: string): void {
    const reason = `${d.endpoint.conn.endpoint} unit ${d.params.unitId}: ${why}`;
    if (d.available !== false || d.lastError !== reason) d.log.warn({ reason }, 'modbus device unavailable');
    d.available = false;
    d.lastError = reason;
    this.#emit({ deviceId: d.id, timeMs: Date.now(), error: reason });
  }

  #get(deviceId: string): ModbusDevice {
    const d = this.#devices.get(deviceId);
    if (!d) throw new Error(this.#broken.get(deviceId) ?? `unknown modbus device "${deviceId}"`);
    return d;
  }

  #emit(update: DriverUpdate): void {
    if (!this.#running) return;
    for (const listener of this.#listeners) {
      try {
        listener(update);
      } catch (err) {
        this.#log.error({ err, deviceId: update.deviceId }, 'driver listener threw');
      }
    }
  }
}
