// npm run bench:wasm [-- --json FILE] [--rounds N] [--only pipeline|waste|detector|lighting]
//
// Each heavy kernel on identical data in three implementations, interleaved round by round in one
// run: the WASM core (through the edge's own kernel objects, views in WASM memory), the TypeScript
// twin (same objects, engine 'twin'), and the C reference of the same algorithm
// (wasm/bench/reference.c, compiled with `gcc -O3` into a temp dir when gcc is present; it runs as a
// child process and times itself). Every pass starts from fresh state, copies each step's inputs
// into the kernel's arrays (as a driver would) and steps through the whole data. Prints the median
// ns per sample (one sample = one channel × one step) and the ratios; checksums must agree.
//
// Kernels: the filter pipeline (Hampel 5 → EMA → trend) over 1024 channels × 200 steps; waste fill
// estimation over 500 containers × 30 days hourly; detector processing for 64 detectors at 10 Hz
// for 10 min, handed over a second (10 ticks) at a time; lighting for 2,000 luminaires × 100 ticks.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DetectorBatch,
  FilterPipeline,
  LightingBatch,
  WasteBatch,
  coreVariant,
  type Engine,
} from '../core.js';
import { mulberry32 as rng } from '../../common/random/seeded-random.js';

interface Kernel {
  name: string;
  /** C name, channels, steps, inputs per channel per step. */
  c: string;
  n: number;
  steps: number;
  width: number;
  data: Float64Array;
  /** A runner for one engine: a fresh pass over the data, returning a checksum. */
  make(engine: Engine): () => number;
}

function pipelineKernel(): Kernel {
  const n = 1024;
  const steps = 200;
  const r = rng(1);
  const data = new Float64Array(n * steps);
  for (let s = 0; s < steps; s++) {
    for (let c = 0; c < n; c++) {
      const u = r();
      // A slow wave with noise, 1 % spikes and 1 % dropouts.
      data[s * n + c] =
        u < 0.01 ? Number.NaN : u < 0.02 ? 500 : 20 + 5 * Math.sin((s + c) / 15) + (r() - 0.5);
    }
  }
  return {
    name: 'filter pipeline (Hampel 5 + EMA + trend)',
    c: 'pipeline',
    n,
    steps,
    width: 1,
    data,
    make(engine) {
      const p = new FilterPipeline(
        n,
        { hampel: { size: 5, k: 3, floor: 0.5 }, alpha: 0.2, lambda: 0.98 },
        engine,
      );
      const f = frames(data, n, steps, 1);
      return () => {
        p.reset();
        let sum = 0;
        for (let s = 0; s < steps; s++) {
          p.input.set(f[s]![0]!);
          sum += p.step();
        }
        for (let c = 0; c < n; c++) {
          if (p.smooth[c] === p.smooth[c]) sum += p.smooth[c]!;
          if (p.slope[c] === p.slope[c]) sum += p.slope[c]!;
        }
        return sum;
      };
    },
  };
}

function wasteKernel(): Kernel {
  const n = 500;
  const steps = 30 * 24;
  const r = rng(2);
  const data = new Float64Array(n * steps * 2);
  // Simulated hourly ultrasonic readings (REFERENCE §4): bursty filling (mean 3.5 cm/day),
  // emptying every ~9.5 days, 11.8 % no echo (254 cm), 1.35 % spikes, 1 cm resolution, and a
  // daily temperature swing.
  for (let c = 0; c < n; c++) {
    const depth = 100 + (c % 5) * 20;
    let fill = r() * 30;
    let nextEmpty = Math.floor(r() * 228);
    for (let s = 0; s < steps; s++) {
      if (r() < 0.05) fill += r() * 3.5 * 24 * 0.4; // a burst, averaging 3.5 cm/day
      if (s === nextEmpty) {
        fill = 0;
        nextEmpty = s + 180 + Math.floor(r() * 96);
      }
      fill = Math.min(fill, depth - 10);
      const temp = 15 + 8 * Math.sin((2 * Math.PI * (s % 24)) / 24);
      const u = r();
      const distance = u < 0.118 ? 254 : u < 0.1315 ? Math.round(r() * depth) : Math.round(depth - fill);
      data[s * 2 * n + c] = distance;
      data[s * 2 * n + n + c] = temp;
    }
  }
  return {
    name: 'waste fill estimation (500 × 30 d hourly)',
    c: 'waste',
    n,
    steps,
    width: 2,
    data,
    make(engine) {
      const b = new WasteBatch(n, {}, engine);
      for (let c = 0; c < n; c++) b.depthCm[c] = 100 + (c % 5) * 20;
      b.fullAt.fill(0.8);
      const f = frames(data, n, steps, 2);
      return () => {
        b.reset();
        for (let s = 0; s < steps; s++) {
          b.distanceCm.set(f[s]![0]!);
          b.temperatureC.set(f[s]![1]!);
          b.step(1);
        }
        let sum = 0;
        for (let c = 0; c < n; c++) sum += b.fill[c]! + b.rate[c]!;
        return sum;
      };
    },
  };
}

function detectorKernel(): Kernel {
  const n = 64;
  const steps = 6000;
  const r = rng(3);
  const data = new Float64Array(n * steps * 2);
  const left = new Float64Array(n);
  for (let s = 0; s < steps; s++) {
    for (let c = 0; c < n; c++) {
      // Vehicles arrive at random (about 600 veh/h) and occupy the loop 0.3–0.6 s; 90 s cycle.
      if (left[c]! > 0) left[c] = left[c]! - 1;
      else if (r() < 600 / 36000) left[c] = 3 + Math.floor(r() * 4);
      data[s * 2 * n + c] = left[c]! > 0 ? 1 : 0;
      data[s * 2 * n + n + c] = (s + c * 7) % 900 < 400 ? 1 : 0;
    }
  }
  return {
    name: 'detector processing (64 at 10 Hz)',
    c: 'detector',
    n,
    steps,
    width: 2,
    data,
    make(engine) {
      // One call per second of samples (10 ticks), as the edge hands over its ring of readings;
      // the C reference still steps tick by tick (its per-call cost is a plain function call).
      const block = 10;
      const d = new DetectorBatch(n, { tauS: 60, frameTicks: block }, engine);
      const blocks = Array.from({ length: steps / block }, (_, b) =>
        data.subarray(b * block * 2 * n, (b + 1) * block * 2 * n),
      );
      return () => {
        d.reset();
        for (const frames of blocks) {
          d.frames.set(frames);
          d.stepFrames(block, 0.1);
        }
        let sum = 0;
        for (let c = 0; c < n; c++) sum += d.views.flowVph[c]! + d.views.queueVeh[c]! + d.views.count[c]!;
        return sum;
      };
    },
  };
}

function lightingKernel(): Kernel {
  const n = 2000;
  const steps = 100;
  const r = rng(4);
  const data = new Float64Array(n * steps * 4);
  for (let s = 0; s < steps; s++) {
    const at = s * 4 * n;
    for (let c = 0; c < n; c++) {
      data[at + c] = Math.floor(r() * 4) - 1 + (r() < 0.5 ? 0.5 : 0); // weightSum
      data[at + n + c] = 60 + 40 * Math.round(r()); // schedulePct
      data[at + 2 * n + c] = r() < 0.05 ? 1 : 0; // presence
      data[at + 3 * n + c] = s < 30 ? 80 - 2 * s + r() * 10 : r() * 25; // dusk: lux falling
    }
  }
  return {
    name: 'lighting (2,000 luminaires)',
    c: 'lighting',
    n,
    steps,
    width: 4,
    data,
    make(engine) {
      const b = new LightingBatch(n, { onLux: 30, offLux: 60, rampUpS: 2, rampDownS: 10 }, engine);
      for (let c = 0; c < n; c++) {
        b.setup(c, {
          designClass: 3 + (c % 2),
          series: c % 2 ? 'P' : 'M',
          ratedW: 100,
          boostPct: 100,
          holdS: 60,
        });
      }
      const v = b.views;
      const f = frames(data, n, steps, 4);
      return () => {
        b.reset();
        for (let s = 0; s < steps; s++) {
          const [weights, schedule, presence, lux] = f[s]!;
          v.weightSum.set(weights!);
          v.schedulePct.set(schedule!);
          v.presence.set(presence!);
          v.lux.set(lux!);
          b.step(1);
        }
        let sum = 0;
        for (let c = 0; c < n; c++) sum += v.energyWh[c]! + v.daliLevel[c]!;
        return sum;
      };
    },
  };
}

/**
 * Step s's inputs, sliced once at set-up: creating a subarray costs about as much as a small
 * kernel call, and a driver writes its readings in place anyway.
 */
function frames(data: Float64Array, n: number, steps: number, width: number): Float64Array[][] {
  return Array.from({ length: steps }, (_, s) =>
    Array.from({ length: width }, (_, f) => data.subarray((s * width + f) * n, (s * width + f + 1) * n)),
  );
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function args(): { json?: string; rounds: number; only?: string } {
  const argv = process.argv.slice(2);
  const at = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const rounds = Number(at('--rounds') ?? 9);
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new Error(`--rounds: must be a positive integer, got ${at('--rounds')}`);
  return { json: at('--json'), rounds, only: at('--only') };
}

function compileC(dir: string): string | undefined {
  const exe = join(dir, 'reference');
  const source = join(import.meta.dirname, 'reference.c');
  const r = spawnSync('gcc', ['-O3', '-o', exe, source, '-lm'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    console.log(`gcc not available or failed (${r.error?.message ?? r.stderr.trim()}): no C column`);
    return undefined;
  }
  return exe;
}

function runC(exe: string, k: Kernel, file: string): { ns: number; checksum: number } {
  const r = spawnSync(exe, [k.c, String(k.n), String(k.steps), file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`reference ${k.c}: exit ${r.status}: ${r.stderr}`);
  const [ns, checksum] = r.stdout.trim().split(' ').map(Number);
  return { ns: ns!, checksum: checksum! };
}

const { json, rounds, only } = args();
const dir = mkdtempSync(join(tmpdir(), 'calle-bench-'));
try {
  const exe = compileC(dir);
  const kernels = [pipelineKernel(), wasteKernel(), detectorKernel(), lightingKernel()].filter(
    (k) => only === undefined || k.c === only,
  );
  if (kernels.length === 0)
    throw new Error(`--only: must be pipeline, waste, detector or lighting, got ${only}`);
  const results: { name: string; wasmNs: number; cNs: number | null; tsNs: number; checksums: string }[] = [];
  for (const k of kernels) {
    const file = join(dir, `${k.c}.f64`);
    writeFileSync(file, k.data);
    const wasm = k.make('wasm');
    const twin = k.make('twin');
    const samples = k.n * k.steps;
    // Warm both JITs before timing (REFERENCE §5: first calls run baseline code).
    const sums = { wasm: wasm(), twin: twin(), c: Number.NaN };
    wasm();
    twin();
    const times = { wasm: [] as number[], twin: [] as number[], c: [] as number[] };
    for (let round = 0; round < rounds; round++) {
      let t0 = process.hrtime.bigint();
      wasm();
      times.wasm.push(Number(process.hrtime.bigint() - t0) / samples);
      t0 = process.hrtime.bigint();
      twin();
      times.twin.push(Number(process.hrtime.bigint() - t0) / samples);
      if (exe) {
        const c = runC(exe, k, file);
        times.c.push(c.ns);
        sums.c = c.checksum;
      }
    }
    const agree = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a));
    const checksums =
      agree(sums.wasm, sums.twin) && (!exe || agree(sums.wasm, sums.c))
        ? 'agree'
        : `DIFFER wasm ${sums.wasm} ts ${sums.twin} c ${sums.c}`;
    results.push({
      name: k.name,
      wasmNs: median(times.wasm),
      tsNs: median(times.twin),
      cNs: exe ? median(times.c) : null,
      checksums,
    });
  }

  console.log(`\nWASM core: ${coreVariant} build; ${rounds} interleaved rounds; median ns per sample\n`);
  const head = ['kernel', 'WASM', 'C -O3', 'TS twin', 'WASM/C', 'TS/WASM', 'checksums'];
  const rows = results.map((r) => [
    r.name,
    r.wasmNs.toFixed(2),
    r.cNs === null ? '-' : r.cNs.toFixed(2),
    r.tsNs.toFixed(2),
    r.cNs === null ? '-' : (r.wasmNs / r.cNs).toFixed(2),
    (r.tsNs / r.wasmNs).toFixed(2),
    r.checksums,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  for (const row of [head, ...rows]) {
    console.log(
      row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '),
    );
  }
  console.log(
    '\nTargets: WASM/C ≤ 1.0 on the filter pipeline and ≤ 1.2 on every kernel; TS/WASM ≥ 3 on the filter pipeline.',
  );
  if (json) {
    writeFileSync(
      json,
      `${JSON.stringify({ variant: coreVariant, rounds, kernels: results.map(({ name, wasmNs, cNs, tsNs }) => ({ name, wasmNs, cNs, tsNs })) }, null, 2)}\n`,
    );
    console.log(`wrote ${json}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
