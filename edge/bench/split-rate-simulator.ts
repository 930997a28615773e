// The simulated driver at two rates: detectors sampled at 10 Hz on their own timer (as a loop
// detector card streams pulses), everything else on the site's 1 s control tick. The site knows one
// driver named "simulated"; behind it two SimulatedDrivers share nothing but the listeners.
import type { Logger } from 'pino';
import type { PointValue } from '../devices/device-view.js';
import type { DeviceDriver, DriverDevice, DriverListener } from '../devices/driver.js';
import { SimulatedDriver } from '../devices/simulated-driver.js';

export class SplitRateSimulator implements DeviceDriver {
  readonly name = 'simulated';
  readonly #slow: SimulatedDriver;
  readonly #fast: SimulatedDriver;
  readonly #fastIds = new Set<string>();
  readonly #fastHz: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: { log: Logger; seed?: number; fastHz: number }) {
    this.#slow = new SimulatedDriver({ log: opts.log, seed: opts.seed ?? 1 });
    this.#fast = new SimulatedDriver({ log: opts.log, seed: (opts.seed ?? 1) + 1 });
    this.#fastHz = opts.fastHz;
  }

  async start(devices: readonly DriverDevice[]): Promise<void> {
    const fast = devices.filter((d) => d.definition.kind === 'detector');
    for (const d of fast) this.#fastIds.add(d.id);
    await Promise.all([
      this.#fast.start(fast),
      this.#slow.start(devices.filter((d) => !this.#fastIds.has(d.id))),
    ]);
    this.#timer ??= setInterval(() => this.#fast.sample(Date.now()), 1000 / this.#fastHz);
  }

  async read(deviceId: string): Promise<Readonly<Record<string, PointValue>>> {
    return this.#of(deviceId).read(deviceId);
  }

  async write(deviceId: string, point: string, value: PointValue): Promise<void> {
    return this.#of(deviceId).write(deviceId, point, value);
  }

  subscribe(listener: DriverListener): () => void {
    const offs = [this.#slow.subscribe(listener), this.#fast.subscribe(listener)];
    return () => offs.forEach((off) => off());
  }

  /** The control tick samples the slow devices; detectors run on their own timer. */
  sample(nowMs: number): void {
    this.#slow.sample(nowMs);
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await Promise.all([this.#slow.stop(), this.#fast.stop()]);
  }

  #of(deviceId: string): SimulatedDriver {
    return this.#fastIds.has(deviceId) ? this.#fast : this.#slow;
  }
}
