// The mqtt driver: LoRaWAN sensors through a network server's MQTT integration (ChirpStack v4
// uplink events). One broker connection per URL, one subscription per device; payloads are
// decoded with the PayloadLayout in the device's definition. A malformed uplink is logged and
// counted, never fatal. Availability comes from the uplink age: a sensor that reports hourly and
// has been silent for missedUplinks × interval is unavailable, whatever the broker says.
import type { Logger } from 'pino';
import { pointValueProblem } from '../../definition.js';
import type { PointValue } from '../../device-view.js';
import type { DeviceDriver, DriverDevice, DriverListener, DriverUpdate } from '../../driver.js';
import { decodePayload } from '../../payload-layout.js';
import { parseOrThrow } from '../param-reader.js';
import { BrokerLink, type BrokerLinkOptions } from './broker-link.js';
import { parseUplink } from './chirpstack-uplink.js';
import { parseMqttParams, type MqttParams } from './mqtt-params.js';

export interface MqttDriverOptions {
  log: Logger;
  /** Reconnect backoff for every broker (tests shorten it). */
  backoffMs?: BrokerLinkOptions['backoffMs'];
}

/** Counters per device, for the console and for tests. */
export interface UplinkStats {
  /** Uplinks decoded and delivered. */
  uplinks: number;
  /** Uplinks that did not parse or decode (logged). */
  malformed: number;
  /** Uplinks on another FPort (status frames and the like). */
  otherPort: number;
  lastUplinkMs?: number;
  lastRssi?: number;
}

interface MqttDevice {
  readonly dev: DriverDevice;
  readonly params: MqttParams;
  readonly link: BrokerLink;
  readonly log: Logger;
  readonly stats: UplinkStats;
  readonly startMs: number;
  values?: Record<string, PointValue>;
  valuesTimeMs?: number;
  available: boolean;
  lastError: string;
  /** Reported unavailable for silence already (reported once, not at every check). */
  silent: boolean;
}

export class MqttDriver implements DeviceDriver {
  readonly name = 'mqtt';
  readonly #log: Logger;
  readonly #backoff: MqttDriverOptions['backoffMs'];
  readonly #links = new Map<string, BrokerLink>();
  readonly #devices = new Map<string, MqttDevice>();
  readonly #byTopic = new Map<string, MqttDevice>();
  readonly #broken = new Map<string, string>();
  readonly #listeners = new Set<DriverListener>();
  #timer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(opts: MqttDriverOptions) {
    this.#log = opts.log;
    this.#backoff = opts.backoffMs;
  }

  // Brokers connect in the background; start() never waits on the network.
  // eslint-disable-next-line @typescript-eslint/require-await
  async start(devices: readonly DriverDevice[]): Promise<void> {
    this.#running = true;
    for (const dev of devices) {
      if (this.#devices.has(dev.id) || this.#broken.has(dev.id)) continue;
      try {
        this.#add(dev);
      } catch (err) {
        const reason = `not served: ${err instanceof Error ? err.message : String(err)}`;
        this.#log.error({ deviceId: dev.id, err }, 'mqtt device not served');
        this.#broken.set(dev.id, reason);
        this.#emit({ deviceId: dev.id, timeMs: Date.now(), error: reason });
      }
    }
    for (const link of this.#links.values()) link.open();
    if (!this.#timer && this.#devices.size > 0) {
      // Check ages at a quarter of the shortest interval: late by at most a quarter interval.
      const shortest = Math.min(...[...this.#devices.values()].map((d) => d.params.intervalS * 1000));
      this.#timer = setInterval(
        () => this.#checkAges(Date.now()),
        Math.min(10_000, Math.max(25, shortest / 4)),
      );
    }
  }

  // eslint-disable-next-line @typescript-eslint/require-await
  async read(deviceId: string): Promise<Readonly<Record<string, PointValue>>> {
    const d = this.#get(deviceId);
    if (!d.available || !d.values) throw new Error(d.lastError);
    return { ...d.values };
  }

  // eslint-disable-next-line @typescript-eslint/require-await
  async write(deviceId: string, point: string): Promise<void> {
    this.#get(deviceId);
    throw new Error(`point "${point}" is not writable: the mqtt driver sends no downlinks`);
  }

  subscribe(listener: DriverListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    const links = [...this.#links.values()];
    this.#links.clear();
    this.#devices.clear();
    this.#byTopic.clear();
    this.#broken.clear();
    await Promise.all(links.map(async (l) => l.close()));
  }

  /** Uplink counters of one device. */
  stats(deviceId: string): Readonly<UplinkStats> {
    return { ...this.#get(deviceId).stats };
  }

  #add(dev: DriverDevice): void {
    const params = parseOrThrow(dev.params, dev.id, parseMqttParams);
    if (!params) throw new Error('params did not parse');
    if (!dev.definition.uplink) throw new Error(`type "${dev.definition.name}" has no uplink payload layout`);
    const taken = this.#byTopic.get(params.topic);
    if (taken) throw new Error(`topic ${params.topic} is already device ${taken.dev.id}'s`);
    let link = this.#links.get(params.broker);
    if (!link) {
      const url = params.broker;
      link = new BrokerLink({
        url,
        log: this.#log.child({ broker: url }),
        ...(this.#backoff ? { backoffMs: this.#backoff } : {}),
        onMessage: (topic, payload) => this.#onMessage(topic, payload),
        onState: (up, error) => this.#onLinkState(url, up, error),
      });
      this.#links.set(url, link);
    }
    link.subscribe(params.topic);
    const d: MqttDevice = {
      dev,
      params,
      link,
      log: this.#log.child({ deviceId: dev.id }),
      stats: { uplinks: 0, malformed: 0, otherPort: 0 },
      startMs: Date.now(),
      available: false,
      lastError: `no uplink yet (expected every ${params.intervalS} s)`,
      silent: false,
    };
    this.#devices.set(dev.id, d);
    this.#byTopic.set(params.topic, d);
  }

  #onMessage(topic: string, payload: Buffer): void {
    const d = this.#byTopic.get(topic);
    if (!d) return;
    try {
      const parsed = parseUplink(payload);
      if ('error' in parsed) return this.#malformed(d, parsed.error);
      const up = parsed.uplink;
      if (up.devEui !== d.params.devEui)
        return this.#malformed(
          d,
          `deviceInfo.devEui ${up.devEui} differs from the device's ${d.params.devEui}`,
        );
      const layout = d.dev.definition.uplink!;
      if (up.fPort !== layout.fPort) {
        d.stats.otherPort++;
        d.log.debug({ fPort: up.fPort }, 'uplink on another port ignored');
        return;
      }
      const decoded = decodePayload(layout, up.data);
      if ('error' in decoded) return this.#malformed(d, decoded.error);
      for (const [name, v] of Object.entries(decoded.values)) {
        const point = d.dev.definition.points.find((p) => p.name === name)!;
        const problem = pointValueProblem(point, v);
        if (problem !== undefined) return this.#malformed(d, problem);
      }
      const now = Date.now();
      d.stats.uplinks++;
      d.stats.lastUplinkMs = now;
      if (up.rssi !== undefined) d.stats.lastRssi = up.rssi;
      d.values = decoded.values;
      // The network server's receive time when it has one: the reading's time, not the broker's.
      d.valuesTimeMs = up.timeMs ?? now;
      if (!d.available) d.log.info('uplinks arriving');
      d.available = true;
      d.silent = false;
      this.#emit({ deviceId: d.dev.id, timeMs: d.valuesTimeMs, values: { ...d.values } });
    } catch (err) {
      this.#malformed(d, `decoder error: ${String(err)}`);
    }
  }

  #malformed(d: MqttDevice, reason: string): void {
    d.stats.malformed++;
    // A sensor with a broken codec sends the same bad frame every interval: log the first few,
    // then every hundredth, with the count.
    if (d.stats.malformed <= 3 || d.stats.malformed % 100 === 0)
      d.log.warn({ reason, malformed: d.stats.malformed }, 'malformed uplink dropped');
  }

  #onLinkState(url: string, up: boolean, error?: string): void {
    const now = Date.now();
    for (const d of this.#devices.values()) {
      if (d.params.broker !== url) continue;
      d.silent = false;
      if (!up) {
        this.#fail(d, error ?? `broker ${url} down`);
      } else if (d.values && d.stats.lastUplinkMs !== undefined && !this.#tooOld(d, now)) {
        // The last reading is still within its validity: the device is as good as before the cut.
        d.available = true;
        this.#emit({ deviceId: d.dev.id, timeMs: d.valuesTimeMs ?? now, values: { ...d.values } });
      }
    }
  }

  #tooOld(d: MqttDevice, now: number): boolean {
    return now - (d.stats.lastUplinkMs ?? d.startMs) > d.params.missedUplinks * d.params.intervalS * 1000;
  }

  #checkAges(now: number): void {
    for (const d of this.#devices.values()) {
      if (d.silent || !d.link.up || !this.#tooOld(d, now)) continue;
      d.silent = true;
      const ageS = Math.round((now - (d.stats.lastUplinkMs ?? d.startMs)) / 100) / 10;
      const since = d.stats.lastUplinkMs === undefined ? 'since start' : 'for';
      d.log.warn({ ageS }, 'sensor silent');
      this.#fail(d, `no uplink ${since} ${ageS} s (expected every ${d.params.intervalS} s)`);
    }
  }

  #fail(d: MqttDevice, reason: string): void {
    d.available = false;
    d.lastError = reason;
    this.#emit({ deviceId: d.dev.id, timeMs: Date.now(), error: reason });
  }

  #get(deviceId: string): MqttDevice {
    const d = this.#devices.get(deviceId);
    if (!d) throw new Error(this.#broken.get(deviceId) ?? `unknown mqtt device "${deviceId}"`);
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
