// What the site reports every telemetry interval: each available device's metric points (coded
// by pointCode: an aspect travels as a number), each container's predicted full time with its
// sensor, and each lighting group as an item of its own (power now, energy since start as a
// counter). One tick's readings go to the sink as one unit.
import { pointCode } from '../devices/definition.js';
import type { TelemetryReading, TelemetrySink } from '../telemetry-sink.js';
import type { DeviceRegistry } from './device-registry.js';
import type { SiteLighting } from './site-lighting.js';
import type { SiteWaste } from './site-waste.js';

interface TelemetrySources {
  readonly registry: DeviceRegistry;
  readonly waste: SiteWaste;
  readonly lighting: SiteLighting;
  readonly sink: TelemetrySink;
}

export class SiteTelemetry {
  readonly #intervalMs: number;
  readonly #parts: TelemetrySources;
  #lastMs: number | undefined;

  constructor(intervalS: number, parts: TelemetrySources) {
    this.#intervalMs = intervalS * 1000;
    this.#parts = parts;
  }

  /** True (and the interval restarted) when a report is due at `now`; the first tick reports. */
  due(now: number): boolean {
    if (this.#lastMs !== undefined && now - this.#lastMs < this.#intervalMs) return false;
    this.#lastMs = now;
    return true;
  }

  record(now: number): void {
    const { registry, waste, lighting, sink } = this.#parts;
    const readings: TelemetryReading[] = [];
    for (const rec of registry.records()) {
      if (!rec.available) continue;
      for (const p of rec.def.points) {
        if (p.metric === undefined) continue;
        const value = pointCode(p, rec.state[p.name]);
        if (value !== undefined) readings.push({ deviceId: rec.id, metric: p.metric, value, timeMs: now });
      }
    }
    // Container predictions go with the sensor's fill.pct; none while there is no prediction.
    for (const [sensor, p] of waste.predictions()) {
      if (!registry.get(sensor).available) continue;
      for (const [metric, value] of [
        ['full_at.ms', p.fullAtMs],
        ['full_low.ms', p.fullLowMs],
        ['full_high.ms', p.fullHighMs],
      ] as const) {
        if (value !== undefined) readings.push({ deviceId: sensor, metric, value, timeMs: now });
      }
    }
    for (const g of lighting.groupStates()) {
      readings.push({
        deviceId: g.id,
        metric: 'power.w',
        value: Math.round(g.powerW * 10) / 10,
        timeMs: now,
      });
      readings.push({
        deviceId: g.id,
        metric: 'energy.wh',
        value: Math.round(g.energyWh * 1000) / 1000,
        timeMs: now,
      });
    }
    if (readings.length > 0) sink.record(readings);
  }
}
