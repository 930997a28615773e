// Devices for a lighting replay (lighting-replay.ts): luminaires that keep the level the site
// writes and report the power a metered LED draws at it (standby + level × rated, as the built-in
// simulator), and detectors whose counters advance by what the replay feeds them — or report
// "no reading" for a minute the counts file has no row for, which the lighting loop must treat
// as unknown traffic. No I/O and no randomness: the same inputs give the same street.
//
// One driver object per driver name the site uses (simulated, modbus-tcp, mqtt …), all sharing
// one street, so a site file from a real cabinet replays unchanged.
import type { PointValue } from '../devices/device-view.js';
import type { DeviceDriver, DriverDevice, DriverListener } from '../devices/driver.js';

/** The replayed street: every device's state, shared by the drivers. */
export class ReplayStreet {
  readonly levels = new Map<string, number>();
  readonly counts = new Map<string, number>();
  /** Detectors with no reading this minute. */
  readonly silent = new Set<string>();
  readonly rated = new Map<string, { ratedW: number; standbyW: number }>();
  /** Readable points per device: a value the definition does not have is not reported. */
  readonly points = new Map<string, ReadonlySet<string>>();
  readonly listeners = new Set<DriverListener>();
  readonly dirty = new Set<string>();

  arrive(detector: string, n: number): void {
    if (n <= 0 || !this.counts.has(detector)) return;
    this.counts.set(detector, this.counts.get(detector)! + n);
    this.dirty.add(detector);
  }

  /** Marks a detector as reading (false) or not (true) from now on. */
  setSilent(detector: string, silent: boolean): void {
    if (silent === this.silent.has(detector)) return;
    if (silent) this.silent.add(detector);
    else this.silent.delete(detector);
    this.dirty.add(detector);
  }

  values(id: string): Record<string, PointValue> {
    const level = this.levels.get(id);
    const all: Record<string, PointValue> =
      level === undefined
        ? { count: this.counts.get(id) ?? 0, occupancy: 0 }
        : { level, power: this.#power(id, level) };
    const known = this.points.get(id);
    return Object.fromEntries(Object.entries(all).filter(([k]) => known?.has(k) ?? true));
  }

  #power(id: string, level: number): number {
    const r = this.rated.get(id)!;
    return Math.round((r.standbyW + (level / 100) * r.ratedW) * 10) / 10;
  }

  sample(nowMs: number): void {
    for (const id of this.dirty) {
      const update = this.silent.has(id)
        ? { deviceId: id, timeMs: nowMs, error: 'no count in the replayed counts for this minute' }
        : { deviceId: id, timeMs: nowMs, values: this.values(id) };
      for (const l of this.listeners) l(update);
    }
    this.dirty.clear();
  }
}

export class ReplayDriver implements DeviceDriver {
  constructor(
    readonly name: string,
    readonly street: ReplayStreet,
  ) {}

  // eslint-disable-next-line @typescript-eslint/require-await
  async start(devices: readonly DriverDevice[]): Promise<void> {
    const s = this.street;
    for (const d of devices) {
      if (d.definition.kind === 'luminaire') {
        s.levels.set(d.id, 100);
        const rated = d.params.ratedW;
        s.rated.set(d.id, {
          ratedW: typeof rated === 'number' ? rated : (d.definition.limits.ratedW ?? 60),
          standbyW: d.definition.limits.standbyW ?? 0.5,
        });
      } else if (d.definition.kind === 'detector') s.counts.set(d.id, 0);
      // Other devices (signal heads, fill sensors) are not part of a lighting replay: never seen.
      else continue;
      s.points.set(d.id, new Set(d.definition.points.map((p) => p.name)));
      s.dirty.add(d.id);
    }
  }

  // eslint-disable-next-line @typescript-eslint/require-await
  async read(id: string): Promise<Readonly<Record<string, PointValue>>> {
    return this.street.values(id);
  }

  // eslint-disable-next-line @typescript-eslint/require-await
  async write(id: string, point: string, value: PointValue): Promise<void> {
    if (point !== 'level' || typeof value !== 'number' || !this.street.levels.has(id))
      throw new Error(`${id}.${point}: not a luminaire level`);
    this.street.levels.set(id, value);
    this.street.dirty.add(id);
  }

  subscribe(listener: DriverListener): () => void {
    this.street.listeners.add(listener);
    return () => this.street.listeners.delete(listener);
  }

  /** The street is sampled once per tick by whichever driver the site asks first. */
  sample(nowMs: number): void {
    this.street.sample(nowMs);
  }

  async stop(): Promise<void> {}
}
