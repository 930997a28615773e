import test from 'ava';
import { testLogger } from '../../common/testing/temp-dir.js';
import { BUILT_IN_TYPES } from './catalogue.js';
import type { DriverDevice, DriverUpdate } from './driver.js';
import { SimulatedDriver } from './simulated-driver.js';

const def = (name: string) => BUILT_IN_TYPES.find((d) => d.name === name)!;

async function started(devices: DriverDevice[]): Promise<{ sim: SimulatedDriver; updates: DriverUpdate[] }> {
  const sim = new SimulatedDriver({ log: testLogger(), seed: 7 });
  const updates: DriverUpdate[] = [];
  sim.subscribe((u) => updates.push(u));
  await sim.start(devices);
  return { sim, updates };
}

test('simulated driver — luminaire power follows its level', async (t) => {
  const { sim } = await started([
    { id: 'lum', definition: def('dali-led-luminaire'), params: { ratedW: 40 } },
  ]);
  await sim.write('lum', 'level', 50);
  t.like(await sim.read('lum'), { level: 50, power: 20.5 });
  await sim.write('lum', 'level', 0);
  t.like(await sim.read('lum'), { level: 0, power: 0.5 });
  await t.throwsAsync(sim.write('lum', 'level', 120), { message: /outside \[0, 100\]/ });
  await t.throwsAsync(sim.write('lum', 'power', 3), { message: /not writable/ });
});

test('simulated driver — loop detector counts random arrivals at about its rate', async (t) => {
  const { sim } = await started([
    { id: 'det', definition: def('inductive-loop'), params: { ratePerHour: 720 } },
  ]);
  for (let s = 0; s <= 3600; s++) sim.sample(s * 1000);
  const { count } = await sim.read('det');
  t.true((count as number) > 600 && (count as number) < 840, `count ${String(count)}`);
});

test('simulated driver — fill sensor distance falls as the container fills, with no-echo readings', async (t) => {
  const { sim, updates } = await started([
    { id: 'fill', definition: def('ultrasonic-fill'), params: { depthCm: 150, fillCmPerDay: 20 } },
  ]);
  for (let h = 0; h <= 24 * 3; h++) sim.sample(h * 3_600_000);
  const distances = updates.flatMap((u) => ('values' in u ? [u.values.distance as number] : []));
  const real = distances.filter((d) => d < 250);
  t.true(
    distances.some((d) => d === 254),
    'some readings are no-echo',
  );
  t.true(real[real.length - 1]! < real[0]!, 'distance falls');
});

test('simulated driver — a failed device reports errors while the others keep sampling', async (t) => {
  const { sim, updates } = await started([
    { id: 'a', definition: def('inductive-loop'), params: {} },
    { id: 'b', definition: def('inductive-loop'), params: {} },
  ]);
  sim.fail('a', 'bus timeout');
  sim.sample(0);
  t.deepEqual(updates, [
    { deviceId: 'a', timeMs: 0, error: 'bus timeout' },
    { deviceId: 'b', timeMs: 0, values: { count: 0, occupancy: 0 } },
  ]);
  await t.throwsAsync(sim.read('a'), { message: 'bus timeout' });
  sim.recover('a');
  t.like(await sim.read('a'), { count: 0 });
});
