// Traffic kernel objects. Kernels: wasm/assembly/traffic.ts; twin, methods and sources:
// wasm/traffic.ts. They propose; the supervisor in edge/control disposes.

import { allocBlock, checkCount, checkFieldCount, checkParam, fieldViews, type Engine } from './engine.js';
import { core, type F64Block } from './instance.js';
import {
  ACTUATED,
  ACTUATED_FIELDS,
  actuatedStep,
  CHANGE,
  CHANGE_FIELDS,
  changeIntervalStep,
  DETECTOR,
  DETECTOR_FIELDS,
  detectorStep,
  detectorSteps,
  MAX_PHASES,
  maxPressure,
  MOVEMENT,
  MOVEMENT_FIELDS,
  WEBSTER,
  WEBSTER_STRIDE,
  websterStep,
} from './traffic.js';

checkFieldCount(core, 'DETECTOR_FIELDS', DETECTOR_FIELDS);
checkFieldCount(core, 'WEBSTER_STRIDE', WEBSTER_STRIDE);
checkFieldCount(core, 'ACTUATED_FIELDS', ACTUATED_FIELDS);
checkFieldCount(core, 'CHANGE_FIELDS', CHANGE_FIELDS);

/**
 * Detectors at the control rate: write `occupied` and `green` (0/1) per detector, call
 * `step(dtS)`, read flow, occupancy, gap, headway, saturation and queue. Set `satFlowVph` at start.
 * Or, to cross the boundary once per block of ticks rather than once per tick (REFERENCE §5), fill
 * `frames` (frame t: occupied[n] then green[n]) and call `stepFrames(ticks, dtS)`.
 */
export class DetectorBatch {
  readonly detectors: number;
  readonly tauS: number;
  readonly views: { [K in keyof typeof DETECTOR]: Float64Array };
  /** Most ticks one `stepFrames` call takes. */
  readonly frameTicks: number;
  /** Input frames for `stepFrames`: frame t is [t·2n, (t+1)·2n): occupied[n] then green[n]. */
  readonly frames: Float64Array;
  readonly #block: F64Block;
  readonly #frames: F64Block;
  readonly #wasm: boolean;

  /**
   * `tauS`: time constant of the flow, occupancy and green-fraction averages, s. `frameTicks`
   * (default 1): capacity of `frames`, 10 for a second's worth at 10 Hz.
   */
  constructor(detectors: number, opts: { tauS: number; frameTicks?: number }, engine: Engine = 'wasm') {
    checkCount('DetectorBatch', 'detectors', detectors);
    checkParam(opts.tauS > 0 && Number.isFinite(opts.tauS), 'DetectorBatch', 'tauS', '> 0', opts.tauS);
    const frameTicks = opts.frameTicks ?? 1;
    checkCount('DetectorBatch', 'frameTicks', frameTicks);
    this.detectors = detectors;
    this.tauS = opts.tauS;
    this.frameTicks = frameTicks;
    this.#block = allocBlock(engine, detectors * DETECTOR_FIELDS, 'DetectorBatch', 0);
    this.#frames = allocBlock(engine, detectors * 2 * frameTicks, 'DetectorBatch frames', 0);
    this.frames = this.#frames.view;
    this.#wasm = engine === 'wasm';
    this.views = fieldViews(this.#block.view, detectors, DETECTOR);
    this.views.satFlowVph.fill(1800);
    this.reset();
  }

  /** Forgets counts, averages, gaps and queues (keeps satFlowVph). */
  reset(): void {
    const sat = this.views.satFlowVph.slice();
    this.#block.view.fill(0);
    this.views.satFlowVph.set(sat);
    this.views.headwayS.fill(Number.NaN);
    this.views.saturation.fill(Number.NaN);
  }

  /** One tick, `dtS` seconds (≤ tauS) after the previous. */
  step(dtS: number): void {
    checkParam(dtS > 0 && dtS <= this.tauS, 'DetectorBatch', 'dtS', `in (0, tauS = ${this.tauS}]`, dtS);
    if (this.#wasm) core.detectorStep(this.#block.ptr, this.detectors, dtS, this.tauS);
    else detectorStep(this.#block.view, this.detectors, dtS, this.tauS);
  }

  /**
   * `ticks` ticks (1..frameTicks), `dtS` apart, from `frames` in one call; the same results as
   * `ticks` calls of `step` with those inputs, and `occupied`/`green` then hold the last frame's.
   */
  stepFrames(ticks: number, dtS: number): void {
    checkParam(
      Number.isInteger(ticks) && ticks >= 1 && ticks <= this.frameTicks,
      'DetectorBatch',
      'ticks',
      `an integer in [1, frameTicks = ${this.frameTicks}]`,
      ticks,
    );
    checkParam(dtS > 0 && dtS <= this.tauS, 'DetectorBatch', 'dtS', `in (0, tauS = ${this.tauS}]`, dtS);
    const n = this.detectors;
    if (this.#wasm) core.detectorSteps(this.#block.ptr, n, this.#frames.ptr, ticks, dtS, this.tauS);
    else detectorSteps(this.#block.view, n, this.frames, ticks, dtS, this.tauS);
  }
}

export interface WebsterPhase {
  /** Critical flow ratio q/s of the phase. */
  y: number;
  minGreenS: number;
  maxGreenS: number;
}

/** Webster cycle and effective greens for a batch of intersections (up to 8 phases each). */
export class WebsterPlanner {
  readonly intersections: number;
  readonly cMinS: number;
  readonly cMaxS: number;
  readonly #block: F64Block;
  readonly #wasm: boolean;

  constructor(intersections: number, opts: { cMinS: number; cMaxS: number }, engine: Engine = 'wasm') {
    checkCount('WebsterPlanner', 'intersections', intersections);
    checkParam(opts.cMinS > 0, 'WebsterPlanner', 'cMinS', '> 0', opts.cMinS);
    checkParam(opts.cMaxS >= opts.cMinS, 'WebsterPlanner', 'cMaxS', `≥ cMinS (${opts.cMinS})`, opts.cMaxS);
    this.intersections = intersections;
    this.cMinS = opts.cMinS;
    this.cMaxS = opts.cMaxS;
    this.#block = allocBlock(engine, intersections * WEBSTER_STRIDE, 'WebsterPlanner', 0);
    this.#wasm = engine === 'wasm';
  }

  /** Sets intersection `i`: its phases and lost time per cycle, s. */
  set(i: number, lostS: number, phases: WebsterPhase[]): void {
    const owner = `WebsterPlanner.set(${i})`;
    checkParam(Number.isInteger(i) && i >= 0 && i < this.intersections, owner, 'index', 'in range', i);
    checkParam(
      phases.length >= 1 && phases.length <= MAX_PHASES,
      owner,
      'phases',
      `1..${MAX_PHASES}`,
      phases.length,
    );
    checkParam(lostS >= 0, owner, 'lostS', '≥ 0', lostS);
    const row = this.#block.view.subarray(i * WEBSTER_STRIDE, (i + 1) * WEBSTER_STRIDE);
    row[WEBSTER.phases] = phases.length;
    row[WEBSTER.lostS] = lostS;
    phases.forEach((p, k) => {
      checkParam(p.y >= 0 && p.y < 1, owner, `phases[${k}].y`, 'in [0, 1)', p.y);
      checkParam(
        p.minGreenS >= 0 && p.maxGreenS >= p.minGreenS,
        owner,
        `phases[${k}].maxGreenS`,
        '≥ minGreenS',
        p.maxGreenS,
      );
      row[WEBSTER.y + k] = p.y;
      row[WEBSTER.minGreenS + k] = p.minGreenS;
      row[WEBSTER.maxGreenS + k] = p.maxGreenS;
    });
  }

  compute(): void {
    if (this.#wasm) core.websterStep(this.#block.ptr, this.intersections, this.cMinS, this.cMaxS);
    else websterStep(this.#block.view, this.intersections, this.cMinS, this.cMaxS);
  }

  /** Intersection `i`'s cycle and effective greens (allocates; read once per plan change). */
  get(i: number): { cycleS: number; greenS: number[] } {
    const row = this.#block.view.subarray(i * WEBSTER_STRIDE, (i + 1) * WEBSTER_STRIDE);
    const phases = row[WEBSTER.phases]!;
    return {
      cycleS: row[WEBSTER.cycleS]!,
      greenS: [...row.subarray(WEBSTER.greenS, WEBSTER.greenS + phases)],
    };
  }
}

/** Actuated decisions for a batch of phases: write elapsedS and gapS per tick, read `decision` (ACTUATION). */
export class ActuatedBatch {
  readonly phases: number;
  readonly views: { [K in keyof typeof ACTUATED]: Float64Array };
  readonly #block: F64Block;
  readonly #wasm: boolean;

  constructor(phases: number, engine: Engine = 'wasm') {
    checkCount('ActuatedBatch', 'phases', phases);
    this.phases = phases;
    this.#block = allocBlock(engine, phases * ACTUATED_FIELDS, 'ActuatedBatch', 0);
    this.#wasm = engine === 'wasm';
    this.views = fieldViews(this.#block.view, phases, ACTUATED);
  }

  step(): void {
    if (this.#wasm) core.actuatedStep(this.#block.ptr, this.phases);
    else actuatedStep(this.#block.view, this.phases);
  }
}

/** Max-pressure phase choice for one intersection of up to `movements` movements. */
export class MaxPressure {
  readonly movements: number;
  readonly phases: number;
  readonly views: { [K in keyof typeof MOVEMENT]: Float64Array };
  readonly pressure: Float64Array;
  readonly #block: F64Block;
  readonly #pressure: F64Block;
  readonly #wasm: boolean;

  constructor(movements: number, phases: number, engine: Engine = 'wasm') {
    checkCount('MaxPressure', 'movements', movements);
    checkParam(
      Number.isInteger(phases) && phases >= 1 && phases <= 31,
      'MaxPressure',
      'phases',
      '1..31',
      phases,
    );
    this.movements = movements;
    this.phases = phases;
    this.#block = allocBlock(engine, movements * MOVEMENT_FIELDS, 'MaxPressure', 0);
    this.#pressure = allocBlock(engine, phases, 'MaxPressure', 0);
    this.#wasm = engine === 'wasm';
    this.views = fieldViews(this.#block.view, movements, MOVEMENT);
    this.pressure = this.#pressure.view;
  }

  /** Returns the phase with the largest pressure (lowest index on a tie). */
  choose(): number {
    return this.#wasm
      ? core.maxPressure(this.#block.ptr, this.movements, this.#pressure.ptr, this.phases)
      : maxPressure(this.#block.view, this.movements, this.pressure, this.phases);
  }
}

/** ITE yellow and all-red for a batch of approaches. */
export class ChangeIntervals {
  readonly approaches: number;
  readonly views: { [K in keyof typeof CHANGE]: Float64Array };
  readonly #block: F64Block;
  readonly #wasm: boolean;

  constructor(approaches: number, engine: Engine = 'wasm') {
    checkCount('ChangeIntervals', 'approaches', approaches);
    this.approaches = approaches;
    this.#block = allocBlock(engine, approaches * CHANGE_FIELDS, 'ChangeIntervals', 0);
    this.#wasm = engine === 'wasm';
    this.views = fieldViews(this.#block.view, approaches, CHANGE);
    this.views.vehicleM.fill(6);
  }

  /** ITE defaults: perception–reaction 1 s, deceleration 3.0 m/s² (REFERENCE §2). */
  compute(reactionS = 1, decelMps2 = 3): void {
    if (this.#wasm) core.changeIntervalStep(this.#block.ptr, this.approaches, reactionS, decelMps2);
    else changeIntervalStep(this.#block.view, this.approaches, reactionS, decelMps2);
  }
}
