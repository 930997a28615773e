// Waste containers of a site, on the WASM waste kernel (wasm/waste-batch.ts): one batch for every
// container, allocated once. Sensors report at their own times (hourly on LoRaWAN), the kernel
// steps all containers together with one dt; so readings are queued as they arrive and one
// step() takes them all, with NaN ("no reading") for the containers that sent nothing — the kernel
// then only advances their clocks. The same class drives `calle waste predict` (bin/), so the
// command's predictions are the edge's.
//
// Fill and emptying are the kernel's (method and sources in wasm/waste.ts); when each container
// will be full, and the interval around it, is the forecaster's (./waste-forecast.ts), which learns
// from the kernel's output. This adds absolute times, the overflow state with hysteresis and the
// collection list.
import { WASTE_FLAG, WasteBatch, type Engine, type WasteParams } from '../../wasm/core.js';
import { WasteForecaster, type WasteForecastParams } from './waste-forecast.js';

const HOUR_MS = 3_600_000;
/**
 * The overflow alarm clears only this far (fill fraction) below the full threshold: with 1 cm
 * resolution a container resting at the threshold would otherwise raise and clear every reading.
 */
const FULL_HYSTERESIS = 0.05;

export interface WasteContainerSpec {
  readonly id: string;
  /** Distance from the sensor to the container floor, cm. */
  readonly depthCm: number;
  /** Fill fraction (0–1 of depth) at which the container is full (FIWARE binFullnessThreshold). */
  readonly fullThreshold: number;
}

/** A container's state after its last reading. Times are epoch ms; absent: no prediction. */
export interface WastePrediction {
  readonly containerId: string;
  /** Accepted fill fraction 0–1; undefined until the first valid reading. */
  readonly fill: number | undefined;
  /** When the reading was taken into the kernel. */
  readonly timeMs: number;
  /** Predicted time at which fill reaches the full threshold, and its interval (low ≤ at ≤ high). */
  readonly fullAtMs?: number;
  readonly fullLowMs?: number;
  readonly fullHighMs?: number;
  /** Fill rate, fraction per hour, when known. */
  readonly ratePerHour?: number;
  /** True while fill ≥ full threshold (cleared FULL_HYSTERESIS below it). */
  readonly full: boolean;
}

/** What one reading did. */
export interface WasteStepResult extends WastePrediction {
  /** 'accepted' | 'invalid' (no echo, out of range) | 'held' (a jump awaiting confirmation) | 'emptied'. */
  readonly outcome: keyof typeof WASTE_FLAG;
  readonly emptied: boolean;
  /** The overflow state changed with this reading. */
  readonly fullChanged: boolean;
}

export interface CollectionItem extends WastePrediction {
  readonly reason: 'full' | 'above collect_at_fill' | 'due within horizon';
}

const OUTCOMES = Object.fromEntries(Object.entries(WASTE_FLAG).map(([k, v]) => [v, k])) as Record<
  number,
  keyof typeof WASTE_FLAG
>;

export class WasteController {
  readonly #batch: WasteBatch;
  readonly #forecaster: WasteForecaster;
  readonly #specs: readonly WasteContainerSpec[];
  readonly #index = new Map<string, number>();
  readonly #pending: boolean[];
  readonly #last: (WastePrediction | undefined)[];
  #lastStepMs: number | undefined;

  constructor(
    containers: readonly WasteContainerSpec[],
    opts: { engine?: Engine; params?: Partial<WasteParams>; forecast?: Partial<WasteForecastParams> } = {},
  ) {
    containers.forEach((c, i) => {
      if (this.#index.has(c.id)) throw new Error(`containers[${i}].id: "${c.id}" is repeated`);
      if (!(c.depthCm > 0 && Number.isFinite(c.depthCm)))
        throw new Error(`containers[${i}].depthCm: ${c.depthCm} is not a positive number of cm`);
      if (!(c.fullThreshold > 0 && c.fullThreshold <= 1))
        throw new Error(`containers[${i}].fullThreshold: ${c.fullThreshold} is outside (0, 1]`);
      this.#index.set(c.id, i);
    });
    this.#specs = containers;
    // A site without containers still gets a batch of one: the kernel refuses zero.
    this.#batch = new WasteBatch(Math.max(1, containers.length), opts.params, opts.engine ?? 'wasm');
    containers.forEach((c, i) => {
      this.#batch.depthCm[i] = c.depthCm;
      this.#batch.fullAt[i] = c.fullThreshold;
    });
    this.#forecaster = new WasteForecaster(containers.length, opts.forecast);
    this.#pending = containers.map(() => false);
    this.#last = containers.map(() => undefined);
    this.#clearInputs();
  }

  has(containerId: string): boolean {
    return this.#index.has(containerId);
  }

  /** True when a reading for this container waits for the next step (a second one must step first). */
  isPending(containerId: string): boolean {
    return this.#pending[this.#indexOf(containerId)]!;
  }

  /** Queues one reading; a later one before step() replaces it. NaN temperature: uncompensated. */
  observe(containerId: string, distanceCm: number, temperatureC = Number.NaN): void {
    const i = this.#indexOf(containerId);
    this.#batch.distanceCm[i] = Number.isFinite(distanceCm) ? distanceCm : Number.NaN;
    this.#batch.temperatureC[i] = Number.isFinite(temperatureC) ? temperatureC : Number.NaN;
    this.#pending[i] = true;
  }

  /**
   * Runs the kernel at `nowMs` over the queued readings; returns one result per container that had
   * one. Time never runs backwards for the kernel: an earlier `nowMs` steps with dt 0.
   */
  step(nowMs: number): WasteStepResult[] {
    if (!this.#pending.includes(true)) return [];
    const dtHours = this.#lastStepMs === undefined ? 0 : Math.max(0, nowMs - this.#lastStepMs) / HOUR_MS;
    this.#lastStepMs = Math.max(nowMs, this.#lastStepMs ?? nowMs);
    this.#batch.step(dtHours);
    const b = this.#batch;
    const out: WasteStepResult[] = [];
    for (let i = 0; i < this.#specs.length; i++) {
      if (!this.#pending[i]) continue;
      const spec = this.#specs[i]!;
      const fill = b.fill[i]!;
      const flag = b.flag[i]!;
      const before = this.#last[i]?.full ?? false;
      const known = fill === fill;
      const full =
        known && (before ? fill > spec.fullThreshold - FULL_HYSTERESIS : fill >= spec.fullThreshold);
      const outcome = OUTCOMES[flag] ?? 'invalid';
      const f = this.#forecaster.update(i, nowMs, fill, outcome, spec.fullThreshold);
      // Built field by field: spreading computed-key objects cost more than the kernel itself.
      const p: Writable<WastePrediction> = {
        containerId: spec.id,
        fill: known ? fill : undefined,
        timeMs: nowMs,
        full,
      };
      // Absent: no rate yet, or not within the forecaster's horizon (effectively never).
      if (f.ttfHours !== undefined) p.fullAtMs = Math.round(nowMs + f.ttfHours * HOUR_MS);
      if (f.lowHours !== undefined) p.fullLowMs = Math.round(nowMs + f.lowHours * HOUR_MS);
      if (f.highHours !== undefined) p.fullHighMs = Math.round(nowMs + f.highHours * HOUR_MS);
      if (f.ratePerHour !== undefined) p.ratePerHour = f.ratePerHour;
      this.#last[i] = p;
      out.push({
        ...p,
        outcome,
        emptied: flag === WASTE_FLAG.emptied,
        fullChanged: full !== before,
      });
    }
    this.#clearInputs();
    return out;
  }

  /** The container's state after its last reading, or undefined before any. */
  prediction(containerId: string): WastePrediction | undefined {
    return this.#last[this.#indexOf(containerId)];
  }

  /** The fill the container is expected to have at `atMs` (NaN while its rate is unknown). */
  expectedFill(containerId: string, atMs: number): number {
    return this.#forecaster.expectedFill(this.#indexOf(containerId), atMs);
  }

  /**
   * Containers to collect: full, above `collectAtFill`, or predicted full before `nowMs +
   * horizonMs`; soonest predicted full first (no prediction last, fuller first among those).
   */
  collectionList(nowMs: number, horizonMs: number, collectAtFill: number): CollectionItem[] {
    const items: CollectionItem[] = [];
    for (const p of this.#last) {
      if (!p || p.fill === undefined) continue;
      const reason: CollectionItem['reason'] | undefined = p.full
        ? 'full'
        : p.fill >= collectAtFill
          ? 'above collect_at_fill'
          : p.fullAtMs !== undefined && p.fullAtMs <= nowMs + horizonMs
            ? 'due within horizon'
            : undefined;
      if (reason) items.push({ ...p, reason });
    }
    const key = (c: CollectionItem) => c.fullAtMs ?? Infinity;
    return items.sort((a, b) => key(a) - key(b) || (b.fill ?? 0) - (a.fill ?? 0));
  }

  #clearInputs(): void {
    this.#batch.distanceCm.fill(Number.NaN);
    this.#batch.temperatureC.fill(Number.NaN);
    this.#pending.fill(false);
  }

  #indexOf(containerId: string): number {
    const i = this.#index.get(containerId);
    if (i === undefined) throw new Error(`container "${containerId}" is not configured`);
    return i;
  }
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };
