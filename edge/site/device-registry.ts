// Every device of the site and the drivers that reach them: what each last reported, whether it
// answers, what it was last commanded, and the read-only views the console and sync see. A
// device that fails is marked unavailable with one DEVICE_UNAVAILABLE event (and one clear when
// it answers again); a bad reading is dropped with a warning naming the point; a listener that
// throws is logged. None of it stops the rest of the street.
import type { Logger } from 'pino';
import type { EdgeConfig } from '../config/edge-config.js';
import { resolveDeviceTypes } from '../devices/catalogue.js';
import { pointValueProblem, type DeviceDefinition } from '../devices/definition.js';
import type { DeviceView, PointValue } from '../devices/device-view.js';
import type { DeviceDriver, DeviceParams, DriverUpdate } from '../devices/driver.js';
import { englishOf, part, type Reason } from '../../common/reasons/reason.js';
import { SITE_EVENTS, type RaiseEvent } from './site-alarms.js';

export interface DeviceRecord {
  readonly id: string;
  readonly def: DeviceDefinition;
  readonly driver: DeviceDriver;
  readonly params: DeviceParams;
  readonly group?: string;
  readonly log: Logger;
  available: boolean;
  lastError?: Reason;
  /** True once DEVICE_UNAVAILABLE was raised, so the clear is raised exactly once. */
  alarmed: boolean;
  state: Record<string, PointValue>;
  reason?: Reason;
  updatedMs: number;
  /** Last value written per point; cleared when the device drops, so it is re-asserted. */
  commanded: Record<string, PointValue>;
}

export interface DeviceRegistryOptions {
  readonly config: EdgeConfig;
  /** Drivers by name (built-in ones, replaced by the caller's of the same name). */
  readonly drivers: ReadonlyMap<string, DeviceDriver>;
  readonly log: Logger;
  readonly now: () => number;
  readonly raise: RaiseEvent;
  /** Side effects of fresh, valid values (presence, fill); called before the state is merged. */
  readonly onValues: (rec: DeviceRecord, values: Record<string, PointValue>, timeMs: number) => void;
}

export class DeviceRegistry {
  readonly #o: DeviceRegistryOptions;
  readonly #devices = new Map<string, DeviceRecord>();
  readonly #listeners = new Set<(changed: readonly DeviceView[]) => void>();
  readonly #changed = new Set<string>();
  readonly #unsubscribe: (() => void)[] = [];

  constructor(opts: DeviceRegistryOptions) {
    this.#o = opts;
    const cfg = opts.config;
    // The loader already checked the types; this only rebuilds them.
    const { types } = resolveDeviceTypes(cfg.deviceTypes, 'deviceTypes');
    const groupOf = groupsOf(cfg);
    const startMs = opts.now();
    for (const d of cfg.devices) {
      const def = types.get(d.type);
      const driver = opts.drivers.get(d.driver);
      if (!def || !driver) throw new Error(`device ${d.id}: type or driver missing (config not checked?)`);
      const group = groupOf.get(d.id);
      this.#devices.set(d.id, {
        id: d.id,
        def,
        driver,
        params: d.params,
        ...(group !== undefined ? { group } : {}),
        log: opts.log.child({ deviceId: d.id }),
        available: false,
        lastError: [part('device.noReading')],
        alarmed: false,
        state: {},
        updatedMs: startMs,
        commanded: {},
      });
    }
  }

  get size(): number {
    return this.#devices.size;
  }

  /** The record of a configured device; throws for an unknown id (a wiring bug, not input). */
  get(id: string): DeviceRecord {
    const rec = this.#devices.get(id);
    if (!rec) throw new Error(`device ${id}: not in the site configuration`);
    return rec;
  }

  find(id: string): DeviceRecord | undefined {
    return this.#devices.get(id);
  }

  records(): IterableIterator<DeviceRecord> {
    return this.#devices.values();
  }

  /** Subscribes to and starts every driver in use; a failed start marks its devices unavailable. */
  async start(): Promise<void> {
    const byDriver = new Map<DeviceDriver, DeviceRecord[]>();
    for (const rec of this.#devices.values())
      byDriver.set(rec.driver, [...(byDriver.get(rec.driver) ?? []), rec]);
    const starts: Promise<void>[] = [];
    for (const [driver, recs] of byDriver) {
      this.#unsubscribe.push(driver.subscribe((u) => this.#onUpdate(u)));
      starts.push(
        driver
          .start(recs.map((r) => ({ id: r.id, definition: r.def, params: r.params })))
          .catch((err: unknown) => {
            this.#o.log.error({ err, driver: driver.name }, 'driver failed to start');
            for (const r of recs)
              this.markUnavailable(
                r,
                [part('device.driverStart', { driver: driver.name, detail: String(err) })],
                this.#o.now(),
              );
          }),
      );
    }
    await Promise.all(starts);
  }

  /** Unsubscribes; stopping drivers is the caller's (it owns every driver, used or not). */
  unsubscribe(): void {
    for (const off of this.#unsubscribe.splice(0)) off();
  }

  views(): DeviceView[] {
    return [...this.#devices.values()].map(toView);
  }

  onChange(listener: (changed: readonly DeviceView[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Marks a device's view as changed (its state was set outside an update). */
  touched(rec: DeviceRecord): void {
    this.#changed.add(rec.id);
  }

  /**
   * Sets the reason a device's commanded state has, and writes `value` to `point` unless it was
   * already written. A failed write marks the device unavailable and is re-asserted when it is back.
   */
  command(rec: DeviceRecord, point: string, value: PointValue, reason: Reason, now: number): void {
    if (!sameReason(rec.reason, reason)) {
      rec.reason = reason;
      rec.updatedMs = now;
      this.#changed.add(rec.id);
    }
    if (!rec.available || rec.commanded[point] === value) return;
    rec.commanded[point] = value;
    rec.driver.write(rec.id, point, value).catch((err: unknown) => {
      delete rec.commanded[point];
      rec.log.warn({ err, point, value }, 'write failed');
      const detail = err instanceof Error ? err.message : String(err);
      this.markUnavailable(
        rec,
        [part('device.writeFailed', { point, value: String(value), detail })],
        this.#o.now(),
      );
    });
  }

  markUnavailable(rec: DeviceRecord, error: Reason, timeMs: number): void {
    const wasAvailable = rec.available;
    if (!wasAvailable && sameReason(rec.lastError, error) && rec.alarmed) return;
    rec.available = false;
    rec.lastError = error;
    rec.commanded = {};
    rec.updatedMs = timeMs;
    this.#changed.add(rec.id);
    if (!rec.alarmed) {
      rec.alarmed = true;
      rec.log.warn({ error: englishOf(error) }, 'device unavailable');
      this.#o.raise({
        deviceId: rec.id,
        code: SITE_EVENTS.deviceUnavailable,
        severity: rec.def.kind === 'signal-head' ? 'critical' : 'warning',
        message: `${rec.id} unavailable: ${englishOf(error)}`,
        timeMs,
        active: true,
      });
    }
  }

  /** Sends the views changed since the last call to every listener; a throwing one is logged. */
  notify(): void {
    if (this.#changed.size === 0) return;
    const changed = [...this.#changed].map((id) => toView(this.#devices.get(id)!));
    this.#changed.clear();
    for (const listener of this.#listeners) {
      try {
        listener(changed);
      } catch (err) {
        this.#o.log.error({ err }, 'change listener threw');
      }
    }
  }

  #onUpdate(u: DriverUpdate): void {
    const rec = this.#devices.get(u.deviceId);
    if (!rec) return;
    try {
      // The driver's own words, kept as they are: coded as "what the driver said".
      if ('error' in u)
        return this.markUnavailable(rec, [part('device.error', { detail: u.error })], u.timeMs);
      const values: Record<string, PointValue> = {};
      for (const [name, v] of Object.entries(u.values)) {
        const p = rec.def.points.find((q) => q.name === name);
        const problem = p ? pointValueProblem(p, v) : `unknown point "${name}"`;
        if (problem !== undefined) rec.log.warn({ point: name, value: v }, `reading dropped: ${problem}`);
        else values[name] = v;
      }
      this.#markAvailable(rec, u.timeMs);
      this.#o.onValues(rec, values, u.timeMs);
      if (Object.entries(values).some(([k, v]) => rec.state[k] !== v)) {
        rec.state = { ...rec.state, ...values };
        rec.updatedMs = u.timeMs;
        this.#changed.add(rec.id);
      }
    } catch (err) {
      this.#o.log.error({ err }, `device ${rec.id} failed`);
    }
  }

  #markAvailable(rec: DeviceRecord, timeMs: number): void {
    if (rec.available) return;
    rec.available = true;
    delete rec.lastError;
    rec.updatedMs = timeMs;
    this.#changed.add(rec.id);
    if (rec.alarmed) {
      rec.alarmed = false;
      rec.log.info('device available again');
      this.#o.raise({
        deviceId: rec.id,
        code: SITE_EVENTS.deviceUnavailable,
        severity: 'info',
        message: `${rec.id} available again`,
        timeMs,
        active: false,
      });
    }
  }
}

/** The lighting group, intersection or container each device belongs to (the console's grouping). */
function groupsOf(cfg: EdgeConfig): Map<string, string> {
  const groupOf = new Map<string, string>();
  for (const g of cfg.lightingGroups) for (const l of g.luminaires) groupOf.set(l, g.id);
  for (const x of cfg.intersections) {
    for (const sg of x.signalGroups) groupOf.set(sg.head, x.id);
    for (const d of x.detectors) groupOf.set(d, x.id);
  }
  for (const c of cfg.containers) groupOf.set(c.sensor, c.id);
  // A detector serving only lighting belongs to its first group.
  for (const g of cfg.lightingGroups) for (const d of g.detectors) if (!groupOf.has(d)) groupOf.set(d, g.id);
  return groupOf;
}

function toView(rec: DeviceRecord): DeviceView {
  return Object.freeze({
    id: rec.id,
    type: rec.def.name,
    kind: rec.def.kind,
    driver: rec.driver.name,
    ...(rec.group !== undefined ? { group: rec.group } : {}),
    available: rec.available,
    ...(rec.lastError !== undefined
      ? { lastError: englishOf(rec.lastError), lastErrorCode: rec.lastError }
      : {}),
    state: Object.freeze({ ...rec.state }),
    ...(rec.reason !== undefined ? { reason: englishOf(rec.reason), reasonCode: rec.reason } : {}),
    updatedMs: rec.updatedMs,
  });
}

/**
 * Whether two reasons say the same. Reasons are rebuilt every tick; comparing their content (not
 * their identity) keeps a view from counting as changed when nothing it says changed.
 */
function sameReason(a: Reason | undefined, b: Reason): boolean {
  if (a === b) return true;
  if (a?.length !== b.length) return false;
  return a.every((p, i) => {
    const q = b[i]!;
    if (p.code !== q.code) return false;
    const pk = Object.keys(p.params ?? {});
    return (
      pk.length === Object.keys(q.params ?? {}).length && pk.every((k) => p.params![k] === q.params?.[k])
    );
  });
}
