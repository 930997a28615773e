// The WASM core's memory stays put: a million kernel calls neither grow WASM memory (which would
// detach every view the edge holds) nor take from the arena.

import test from 'ava';
import { DetectorBatch, FilterPipeline, LightingBatch, WasteBatch } from './core.js';
import { core } from './instance.js';

test('memory — 10^6 kernel calls leave WASM memory and the arena unchanged', (t) => {
  const pipeline = new FilterPipeline(5, { hampel: { size: 5, k: 3, floor: 1 }, alpha: 0.2, lambda: 0.95 });
  const waste = new WasteBatch(3);
  const lights = new LightingBatch(3);
  const detectors = new DetectorBatch(3, { tauS: 60 });
  const bytes = core.memory.buffer.byteLength;
  const free = core.arenaBytesFree();
  let calls = 0;
  for (let i = 0; calls < 1_000_000; i++) {
    pipeline.input.fill(i % 17);
    pipeline.step(); // three kernel calls
    waste.distanceCm.fill(100 - (i % 50));
    waste.step(1);
    lights.views.presence.fill(i % 3 === 0 ? 1 : 0);
    lights.step(0.1);
    detectors.views.occupied.fill(i % 7 < 2 ? 1 : 0);
    detectors.step(0.1);
    calls += 6;
  }
  t.is(core.memory.buffer.byteLength, bytes);
  t.is(core.arenaBytesFree(), free);
  // The views are still attached and still live: a write through one reaches the kernel.
  t.is(pipeline.input.length, 5);
  t.true(Number.isFinite(pipeline.smooth[0]!) && Number.isFinite(lights.views.energyWh[0]!));
});
