// In-process equipment for development, tests and the demo: luminaires whose power follows their
// level, signal heads that show what they are told, loop detectors with random arrivals and
// ultrasonic fill sensors over filling containers, with the real sensors' faults (no-echo
// readings and spikes, REFERENCE §4). Any device can be told to fail, for tests of degraded
// operation. Random but reproducible: every device has its own seeded generator.
import type { Logger } from 'pino';
import { pointValueProblem } from './definition.js';
import type { PointValue } from './device-view.js';
import type { DeviceDriver, DriverDevice, DriverListener, DriverUpdate, ParamValue } from './driver.js';
import { mulberry32 } from '../../common/random/seeded-random.js';

const DAY_MS = 86_400_000;
/** Fraction of fill-sensor readings that are "no echo" and isolated spikes (Frankfurt data, REFERENCE §4). */
const NO_ECHO_P = 0.118;
const SPIKE_P = 0.0135;
/** Seconds a passing vehicle occupies a loop (≈ 6 m car + 2 m loop at 50 km/h ≈ 0.6 s). */
const OCCUPY_S = 0.6;

interface SimDevice {
  readonly dev: DriverDevice;
  readonly rand: () => number;
  values: Record<string, PointValue>;
  failure?: string;
  /** Fill sensors: centimetres of waste in the container. */
  wasteCm: number;
}

/** Simulated devices take numeric params only (the config loader checks it). */
const num = (v: ParamValue | undefined): number | undefined => (typeof v === 'number' ? v : undefined);

const hash = (s: string): number =>
  [...s].reduce((h, ch) => Math.imul(h ^ ch.charCodeAt(0), 16777619), 2166136261);

/** Knuth's Poisson sampler; fine for the small means of one tick. */
function poisson(rand: () => number, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 30)
    return Math.max(0, Math.round(mean + Math.sqrt(mean) * (rand() + rand() + rand() - 1.5) * 2));
  const limit = Math.exp(-mean);
  let k = 0;
  for (let p = rand(); p > limit; p *= rand()) k++;
  return k;
}

export interface SimulatedDriverOptions {
  log: Logger;
  /** Seed shared by all devices (each mixes in its id). */
  seed?: number;
}

export class SimulatedDriver implements DeviceDriver {
  readonly name = 'simulated';
  readonly #log: Logger;
  readonly #seed: number;
  readonly #devices = new Map<string, SimDevice>();
  readonly #listeners = new Set<DriverListener>();
  #lastMs: number | undefined;

  constructor(opts: SimulatedDriverOptions) {
    this.#log = opts.log;
    this.#seed = opts.seed ?? 1;
  }

  // Simulated I/O completes at once; async only to honour the driver contract.
  // eslint-disable-next-line @typescript-eslint/require-await
  async start(devices: readonly DriverDevice[]): Promise<void> {
    for (const dev of devices) {
      if (this.#devices.has(dev.id)) continue;
      const rand = mulberry32(hash(dev.id) ^ (num(dev.params.seed) ?? this.#seed));
      const sim: SimDevice = { dev, rand, values: {}, wasteCm: 0 };
      switch (dev.definition.kind) {
        case 'luminaire':
          // DALI power-on level is 100 % by default (IEC 62386-102): a luminaire that loses its
          // controller comes back lit.
          sim.values = { level: 100 };
          this.#updatePower(sim);
          break;
        case 'signal-head':
          sim.values = { aspect: 'dark' };
          break;
        case 'detector':
          sim.values = { count: 0, occupancy: 0 };
          break;
        case 'fill-sensor': {
          const depth = num(dev.params.depthCm) ?? 150;
          sim.wasteCm = Math.round(rand() * depth * 0.3);
          sim.values = { distance: depth - sim.wasteCm };
          break;
        }
      }
      this.#devices.set(dev.id, sim);
    }
  }

  /** Makes a device unreachable (reads and writes fail) until recover(). For tests and demos. */
  fail(deviceId: string, error = 'simulated fault: no response'): void {
    this.#get(deviceId).failure = error;
  }

  recover(deviceId: string): void {
    delete this.#get(deviceId).failure;
  }

  // eslint-disable-next-line @typescript-eslint/require-await
  async read(deviceId: string): Promise<Readonly<Record<string, PointValue>>> {
    const sim = this.#reachable(deviceId);
    return { ...sim.values };
  }

  // eslint-disable-next-line @typescript-eslint/require-await
  async write(deviceId: string, point: string, value: PointValue): Promise<void> {
    const sim = this.#reachable(deviceId);
    const def = sim.dev.definition.points.find((p) => p.name === point);
    if (!def || def.access !== 'write') throw new Error(`point "${point}" is not writable`);
    const problem = pointValueProblem(def, value);
    if (problem !== undefined) throw new Error(problem);
    sim.values[point] = value;
    if (sim.dev.definition.kind === 'luminaire') this.#updatePower(sim);
    this.#emit({ deviceId, timeMs: this.#lastMs ?? Date.now(), values: { ...sim.values } });
  }

  subscribe(listener: DriverListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Advances every device to `nowMs` and pushes its values (or its failure). */
  sample(nowMs: number): void {
    const dtS = this.#lastMs === undefined ? 0 : Math.max(0, (nowMs - this.#lastMs) / 1000);
    this.#lastMs = nowMs;
    for (const sim of this.#devices.values()) {
      // One device's bug must not starve the others of their update.
      try {
        if (sim.failure !== undefined) {
          this.#emit({ deviceId: sim.dev.id, timeMs: nowMs, error: sim.failure });
          continue;
        }
        this.#step(sim, dtS);
        this.#emit({ deviceId: sim.dev.id, timeMs: nowMs, values: { ...sim.values } });
      } catch (err) {
        this.#log.error({ err, deviceId: sim.dev.id }, 'simulated device step failed');
        this.#emit({ deviceId: sim.dev.id, timeMs: nowMs, error: `simulation error: ${String(err)}` });
      }
    }
  }

  // eslint-disable-next-line @typescript-eslint/require-await
  async stop(): Promise<void> {
    this.#listeners.clear();
  }

  #reachable(deviceId: string): SimDevice {
    const sim = this.#get(deviceId);
    if (sim.failure !== undefined) throw new Error(sim.failure);
    return sim;
  }

  #get(deviceId: string): SimDevice {
    const sim = this.#devices.get(deviceId);
    if (!sim) throw new Error(`unknown simulated device "${deviceId}"`);
    return sim;
  }

  #step(sim: SimDevice, dtS: number): void {
    const { params } = sim.dev;
    switch (sim.dev.definition.kind) {
      case 'luminaire':
      case 'signal-head':
        return;
      case 'detector': {
        if (dtS === 0) return;
        const arrivals = poisson(sim.rand, ((num(params.ratePerHour) ?? 300) * dtS) / 3600);
        sim.values.count = ((sim.values.count as number) + arrivals) % 2 ** 32;
        sim.values.occupancy = Math.min(100, Math.round(((arrivals * OCCUPY_S) / dtS) * 1000) / 10);
        return;
      }
      case 'fill-sensor': {
        const depth = num(params.depthCm) ?? 150;
        const perDay = num(params.fillCmPerDay) ?? 3.5;
        // Glass fills in bursts (REFERENCE §4): about 6 deposits a day, each of random size.
        const bursts = poisson(sim.rand, (6 * dtS * 1000) / DAY_MS);
        for (let i = 0; i < bursts; i++) sim.wasteCm += (-Math.log(1 - sim.rand()) * perDay) / 6;
        // Collected about when full: twice a day on average once above 90 %.
        if (sim.wasteCm >= depth * 0.9 && sim.rand() < (2 * dtS * 1000) / DAY_MS) sim.wasteCm = 0;
        sim.wasteCm = Math.min(sim.wasteCm, depth);
        const noEcho = sim.dev.definition.limits.noEchoCm ?? 254;
        const r = sim.rand();
        sim.values.distance =
          r < NO_ECHO_P
            ? noEcho
            : r < NO_ECHO_P + SPIKE_P
              ? Math.round(sim.rand() * depth)
              : Math.max(0, Math.round(depth - sim.wasteCm));
        return;
      }
    }
  }

  #updatePower(sim: SimDevice): void {
    const rated = num(sim.dev.params.ratedW) ?? sim.dev.definition.limits.ratedW ?? 60;
    const standby = sim.dev.definition.limits.standbyW ?? 0.5;
    const level = sim.values.level as number;
    // LED drivers are close to linear in power over the dimming range; the standby draw stays.
    sim.values.power = Math.round((standby + (level / 100) * rated) * 10) / 10;
  }

  #emit(update: DriverUpdate): void {
    for (const listener of this.#listeners) {
      try {
        listener(update);
      } catch (err) {
        this.#log.error({ err, deviceId: update.deviceId }, 'driver listener threw');
      }
    }
  }
}
