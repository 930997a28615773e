// npm run bench:edge [-- --seconds 60] [--warmup 15] [--json FILE] [--engine wasm|twin]
//                    [--no-baseline] [--cpu-prof DIR] [--node-flags="--max-semi-space-size=2"]
//
// The edge's budget (issue #4): the synthetic site of ./synthetic-site.ts — 2,000 luminaires,
// 4 intersections (32 signal groups, 64 detectors at 10 Hz), 500 containers — on simulated drivers
// with real timers, a real SQLite outbox and the night-time lighting policy, run in a child process
// for a fixed window after a warm-up. Prints steady CPU (% of one core: process.cpuUsage over the
// window, and the median of 5 s slices) and RSS (MB, at the end and the peak of the slices).
// Targets: ≤ 10 % of one core, ≤ 100 MB RSS.
//
// The WASM engine is the figure; the same site on the TypeScript twins (CALLE_WASM=off) runs
// after it as the in-run baseline unless --no-baseline. One child at a time, so the two never
// compete for a core. `--json FILE` writes { cpuPercentOfOneCore, rssMb } of the measured engine.
// `--cpu-prof DIR` passes --cpu-prof to the children (open the .cpuprofile in Chrome DevTools);
// The children run with the Node flags the edge's systemd unit sets (its NODE_OPTIONS line in
// deploy/systemd/calle-edge.service), so the figure is the deployed one; `--node-flags=…`
// replaces them (`--node-flags=` for Node's bare defaults).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
import type { Engine } from '../../wasm/core.js';
import { EdgeSite } from '../site/edge-site.js';
import { openDatabase } from '../../common/sqlite/open-database.js';
import { Outbox } from '../store/outbox.js';
import { SplitRateSimulator } from './split-rate-simulator.js';
import { BUDGET_SITE, syntheticSite } from './synthetic-site.js';
import { EDGE_MIGRATIONS } from '../store/migrations.js';

export const TARGETS = { cpuPercentOfOneCore: 10, rssMb: 100 } as const;

/** The NODE_OPTIONS of the edge's systemd unit: how a cabinet runs calle. */
function unitNodeOptions(): string {
  const unit = readFileSync(
    fileURLToPath(new URL('../../deploy/systemd/calle-edge.service', import.meta.url)),
    'utf8',
  );
  return /^Environment=NODE_OPTIONS=(.*)$/m.exec(unit)?.[1]?.trim() ?? '';
}
/** 00:30 in Madrid on a winter night: lights on, dimmed by the policy, boosted by presence. */
const NIGHT_MS = Date.parse('2025-01-14T23:30:00Z');
const SLICE_S = 5;
const MB = 1024 * 1024;

interface ChildResult {
  engine: Engine;
  cpuPercentOfOneCore: number;
  cpuMedianSlicePercent: number;
  rssMb: number;
  rssPeakMb: number;
  heapUsedMb: number;
  seconds: number;
  ticks: number;
  outboxRows: number;
  /** Sanity: devices answering at the end, and the rules deciding the lighting groups. */
  devicesAvailable: number;
  lightingRules: string[];
}

const { values: args } = parseArgs({
  options: {
    child: { type: 'boolean', default: false },
    engine: { type: 'string' },
    seconds: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '15' },
    json: { type: 'string' },
    'no-baseline': { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    'node-flags': { type: 'string' },
  },
});
/** Only the parent reads the unit file; children get the flags on their command line. */
const nodeFlags = args.child ? '' : (args['node-flags'] ?? unitNodeOptions());

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const round1 = (x: number): number => Math.round(x * 10) / 10;

async function child(engine: Engine, seconds: number, warmupS: number): Promise<ChildResult> {
  const dir = mkdtempSync(join(tmpdir(), 'calle-bench-edge-'));
  const log = pino({ level: 'error' });
  const db = openDatabase(join(dir, 'edge.db'), EDGE_MIGRATIONS);
  const t0 = Date.now();
  const now = (): number => NIGHT_MS + (Date.now() - t0);
  const config = syntheticSite(BUDGET_SITE, join(dir, 'edge.db'));
  const outbox = new Outbox({ db, edgeId: config.edge.id, log, now });
  const site = new EdgeSite({
    config,
    sink: outbox,
    log,
    now,
    engine,
    drivers: [new SplitRateSimulator({ log, seed: 42, fastHz: 10 })],
  });
  try {
    site.start();
    await site.whenStarted();
    const applied = site.applyPolicy({
      version: 1,
      lighting: {
        steps: [
          { at: 'sunset', offsetMin: 0, levelPct: 100 },
          { at: '00:00', offsetMin: 0, levelPct: 50 },
          { at: 'sunrise', offsetMin: 0, levelPct: 0 },
        ],
        presenceLevelPct: 80,
        presenceHoldS: 30,
      },
    });
    if (!applied.applied) throw new Error(`bench policy refused: ${applied.reason}`);
    await sleep(warmupS * 1000);

    let ticks = 0;
    const tickAtStart = site.lastTickMs;
    const cpu0 = process.cpuUsage();
    const wall0 = process.hrtime.bigint();
    const slices: number[] = [];
    let rssPeak = 0;
    let prevCpu = cpu0;
    let prevWall = wall0;
    for (let s = 0; s < seconds; s += SLICE_S) {
      await sleep(Math.min(SLICE_S, seconds - s) * 1000);
      const c = process.cpuUsage();
      const w = process.hrtime.bigint();
      slices.push(
        (100 * (c.user - prevCpu.user + c.system - prevCpu.system)) / (Number(w - prevWall) / 1000),
      );
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      prevCpu = c;
      prevWall = w;
    }
    const cpu = process.cpuUsage(cpu0);
    const wallUs = Number(process.hrtime.bigint() - wall0) / 1000;
    const mem = process.memoryUsage();
    // With --expose-gc in --node-flags: the heap that survives a full collection (retained, not churn).
    (globalThis as { gc?: () => void }).gc?.();
    const retainedMb = round1(process.memoryUsage().heapUsed / MB);
    if (process.env.CALLE_BENCH_RETAINED) console.error(`retained heap after a full GC: ${retainedMb} MB`);
    if (site.lastTickMs !== undefined && tickAtStart !== undefined)
      ticks = Math.round((site.lastTickMs - tickAtStart) / 1000);
    return {
      engine,
      cpuPercentOfOneCore: round1((100 * (cpu.user + cpu.system)) / wallUs),
      cpuMedianSlicePercent: round1(median(slices)),
      rssMb: round1(mem.rss / MB),
      rssPeakMb: round1(Math.max(rssPeak, mem.rss) / MB),
      heapUsedMb: round1(mem.heapUsed / MB),
      seconds: round1(wallUs / 1e6),
      ticks,
      outboxRows: outbox.stats().pending,
      devicesAvailable: site.devices().filter((d) => d.available).length,
      lightingRules: [
        ...new Set(site.lightingGroups().map((g) => /^[a-z-]+/.exec(g.reason)?.[0] ?? g.reason)),
      ].sort(),
    };
  } finally {
    await site.stop();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function runChild(engine: Engine, compiled: string): ChildResult {
  const prof = args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${args['cpu-prof']}`] : [];
  const flags = nodeFlags.split(' ').filter((f) => f !== '');
  const r = spawnSync(
    process.execPath,
    [
      ...flags,
      ...prof,
      join(compiled, 'edge/bench/edge-budget.js'),
      '--child',
      '--engine',
      engine,
      '--seconds',
      args.seconds,
      '--warmup',
      args.warmup,
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
      env: { ...process.env, CALLE_WASM: engine === 'twin' ? 'off' : 'on' },
    },
  );
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  if (r.status !== 0 || !line.startsWith('{'))
    throw new Error(`bench child (${engine}) failed: status ${r.status}\n${r.stdout}`);
  return JSON.parse(line) as ChildResult;
}

function verdict(value: number, target: number): string {
  return value <= target ? `within ${target}` : `OVER ${target}`;
}

async function main(): Promise<void> {
  const seconds = Number(args.seconds);
  const warmup = Number(args.warmup);
  if (!(seconds >= SLICE_S) || !(warmup >= 0)) throw new Error('--seconds must be ≥ 5 and --warmup ≥ 0');
  const engine: Engine = args.engine === 'twin' ? 'twin' : 'wasm';
  if (args.engine !== undefined && args.engine !== 'wasm' && args.engine !== 'twin')
    throw new Error(`--engine must be wasm or twin, got ${args.engine}`);
  if (args.child) {
    process.stdout.write(`${JSON.stringify(await child(engine, seconds, warmup))}\n`);
    return;
  }
  const s = BUDGET_SITE;
  console.log(
    `bench:edge — ${s.luminaires} luminaires, ${s.intersections} intersections (${s.intersections * 8} signal groups, ` +
      `${s.intersections * 16} detectors at 10 Hz), ${s.containers} containers; ${warmup} s warm-up, ${seconds} s window, node ${process.version} ${nodeFlags || '(no flags)'}`,
  );
  // The child runs compiled JavaScript under plain node, as the cabinet does (./compile-for-node.ts).
  // Imported here, not at the top: the TypeScript compiler would add ~50 MB to the child's RSS.
  const { compileForNode } = await import('./compile-for-node.js');
  const compiled = compileForNode(fileURLToPath(new URL('../..', import.meta.url)));
  const engines: Engine[] = args['no-baseline'] || args.engine !== undefined ? [engine] : [engine, 'twin'];
  const results = engines.map((e) => {
    const r = runChild(e, compiled);
    console.log(
      `  ${e.padEnd(4)}  CPU ${String(r.cpuPercentOfOneCore).padStart(5)} % of one core (median 5 s slice ${r.cpuMedianSlicePercent} %)` +
        `  RSS ${r.rssMb} MB (peak ${r.rssPeakMb}, heap ${r.heapUsedMb})  ticks ${r.ticks}/${Math.round(r.seconds)} s  outbox rows ${r.outboxRows}` +
        `  devices up ${r.devicesAvailable}  lighting rules ${r.lightingRules.join(', ')}`,
    );
    return r;
  });
  const main = results[0]!;
  console.log(
    `targets: CPU ${main.cpuPercentOfOneCore} % (${verdict(main.cpuPercentOfOneCore, TARGETS.cpuPercentOfOneCore)}), ` +
      `RSS ${main.rssMb} MB (${verdict(main.rssMb, TARGETS.rssMb)})`,
  );
  if (results[1])
    console.log(
      `baseline (twin): CPU ×${round1(results[1].cpuPercentOfOneCore / main.cpuPercentOfOneCore)} of ${main.engine}`,
    );
  if (args.json)
    writeFileSync(
      args.json,
      `${JSON.stringify({ cpuPercentOfOneCore: main.cpuPercentOfOneCore, rssMb: main.rssMb })}\n`,
    );
}

await main();
