// The site's containers: fill readings from their sensors go to the waste kernel (one batch for
// all containers, allocated once), the fill and predicted full time go back on the sensor's view,
// and the container alarms are raised: full and emptied from the kernel, fire and tilt judged at
// once on each reading (edge/control/waste-alarms.ts). `fill` is derived here, never taken from a
// device.
import type { EdgeConfig } from '../config/edge-config.js';
import { FireWatch, TiltWatch } from '../control/waste-alarms.js';
import { WasteController, type CollectionItem, type WastePrediction } from '../control/waste-controller.js';
import type { PointValue } from '../devices/device-view.js';
import type { Engine } from '../../wasm/core.js';
import type { DeviceRecord, DeviceRegistry } from './device-registry.js';
import { SITE_EVENTS, type RaiseEvent } from './site-alarms.js';

/** Default collection threshold until a policy sets one (FIWARE binFullnessThreshold style, 0..1). */
export const DEFAULT_COLLECT_AT_FILL = 0.8;
/**
 * Fill fraction at which a container is full (the overflow alarm, the predicted full time) until
 * the site configuration carries one per container: ultrasonic sensors cannot see the top ~10 %
 * of their range (blind zone), so "full" is set below the sensor.
 */
export const DEFAULT_FULL_THRESHOLD = 0.9;
/** Default look-ahead of the collection list. */
export const COLLECTION_HORIZON_MS = 24 * 3_600_000;

/** One container of the collection list, as the console and sync show it. */
export interface CollectionEntry {
  readonly containerId: string;
  readonly sensorId: string;
  readonly fillPct: number;
  readonly fullAtMs?: number;
  readonly fullLowMs?: number;
  readonly fullHighMs?: number;
  readonly reason: CollectionItem['reason'];
}

interface SensorWatch {
  readonly containerId: string;
  readonly fire: FireWatch;
  readonly tilt: TiltWatch;
}

export class SiteWaste {
  readonly #registry: DeviceRegistry;
  readonly #raise: RaiseEvent;
  readonly #waste: WasteController;
  /** Per fill-sensor device: its container and the alarms that are not about fill. */
  readonly #sensors = new Map<string, SensorWatch>();
  readonly #sensorOfContainer = new Map<string, string>();
  #collectAtFill = DEFAULT_COLLECT_AT_FILL;

  constructor(opts: { config: EdgeConfig; registry: DeviceRegistry; engine: Engine; raise: RaiseEvent }) {
    this.#registry = opts.registry;
    this.#raise = opts.raise;
    const containers = opts.config.containers;
    this.#waste = new WasteController(
      containers.map((c) => ({ id: c.id, depthCm: c.depthCm, fullThreshold: DEFAULT_FULL_THRESHOLD })),
      { engine: opts.engine },
    );
    for (const c of containers) {
      this.#sensors.set(c.sensor, { containerId: c.id, fire: new FireWatch(), tilt: new TiltWatch() });
      this.#sensorOfContainer.set(c.id, c.sensor);
    }
  }

  /** A validated policy's collect_at_fill (0..1]. */
  setCollectAtFill(fraction: number): void {
    this.#collectAtFill = fraction;
  }

  /** Runs the waste kernel over the readings queued since the last step. */
  step(now: number): void {
    for (const r of this.#waste.step(now)) {
      const rec = this.#registry.get(this.#sensorOfContainer.get(r.containerId)!);
      if (r.fill !== undefined) {
        const state: Record<string, PointValue> = { ...rec.state, fill: fillPct(r.fill) };
        // The console shows the prediction; absent keys mean "no prediction".
        delete state.fullAtMs;
        delete state.fullLowMs;
        delete state.fullHighMs;
        if (r.fullAtMs !== undefined) state.fullAtMs = r.fullAtMs;
        if (r.fullLowMs !== undefined) state.fullLowMs = r.fullLowMs;
        if (r.fullHighMs !== undefined) state.fullHighMs = r.fullHighMs;
        rec.state = state;
        this.#registry.touched(rec);
      } else if (r.outcome !== 'accepted') {
        rec.log.debug({ outcome: r.outcome }, 'fill reading ignored');
      }
      if (r.emptied) {
        this.#raise({
          deviceId: rec.id,
          code: SITE_EVENTS.containerEmptied,
          severity: 'info',
          message: `${r.containerId}: emptied (now ${fillPct(r.fill ?? 0)} %)`,
          timeMs: now,
          active: false,
        });
      }
      if (r.fullChanged) {
        this.#raise({
          deviceId: rec.id,
          code: SITE_EVENTS.containerFull,
          severity: 'warning',
          message: `${r.containerId}: ${fillPct(r.fill ?? 0)} % full (full at ${DEFAULT_FULL_THRESHOLD * 100} %)`,
          timeMs: now,
          active: r.full,
        });
      }
    }
  }

  /** Fresh values of a device: a fill sensor's distance is queued, fire and tilt judged now. */
  noteValues(rec: DeviceRecord, values: Record<string, PointValue>, timeMs: number): void {
    const w = this.#sensors.get(rec.id);
    if (!w) return;
    delete values.fill;
    const temperature = values.temperature ?? rec.state.temperature;
    if (typeof values.distance === 'number') {
      // A second reading before the tick: step the first so that none is lost.
      if (this.#waste.isPending(w.containerId)) this.step(timeMs);
      this.#waste.observe(
        w.containerId,
        values.distance,
        typeof temperature === 'number' ? temperature : Number.NaN,
      );
    }
    if (typeof values.temperature === 'number') {
      const fire = w.fire.update(values.temperature, timeMs);
      if (fire.change) {
        this.#raise({
          deviceId: rec.id,
          code: SITE_EVENTS.containerFire,
          severity: 'critical',
          message: `${w.containerId}: ${fire.change === 'raised' ? 'possible fire' : 'fire alarm cleared'}, ${fire.reason}`,
          timeMs,
          active: fire.change === 'raised',
        });
      }
    }
    const tiltValue = values.tilt;
    if (tiltValue !== undefined) {
      const tilt = w.tilt.update(tiltValue);
      if (tilt) {
        this.#raise({
          deviceId: rec.id,
          code: SITE_EVENTS.containerTilted,
          severity: 'warning',
          message: `${w.containerId}: ${tilt === 'raised' ? 'tilted' : 'upright again'} (tilt ${String(tiltValue)})`,
          timeMs,
          active: tilt === 'raised',
        });
      }
    }
  }

  /**
   * Containers to collect: full, above the policy's collect_at_fill, or predicted full within
   * `horizonMs`; soonest predicted full first.
   */
  collectionList(now: number, horizonMs: number): CollectionEntry[] {
    return this.#waste.collectionList(now, horizonMs, this.#collectAtFill).map((c) => ({
      containerId: c.containerId,
      sensorId: this.#sensorOfContainer.get(c.containerId)!,
      fillPct: fillPct(c.fill ?? 0),
      ...(c.fullAtMs !== undefined ? { fullAtMs: c.fullAtMs } : {}),
      ...(c.fullLowMs !== undefined ? { fullLowMs: c.fullLowMs } : {}),
      ...(c.fullHighMs !== undefined ? { fullHighMs: c.fullHighMs } : {}),
      reason: c.reason,
    }));
  }

  /** Each sensor with its container's prediction, if any (telemetry). */
  *predictions(): Generator<[sensorId: string, prediction: WastePrediction]> {
    for (const [sensor, w] of this.#sensors) {
      const p = this.#waste.prediction(w.containerId);
      if (p) yield [sensor, p];
    }
  }
}

/** Fill fraction → percent with one decimal (the sensor's 1 cm is ~0.7 % of a 150 cm container). */
function fillPct(fill: number): number {
  return Math.round(fill * 1000) / 10;
}
