import test, { type ExecutionContext } from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkEdgeConfig, loadEdgeConfig } from '../config/load-config.js';
import { madridHHMM } from '../control/madrid-time.js';
import { SimulatedDriver } from '../devices/simulated-driver.js';
import type { EdgeEvent, TelemetryReading, TelemetrySink } from '../telemetry-sink.js';
import { withDesignLighting } from '../test-support/design-lighting.js';
import { testLogger } from '../../common/testing/temp-dir.js';
import { EdgeSite } from './edge-site.js';

const EXAMPLE = path.join(path.dirname(fileURLToPath(import.meta.url)), '../examples/madrid-street.json');

class MemorySink implements TelemetrySink {
  readonly readings: TelemetryReading[] = [];
  readonly events: EdgeEvent[] = [];
  record(readings: readonly TelemetryReading[]): void {
    this.readings.push(...readings);
  }
  raise(event: EdgeEvent): void {
    this.events.push(event);
  }
}

async function site(t: ExecutionContext, startMs: number, engine: 'wasm' | 'twin' = 'wasm') {
  let now = startMs;
  const sink = new MemorySink();
  const log = testLogger();
  const s = new EdgeSite({
    config: withDesignLighting(loadEdgeConfig(EXAMPLE)),
    sink,
    log,
    now: () => now,
    tickMs: 0,
    drivers: [new SimulatedDriver({ log, seed: 7 })],
    engine,
  });
  t.teardown(async () => s.stop());
  s.start();
  await s.whenStarted();
  const run = (seconds: number): void => {
    for (let i = 0; i < seconds; i++) {
      now += 1000;
      s.tick();
    }
  };
  const view = (id: string) => s.devices().find((d) => d.id === id)!;
  return { site: s, sink, run, view, now: () => now };
}

const NIGHT = Date.parse('2025-01-15T22:00:00Z');

for (const engine of ['wasm', 'twin'] as const) {
  test(`site lighting (${engine}) — an override lease holds a group, names its actor, and expires`, async (t) => {
    const { site: s, sink, run, view, now } = await site(t, NIGHT, engine);
    run(2);
    const result = s.overrideLighting('atocha-west', 30, 600, 'ana');
    t.true(result.ok);
    if (!result.ok) return;
    t.is(result.expiresMs, now() + 600_000);
    run(1);
    t.like(view('lum-01'), {
      state: { level: 30 },
      reason: `override by ana until ${madridHHMM(result.expiresMs)} → 30 %`,
    });
    t.like(
      view('lum-17'),
      { state: { level: 100 }, reason: 'default: sunset+0 → 100 %' },
      'other groups untouched',
    );
    run(600);
    t.like(view('lum-01'), { state: { level: 100 }, reason: 'default: sunset+0 → 100 %' });
    t.deepEqual(
      sink.events.filter((e) => e.code === 'LIGHTING_OVERRIDE').map((e) => e.active),
      [true, false],
      'granted, then expired',
    );
  });
}

// Regression: the site clamped to the driver's minimum after the controller had written the
// reason and counted the energy, so a luminaire ran at 1 % while its reason said 0.5 %.
test('site lighting — below its driver minimum a luminaire is commanded the minimum, and its reason says so', async (t) => {
  const { site: s, run, view } = await site(t, NIGHT);
  run(2);
  const result = s.overrideLighting('atocha-west', 0.5, 600, 'ana');
  if (!result.ok) return t.fail(result.reason);
  run(2);
  const until = madridHHMM(result.expiresMs);
  t.like(view('lum-01'), {
    state: { level: 1 },
    reason: `override by ana until ${until} → 0.5 %; driver minimum → 1 %`,
  });
  t.is(
    s.lightingGroups().find((g) => g.id === 'atocha-west')?.reason,
    `override by ana until ${until} → 0.5 %`,
    "the group's rule is the override; the minimum is each luminaire's own",
  );
});

test('site lighting — overrides are refused for an unknown group, a bad level, or an unset clock', async (t) => {
  const { site: s } = await site(t, NIGHT);
  t.like(s.overrideLighting('nowhere', 50, undefined, 'ana'), {
    ok: false,
    reason: 'unknown lighting group "nowhere"',
  });
  t.like(s.overrideLighting('atocha-west', -1, undefined, 'ana'), {
    ok: false,
    reason: 'levelPct: -1 is outside 0..100',
  });
  t.like(s.clearLightingOverride('atocha-west', 'ana'), {
    ok: false,
    reason: 'no override on "atocha-west"',
  });
  t.true(s.overrideLighting('atocha-west', 0, undefined, 'ana').ok);
  t.like(s.clearLightingOverride('atocha-west', 'luis'), { ok: true });

  const { site: unset } = await site(t, 5_000);
  t.like(unset.overrideLighting('atocha-west', 50, undefined, 'ana'), {
    ok: false,
    reason: 'clock not set: an override lease cannot be timed',
  });
});

test('site lighting — energy and power per group are reported as telemetry', async (t) => {
  const { sink, run } = await site(t, NIGHT);
  run(3601);
  const last = (metric: string) =>
    sink.readings.filter((r) => r.deviceId === 'atocha-west' && r.metric === metric).at(-1);
  // Sixteen simulated 60 W luminaires at 100 % draw 60.5 W each (with standby): 968 W, ~968 Wh in an hour.
  t.is(last('power.w')?.value, 968);
  const wh = last('energy.wh')?.value ?? 0;
  t.true(Math.abs(wh - 968) < 8, `${wh} Wh`);
});

test('site lighting — the lighting keys of a group are checked, naming the field', (t) => {
  const raw = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as { lightingGroups: Record<string, unknown>[] };
  raw.lightingGroups[0] = {
    ...raw.lightingGroups[0],
    adaptive: { otherWeights: 2, capacityVehPerHour: 0, trafficBands: { high: 0.1, low: 0.2 } },
    photocell: { onLux: 50, offLux: 40 },
    fadeS: 100,
  };
  raw.lightingGroups[1] = {
    ...raw.lightingGroups[1],
    adaptive: { otherWeights: 1.5, capacityVehPerHour: 1200, periodMin: 10 },
    photocell: { onLux: 20, offLux: 50 },
    fadeS: 5,
  };
  const error = t.throws(() => checkEdgeConfig(raw, EXAMPLE));
  t.deepEqual(error?.message.split('\n').sort(), [
    `${EXAMPLE}: lightingGroups[0].adaptive.capacityVehPerHour: 0 is below the minimum 1`,
    `${EXAMPLE}: lightingGroups[0].adaptive.trafficBands.low: 0.2 must be below high (0.1)`,
    `${EXAMPLE}: lightingGroups[0].fadeS: 100 is above the maximum 90.5`,
    `${EXAMPLE}: lightingGroups[0].photocell.offLux: 40 lx must be above onLux (50 lx)`,
  ]);
  raw.lightingGroups[0] = {
    ...raw.lightingGroups[1],
    id: 'g0',
    luminaires: raw.lightingGroups[0].luminaires,
  };
  const ok = checkEdgeConfig(raw, EXAMPLE);
  t.like(ok.lightingGroups[1], {
    adaptive: { otherWeights: 1.5, capacityVehPerHour: 1200, periodMin: 10 },
    photocell: { onLux: 20, offLux: 50 },
    fadeS: 5,
  });
});
