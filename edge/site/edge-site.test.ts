import test from 'ava';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadEdgeConfig } from '../config/load-config.js';
import { SimulatedDriver } from '../devices/simulated-driver.js';
import type { EdgeEvent, TelemetryReading, TelemetrySink } from '../telemetry-sink.js';
import { withDesignLighting } from '../test-support/design-lighting.js';
import { testLogger } from '../../common/testing/temp-dir.js';
import { EdgeSite } from './edge-site.js';

const EXAMPLE = path.join(path.dirname(fileURLToPath(import.meta.url)), '../examples/madrid-street.json');

class MemorySink implements TelemetrySink {
  readonly batches: TelemetryReading[][] = [];
  readonly events: EdgeEvent[] = [];
  record(readings: readonly TelemetryReading[]): void {
    this.batches.push([...readings]);
  }
  raise(event: EdgeEvent): void {
    this.events.push(event);
  }
}

/** The example site on a fake clock, with the simulator exposed; stopped when the test ends. */
async function exampleSite(t: import('ava').ExecutionContext, startIso: string) {
  let now = Date.parse(startIso);
  const sink = new MemorySink();
  const log = testLogger();
  const sim = new SimulatedDriver({ log, seed: 42 });
  const site = new EdgeSite({
    config: withDesignLighting(loadEdgeConfig(EXAMPLE)),
    sink,
    log,
    now: () => now,
    tickMs: 0,
    drivers: [sim],
  });
  t.teardown(async () => site.stop());
  site.start();
  await site.whenStarted();
  const run = (seconds: number): void => {
    for (let i = 0; i < seconds; i++) {
      now += 1000;
      site.tick();
    }
  };
  const view = (id: string) => site.devices().find((d) => d.id === id)!;
  return { site, sink, sim, run, view, advance: (ms: number) => (now += ms) };
}

test('site — the Madrid example runs: lights on at night, signals cycle, telemetry every 5 s', async (t) => {
  const { site, sink, run, view } = await exampleSite(t, '2025-01-15T22:00:00Z');
  const aspects = new Set<string>();
  const off = site.onChange((changed) => {
    for (const d of changed)
      if (d.id === 'sig-ns' && typeof d.state.aspect === 'string') aspects.add(d.state.aspect);
  });
  run(120);
  off();
  t.like(view('lum-01'), { available: true, group: 'atocha-west', state: { level: 100, power: 60.5 } });
  t.is(view('lum-01').reason, 'default: sunset+0 → 100 %');
  t.deepEqual([...aspects].sort(), ['green', 'red', 'yellow']);
  t.regex(view('sig-ew').reason ?? '', /^plan: stage \d\/2 /);
  t.is(sink.batches.length, 24);
  const metrics = new Set(sink.batches.flat().map((r) => `${r.deviceId}/${r.metric}`));
  for (const m of [
    'lum-01/level.pct',
    'lum-01/power.w',
    'sig-ns/aspect.code',
    'det-n/count.veh',
    'det-n/occupancy.pct',
    'fill-01/fill.pct',
  ]) {
    t.true(metrics.has(m), m);
  }
  t.false(
    [...metrics].some((m) => m.endsWith('/distance')),
    'raw distance is not reported',
  );
  t.deepEqual(sink.events, []);
});

test('site — by day the lights are off and say why', async (t) => {
  const { run, view } = await exampleSite(t, '2025-01-15T12:00:00Z');
  run(2);
  t.like(view('lum-17'), { state: { level: 0, power: 0.5 } });
  t.regex(view('lum-17').reason ?? '', /^day: sunrise/);
});

test('site — a failing device is unavailable with an event, the others carry on, and it clears', async (t) => {
  const { site, sink, sim, run, view } = await exampleSite(t, '2025-01-15T22:00:00Z');
  run(3);
  sim.fail('lum-03', 'DALI bus: no answer');
  run(5);
  t.like(view('lum-03'), { available: false, lastError: 'DALI bus: no answer' });
  t.deepEqual(
    sink.events.map((e) => [e.deviceId, e.code, e.active]),
    [['lum-03', 'DEVICE_UNAVAILABLE', true]],
  );
  // The rest of the street follows a new policy while lum-03 is gone.
  const applied = site.applyPolicy({ version: 1, lighting: { steps: [{ at: 'sunset', levelPct: 40 }] } });
  t.deepEqual(applied, { applied: true });
  run(1);
  t.like(view('lum-01'), { available: true, state: { level: 40 } });
  t.like(view('lum-08'), { available: true, state: { level: 40 } });
  t.like(view('det-n'), { available: true });
  t.like(view('lum-03'), { state: { level: 100 } }, 'last known value kept');
  // Back: the alarm clears once and the level is re-asserted.
  sim.recover('lum-03');
  run(2);
  t.like(view('lum-03'), { available: true, state: { level: 40 } });
  t.is(view('lum-03').lastError, undefined);
  t.deepEqual(
    sink.events.filter((e) => e.code === 'DEVICE_UNAVAILABLE').map((e) => e.active),
    [true, false],
  );
});

test('site — applyPolicy rejects a 2 s yellow, naming traffic.yellow_s, and changes nothing', async (t) => {
  const { site, run, view } = await exampleSite(t, '2025-01-15T22:00:00Z');
  run(2);
  const result = site.applyPolicy({
    version: 3,
    lighting: { steps: [{ at: 'sunset', levelPct: 30 }] },
    traffic: { cycleS: 80, minGreenS: 7, yellowS: 2, allRedS: 2 },
  });
  t.false(result.applied);
  if (!result.applied) t.is(result.reason, 'traffic.yellow_s: 2 s is outside 3..6 s');
  t.is(site.policyVersion, 0);
  run(1);
  t.like(view('lum-01'), { state: { level: 100 }, reason: 'default: sunset+0 → 100 %' });

  t.deepEqual(site.applyPolicy({ version: 3, waste: { collectAtFill: 0.7 } }), { applied: true });
  t.is(site.policyVersion, 3);
  const stale = site.applyPolicy({ version: 2, waste: { collectAtFill: 0.9 } });
  t.like(stale, { applied: false, reason: 'version: 2 is not newer than the applied 3' });
  const several = site.applyPolicy({
    version: 4,
    lighting: { steps: [{ at: '24:00', levelPct: 120 }] },
    waste: { collectAtFill: 2 },
  });
  t.false(several.applied);
  if (!several.applied) {
    t.is(
      several.reason,
      'lighting.steps[0].at: "24:00" must be "sunset", "sunrise" or "HH:MM"; lighting.steps[0].level_pct: 120 is outside 0..100; waste.collect_at_fill: 2 is outside (0, 1]',
    );
  }
});

test('site — a failed signal head latches flash; a remote clear is refused, a local one restarts', async (t) => {
  const { site, sink, sim, run, view } = await exampleSite(t, '2025-01-15T22:00:00Z');
  run(10);
  sim.fail('ped-ns', 'lamp driver timeout');
  run(1);
  for (const head of ['sig-ew', 'sig-ns', 'ped-ew']) t.like(view(head), { state: { aspect: 'flash' } }, head);
  t.is(view('sig-ew').reason, 'flash: head ped-ns unavailable');
  t.true(sink.events.some((e) => e.code === 'SIGNAL_FLASH_LATCHED' && e.active && e.severity === 'critical'));
  sim.recover('ped-ns');
  run(5);
  t.like(view('sig-ew'), { state: { aspect: 'flash' } }, 'recovery alone does not clear the latch');
  t.like(site.clearSignalLatch('atocha-x-magdalena', 'remote'), {
    cleared: false,
    reason: 'a latched flash can only be cleared locally, at the cabinet',
  });
  run(1);
  t.like(view('sig-ew'), { state: { aspect: 'flash' } });
  t.like(site.clearSignalLatch('atocha-x-magdalena', 'local'), { cleared: true });
  run(1);
  t.like(view('sig-ew'), { state: { aspect: 'red' } }, 'restarts in all-red');
  run(3);
  t.like(view('sig-ew'), { state: { aspect: 'green' } });
});

test('site — a throwing change listener does not stop the others or the loop', async (t) => {
  const { site, run } = await exampleSite(t, '2025-01-15T22:00:00Z');
  let calls = 0;
  site.onChange(() => {
    throw new Error('listener bug');
  });
  site.onChange(() => calls++);
  run(3);
  t.true(calls >= 1);
});
