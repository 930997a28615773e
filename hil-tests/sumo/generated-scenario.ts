// A generated scenario: a net calle has never seen (generated-net.ts) with demand that stresses
// it (generated-demand.ts), both from one seed, written into a directory the caller owns.
// Tuning and reporting use disjoint seed sets (TUNING_SEEDS, HELD_OUT_SEEDS): a parameter tuned
// on the first is judged on the second.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildDemand, type DemandParams } from './generated-demand.js';
import { buildNet, netParams, UnsafeNetError, type GeneratedNetParams } from './generated-net.js';
import type { TrafficScenario } from '../../sim/sumo/traffic-scenario.js';

/** Seeds for tuning the controller: nothing is reported on these. */
export const TUNING_SEEDS = { first: 1, count: 20 } as const;
/** Seeds the report is made on, never used for tuning. */
export const HELD_OUT_SEEDS = { first: 1001, count: 30 } as const;

export interface GeneratedScenario {
  /** `gen-<seed>-<kind>-<signals>s`: for tables only; nothing reads it back. */
  readonly name: string;
  readonly seed: number;
  readonly scenario: TrafficScenario;
  readonly net: GeneratedNetParams;
  readonly demand: DemandParams;
  /** The signalised junctions. */
  readonly tls: readonly string[];
  /** The approach given heavy lefts, if any junction has a left turn. */
  readonly heavyLeftEdge: string | undefined;
  /** One signal: an isolated junction (target 0.8 × fair), else a network (0.7 ×). */
  readonly isolated: boolean;
}

/** Builds scenario `seed` for `seconds` of demand under `dir/gen-<seed>`. */
export function generatedScenario(seed: number, seconds: number, dir: string): GeneratedScenario {
  if (!(Number.isInteger(seed) && seed >= 0)) throw new RangeError(`seed ${seed} must be an integer ≥ 0`);
  const out = join(dir, `gen-${seed}`);
  mkdirSync(out, { recursive: true });
  // A net whose own program netconvert made unsafe is drawn again from the next sub-seed: the
  // same seed always ends at the same net.
  let net = netParams(seed);
  let built: ReturnType<typeof buildNet> | undefined;
  for (let k = 0; built === undefined; k++) {
    try {
      built = buildNet(net, out);
    } catch (err) {
      if (!(err instanceof UnsafeNetError) || k >= 20) throw err;
      net = { ...netParams(seed), seed: net.seed + 1 };
    }
  }
  const d = buildDemand(built.net, built.tls, seconds, seed, out);
  return {
    name: `gen-${seed}-${net.kind}-${built.tls.length}s`,
    seed,
    scenario: { net: built.net, routes: [d.routes], additional: [] },
    net,
    demand: d.params,
    tls: built.tls,
    heavyLeftEdge: d.heavyLeftEdge,
    isolated: built.tls.length === 1,
  };
}
