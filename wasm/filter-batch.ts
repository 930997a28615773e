// Filter objects for the edge: a batch of channels of one kind of sensor, its state and its
// input/output arrays allocated once (in WASM memory for the 'wasm' engine). Per tick: write one
// sample per channel into `input` (NaN for "no reading"), call `step()`, read `output`. No call
// allocates. Kernels: wasm/assembly/filters-windowed.ts and filters-recursive.ts; twin: wasm/filters.ts.

import { core } from './instance.js';
import { allocBlock, checkCount, checkParam, type Engine } from './engine.js';
import {
  emaStep,
  hampelStep,
  hysteresisStep,
  medianStep,
  slewStep,
  trendStep,
  TREND_STATE,
} from './filters.js';
import type { F64Block } from './instance.js';

const WINDOW_SIZES = [1, 3, 5, 7, 9];

/** Shared by the median and Hampel filters: a slot-major window and each channel's last sample. */
abstract class Windowed {
  readonly channels: number;
  readonly size: number;
  readonly input: Float64Array;
  readonly output: Float64Array;
  protected readonly inB: F64Block;
  /** @internal the output block, for a following stage to read in place. */
  readonly outB: F64Block;
  protected readonly winB: F64Block;
  protected readonly lastB: F64Block;
  protected head = 0;

  constructor(owner: string, channels: number, size: number, engine: Engine) {
    checkCount(owner, 'channels', channels);
    checkParam(WINDOW_SIZES.includes(size), owner, 'size', '1, 3, 5, 7 or 9', size);
    this.channels = channels;
    this.size = size;
    this.inB = allocBlock(engine, channels, owner);
    this.outB = allocBlock(engine, channels, owner);
    this.winB = allocBlock(engine, channels * size, owner);
    this.lastB = allocBlock(engine, channels, owner);
    this.input = this.inB.view;
    this.output = this.outB.view;
  }

  /** Forgets every channel's history (the next valid sample refills its window). */
  reset(): void {
    this.winB.view.fill(Number.NaN);
    this.lastB.view.fill(Number.NaN);
    this.head = 0;
  }

  protected advance(): void {
    this.head = this.head + 1 === this.size ? 0 : this.head + 1;
  }
}

/** Running median of the last `size` samples (odd, ≤ 9): a spike shorter than half the window vanishes. */
export class MedianFilter extends Windowed {
  readonly #wasm: boolean;
  constructor(channels: number, opts: { size: number }, engine: Engine = 'wasm') {
    super('MedianFilter', channels, opts.size, engine);
    this.#wasm = engine === 'wasm';
  }

  step(): void {
    if (this.#wasm) {
      core.filtersMedian(
        this.inB.ptr,
        this.winB.ptr,
        this.lastB.ptr,
        this.outB.ptr,
        this.channels,
        this.size,
        this.head,
      );
    } else {
      medianStep(
        this.input,
        this.winB.view,
        this.lastB.view,
        this.output,
        this.channels,
        this.size,
        this.head,
      );
    }
    this.advance();
  }
}

export interface HampelOptions {
  /** Window length: 3, 5, 7 or 9 samples (1 passes everything). */
  size: number;
  /** Threshold in robust standard deviations (1.4826 · MAD); 3 is the usual choice. */
  k: number;
  /** Smallest threshold, in the signal's units: a quantised sensor's MAD is often 0. */
  floor: number;
}

/** Hampel outlier rejection: a sample far from its window's median is replaced by the median. */
export class HampelFilter extends Windowed {
  readonly k: number;
  readonly floor: number;
  readonly #wasm: boolean;
  constructor(channels: number, opts: HampelOptions, engine: Engine = 'wasm') {
    super('HampelFilter', channels, opts.size, engine);
    checkParam(opts.k > 0 && Number.isFinite(opts.k), 'HampelFilter', 'k', 'a positive number', opts.k);
    checkParam(opts.floor >= 0 && Number.isFinite(opts.floor), 'HampelFilter', 'floor', '≥ 0', opts.floor);
    this.k = opts.k;
    this.floor = opts.floor;
    this.#wasm = engine === 'wasm';
  }

  /** Filters one sample per channel; returns how many were replaced. */
  step(): number {
    const replaced = this.#wasm
      ? core.filtersHampel(
          this.inB.ptr,
          this.winB.ptr,
          this.lastB.ptr,
          this.outB.ptr,
          this.channels,
          this.size,
          this.head,
          this.k,
          this.floor,
        )
      : hampelStep(
          this.input,
          this.winB.view,
          this.lastB.view,
          this.output,
          this.channels,
          this.size,
          this.head,
          this.k,
          this.floor,
        );
    this.advance();
    return replaced;
  }
}

/** One state value per channel: EMA, slew limiter, hysteresis. */
abstract class Recursive {
  readonly channels: number;
  readonly input: Float64Array;
  readonly output: Float64Array;
  protected readonly inB: F64Block;
  /** @internal the output block, for a following stage to read in place. */
  readonly outB: F64Block;
  protected readonly stateB: F64Block;
  protected readonly wasm: boolean;

  constructor(owner: string, channels: number, engine: Engine, input?: F64Block) {
    checkCount(owner, 'channels', channels);
    this.channels = channels;
    this.inB = input ?? allocBlock(engine, channels, owner);
    this.outB = allocBlock(engine, channels, owner);
    this.stateB = allocBlock(engine, channels, owner);
    this.input = this.inB.view;
    this.output = this.outB.view;
    this.wasm = engine === 'wasm';
  }

  /** Forgets every channel's state (the next valid sample restarts it). */
  reset(): void {
    this.stateB.view.fill(Number.NaN);
  }
}

/** Exponential moving average with smoothing factor α in (0, 1] (time constant ≈ 1/α − 1 calls). */
export class EmaFilter extends Recursive {
  readonly alpha: number;
  /** `input`: read another stage's output block in place (internal; FilterPipeline). */
  constructor(channels: number, opts: { alpha: number }, engine: Engine = 'wasm', input?: F64Block) {
    super('EmaFilter', channels, engine, input);
    checkParam(opts.alpha > 0 && opts.alpha <= 1, 'EmaFilter', 'alpha', 'in (0, 1]', opts.alpha);
    this.alpha = opts.alpha;
  }

  step(): void {
    if (this.wasm) core.filtersEma(this.inB.ptr, this.stateB.ptr, this.outB.ptr, this.channels, this.alpha);
    else emaStep(this.input, this.stateB.view, this.output, this.channels, this.alpha);
  }
}

/** Slew-rate limiter: the output moves at most `maxRise` up and `maxFall` down per call. */
export class SlewLimiter extends Recursive {
  readonly maxRise: number;
  readonly maxFall: number;
  constructor(channels: number, opts: { maxRise: number; maxFall: number }, engine: Engine = 'wasm') {
    super('SlewLimiter', channels, engine);
    checkParam(opts.maxRise >= 0, 'SlewLimiter', 'maxRise', '≥ 0', opts.maxRise);
    checkParam(opts.maxFall >= 0, 'SlewLimiter', 'maxFall', '≥ 0', opts.maxFall);
    this.maxRise = opts.maxRise;
    this.maxFall = opts.maxFall;
  }

  step(): void {
    if (this.wasm) {
      core.filtersSlew(
        this.inB.ptr,
        this.stateB.ptr,
        this.outB.ptr,
        this.channels,
        this.maxRise,
        this.maxFall,
      );
    } else {
      slewStep(this.input, this.stateB.view, this.output, this.channels, this.maxRise, this.maxFall);
    }
  }
}

/** Hysteresis comparator: output 1 once the input reaches `high`, 0 once it falls to `low`. */
export class HysteresisComparator extends Recursive {
  readonly low: number;
  readonly high: number;
  constructor(channels: number, opts: { low: number; high: number }, engine: Engine = 'wasm') {
    super('HysteresisComparator', channels, engine);
    checkParam(opts.low < opts.high, 'HysteresisComparator', 'low', `below high (${opts.high})`, opts.low);
    this.low = opts.low;
    this.high = opts.high;
  }

  step(): void {
    if (this.wasm)
      core.filtersHysteresis(
        this.inB.ptr,
        this.stateB.ptr,
        this.outB.ptr,
        this.channels,
        this.low,
        this.high,
      );
    else hysteresisStep(this.input, this.stateB.view, this.output, this.channels, this.low, this.high);
  }
}

/** Exponentially weighted linear trend: `slope` (units per call) and `level` per channel. */
export class TrendFilter {
  readonly channels: number;
  readonly lambda: number;
  readonly input: Float64Array;
  readonly slope: Float64Array;
  readonly level: Float64Array;
  readonly #inB: F64Block;
  readonly #stateB: F64Block;
  readonly #slopeB: F64Block;
  readonly #levelB: F64Block;
  readonly #wasm: boolean;

  /** `lambda` in (0, 1): the forgetting factor; the fit's memory is about 1/(1 − λ) calls. */
  constructor(channels: number, opts: { lambda: number }, engine: Engine = 'wasm', input?: F64Block) {
    checkCount('TrendFilter', 'channels', channels);
    checkParam(opts.lambda > 0 && opts.lambda < 1, 'TrendFilter', 'lambda', 'in (0, 1)', opts.lambda);
    this.channels = channels;
    this.lambda = opts.lambda;
    this.#inB = input ?? allocBlock(engine, channels, 'TrendFilter');
    this.#stateB = allocBlock(engine, channels * TREND_STATE, 'TrendFilter', 0);
    this.#slopeB = allocBlock(engine, channels, 'TrendFilter');
    this.#levelB = allocBlock(engine, channels, 'TrendFilter');
    this.input = this.#inB.view;
    this.slope = this.#slopeB.view;
    this.level = this.#levelB.view;
    this.#wasm = engine === 'wasm';
  }

  reset(): void {
    this.#stateB.view.fill(0);
  }

  step(): void {
    if (this.#wasm) {
      core.filtersTrend(
        this.#inB.ptr,
        this.#stateB.ptr,
        this.#slopeB.ptr,
        this.#levelB.ptr,
        this.channels,
        this.lambda,
      );
    } else {
      trendStep(this.input, this.#stateB.view, this.slope, this.level, this.channels, this.lambda);
    }
  }
}

export interface PipelineOptions {
  hampel: HampelOptions;
  /** EMA smoothing factor applied after outlier rejection. */
  alpha: number;
  /** Trend forgetting factor applied to the smoothed signal. */
  lambda: number;
}

/**
 * The usual sensor chain: Hampel outlier rejection → EMA → trend. Write `input`, call `step()`,
 * read `smooth` (the cleaned, smoothed value), `slope` and `level`. The stages share arrays in
 * place: no copies between them.
 */
export class FilterPipeline {
  readonly input: Float64Array;
  readonly smooth: Float64Array;
  readonly slope: Float64Array;
  readonly level: Float64Array;
  readonly hampel: HampelFilter;
  readonly ema: EmaFilter;
  readonly trend: TrendFilter;

  constructor(channels: number, opts: PipelineOptions, engine: Engine = 'wasm') {
    this.hampel = new HampelFilter(channels, opts.hampel, engine);
    this.ema = new EmaFilter(channels, { alpha: opts.alpha }, engine, this.hampel.outB);
    this.trend = new TrendFilter(channels, { lambda: opts.lambda }, engine, this.ema.outB);
    this.input = this.hampel.input;
    this.smooth = this.ema.output;
    this.slope = this.trend.slope;
    this.level = this.trend.level;
  }

  /** Forgets every stage's state. */
  reset(): void {
    this.hampel.reset();
    this.ema.reset();
    this.trend.reset();
  }

  /** One sample per channel through the chain; returns how many the Hampel stage replaced. */
  step(): number {
    const replaced = this.hampel.step();
    this.ema.step();
    this.trend.step();
    return replaced;
  }
}
