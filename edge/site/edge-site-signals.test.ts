import test from 'ava';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadEdgeConfig } from '../config/load-config.js';
import { SimulatedDriver } from '../devices/simulated-driver.js';
import type { EdgeEvent, TelemetryReading, TelemetrySink } from '../telemetry-sink.js';
import { testLogger } from '../../common/testing/temp-dir.js';
import { EdgeSite } from './edge-site.js';

const EXAMPLE = path.join(path.dirname(fileURLToPath(import.meta.url)), '../examples/madrid-street.json');
const X = 'atocha-x-magdalena';

class MemorySink implements TelemetrySink {
  readonly events: EdgeEvent[] = [];
  record(_readings: readonly TelemetryReading[]): void {}
  raise(event: EdgeEvent): void {
    this.events.push(event);
  }
}

async function exampleSite(t: import('ava').ExecutionContext) {
  let now = Date.parse('2025-01-15T22:00:00Z');
  const sink = new MemorySink();
  const log = testLogger();
  const site = new EdgeSite({
    config: loadEdgeConfig(EXAMPLE),
    sink,
    log,
    now: () => now,
    tickMs: 0,
    drivers: [new SimulatedDriver({ log, seed: 42 })],
  });
  t.teardown(async () => site.stop());
  site.start();
  await site.whenStarted();
  const run = (seconds: number): void => {
    for (let i = 0; i < seconds * 2; i++) {
      now += 500;
      site.tick();
    }
  };
  const aspects = () =>
    site
      .devices()
      .filter((d) => d.kind === 'signal-head')
      .map((d) => d.state.aspect);
  return { site, sink, run, aspects };
}

test('site signals — an engineer’s flash drains the stage, flashes, and a restore returns to the plan', async (t) => {
  const { site, sink, run, aspects } = await exampleSite(t);
  run(10);
  t.like(site.signalStates()[0], { id: X, operation: 'plan', mode: 'fixed-time' });
  t.like(site.flashIntersection('nowhere', 'eva'), {
    ok: false,
    reason: 'unknown intersection "nowhere"',
  });
  t.like(site.flashIntersection(X, 'eva'), { ok: true });
  run(0.5);
  t.like(site.signalStates()[0], { operation: 'entering-flash', manualFlash: { actor: 'eva' } });
  t.false(aspects().includes('flash'), 'no head flashes before the stage has drained');
  run(40);
  t.like(site.signalStates()[0], { operation: 'manual-flash' });
  t.true(aspects().every((a) => a === 'flash'));
  t.is(site.devices().find((d) => d.id === 'sig-ew')!.reason, 'manual flash: by eva');
  t.like(
    sink.events.find((e) => e.code === 'SIGNAL_MANUAL_FLASH'),
    { active: true, severity: 'warning' },
  );
  t.false(
    sink.events.some((e) => e.code === 'SIGNAL_FLASH_LATCHED'),
    'a manual flash is not a fault',
  );

  t.like(site.restoreIntersection(X, 'eva'), { ok: true });
  run(1);
  t.true(
    aspects().every((a) => a === 'red'),
    'all red first',
  );
  run(20);
  t.like(site.signalStates()[0], { operation: 'plan' });
  t.true(aspects().includes('green'));
  t.like(sink.events.filter((e) => e.code === 'SIGNAL_MANUAL_FLASH').at(-1), { active: false });
  t.like(site.restoreIntersection(X, 'eva'), { ok: false, reason: 'not in manual flash' });
});

test('site signals — a policy’s signal timing is staged until the cycle boundary', async (t) => {
  const { site, run } = await exampleSite(t);
  run(10);
  t.is(site.stagedPolicy(), undefined);
  const applied = site.applyPolicy({
    version: 5,
    traffic: { cycleS: 80, minGreenS: 7, yellowS: 4, allRedS: 2 },
  });
  t.deepEqual(applied, { applied: true });
  t.deepEqual(site.stagedPolicy(), { version: 5, waitingFor: [X] });
  t.like(site.signalStates()[0], { timingPending: true });
  run(150);
  t.is(site.stagedPolicy(), undefined, 'in force after one cycle');
});
