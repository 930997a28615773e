import test from 'ava';
import type { LightingGroupConfig } from '../config/edge-config.js';
import type { Engine } from '../../wasm/core.js';
import { LightingController, engineFromEnv, type LightingReadings } from './lighting-controller.js';
import type { LightingSettings } from './lighting-loop.js';
import { madridHHMM } from './madrid-time.js';

const ENGINES: readonly Engine[] = ['wasm', 'twin'];
const MADRID = { latitude: 40.4125, longitude: -3.6995 };
/** A winter night in Madrid, 23:00 CET: the default schedule is 100 %. */
const NIGHT = Date.parse('2025-01-15T22:00:00Z');

/** The site's state, as a map the test writes. */
class FakeSite implements LightingReadings {
  readonly values = new Map<string, Record<string, number>>();
  readonly down = new Set<string>();
  available(id: string): boolean {
    return !this.down.has(id);
  }
  number(id: string, point: string): number | undefined {
    return this.values.get(id)?.[point];
  }
  set(id: string, point: string, value: number): void {
    this.values.set(id, { ...this.values.get(id), [point]: value });
  }
}

const GROUP: LightingGroupConfig = {
  id: 'calle',
  name: 'Calle',
  luminaires: ['l1', 'l2'],
  lightingClass: 'M3',
  detectors: ['det-a'],
};

function rig(engine: Engine, group: Partial<LightingGroupConfig> = {}, luxPoint?: string) {
  const expired: string[] = [];
  const ctl = new LightingController({
    ...MADRID,
    engine,
    groups: [{ ...GROUP, ...group }],
    luminaire: (id) => ({ id, ratedW: 50, ...(luxPoint ? { luxPoint } : {}) }),
    onOverrideExpired: (g, lease) => expired.push(`${g}:${lease.actor}`),
  });
  const site = new FakeSite();
  let now = NIGHT;
  let count = 0;
  const levels = (): Record<string, number> => {
    const out: Record<string, number> = {};
    ctl.forEachLevel((id, level) => (out[id] = level));
    return out;
  };
  const level = (): number => levels().l1!;
  const reason = (): string => ctl.groupStates()[0]!.reason;
  /** Ticks once a second for `s` seconds; `vehicles` counted evenly over them. */
  const run = (s: number, vehicles = 0): void => {
    for (let i = 0; i < s; i++) {
      if (vehicles > 0 && Math.floor(((i + 1) * vehicles) / s) > Math.floor((i * vehicles) / s)) count++;
      ctl.noteCount('det-a', count);
      ctl.step(now, site);
      now += 1000;
    }
  };
  return {
    ctl,
    site,
    run,
    level,
    levels,
    reason,
    expired,
    now: () => now,
    setNow: (ms: number) => (now = ms),
  };
}

test('lighting controller — CALLE_WASM=off selects the twins, anything else the WASM core', (t) => {
  t.is(engineFromEnv({ CALLE_WASM: 'off' }), 'twin');
  t.is(engineFromEnv({}), 'wasm');
});

for (const engine of ENGINES) {
  test(`lighting controller (${engine}) — class from the trailing window of traffic: M3, M4 75 %, M5 50 %`, (t) => {
    // Σ other weights 2: high traffic (+1) gives 6 − 3 = M3, moderate (0) M4, low (−1) M5.
    const r = rig(engine, { adaptive: { otherWeights: 2, capacityVehPerHour: 1000, periodMin: 1 } });
    r.run(60, 5);
    t.is(r.level(), 100, 'no complete window yet: the design class');
    t.is(r.reason(), 'default: sunset+0 → 100 %');
    r.run(60, 5); // 5 veh/min ≈ 300 veh/h = 30 %: moderate
    t.is(r.level(), 75);
    t.regex(
      r.reason(),
      /^class M4 for moderate traffic \(3\d\d veh\/h of 1000; design M3\) → 75 % of default: sunset\+0 → 100 %$/,
    );
    t.is(r.ctl.groupStates()[0]!.lightingClass, 'M4');
    // A burst: the estimate counts it at once (brighten fast), not at the end of a period.
    r.run(8, 10);
    t.is(r.level(), 100, 'high traffic within seconds of the rise');
    t.is(r.reason(), 'default: sunset+0 → 100 %');
    r.run(40);
    t.is(r.level(), 100, 'dims only once the busy minute has left the window');
    r.run(30); // nothing for more than a window: low
    t.is(r.level(), 50);
    t.regex(r.reason(), /^class M5 for low traffic \(0 veh\/h of 1000; design M3\) → 50 % of default/);
    // A detector lost for a moment: the window holding that moment is unknown, back to the design class.
    r.site.down.add('det-a');
    r.run(2);
    r.site.down.delete('det-a');
    r.run(30);
    t.is(r.level(), 100, 'unknown traffic never dims');
    r.run(40);
    t.is(r.level(), 50, 'known again once the lost moment left the window');
  });

  test(`lighting controller (${engine}) — presence boosts for the hold time, not by day`, (t) => {
    const r = rig(engine);
    const settings: LightingSettings = {
      steps: [
        { at: 'sunset', offsetMin: 0, levelPct: 100 },
        { at: '00:00', offsetMin: 0, levelPct: 20 },
      ],
      presenceLevelPct: 80,
      presenceHoldS: 60,
    };
    r.ctl.setSettings(settings);
    r.setNow(Date.parse('2025-01-16T01:00:00Z'));
    r.run(5);
    t.is(r.level(), 20);
    t.is(r.reason(), 'schedule: 00:00 → 20 %');
    r.run(1, 1);
    t.is(r.level(), 80);
    t.is(r.reason(), 'presence: det-a (hold 60 s) → 80 %; schedule: 00:00 → 20 %');
    r.run(59);
    t.is(r.level(), 80, 'still held');
    r.run(2);
    t.is(r.level(), 20, 'hold over');
    r.setNow(Date.parse('2025-01-16T12:00:00Z'));
    r.run(3, 3);
    t.is(r.level(), 0);
    t.regex(r.reason(), /^day: /);
  });

  test(`lighting controller (${engine}) — photocell with hysteresis; a lost photocell means dark`, (t) => {
    const r = rig(engine, { photocell: { onLux: 20, offLux: 50 } }, 'ambient');
    const lux = (x: number): void => ['l1', 'l2'].forEach((id) => r.site.set(id, 'ambient', x));
    lux(80);
    r.run(1);
    t.is(r.level(), 0);
    t.is(r.reason(), 'photocell: light (≥ 50 lx) → off; default: sunset+0 → 100 %');
    lux(35);
    r.run(1);
    t.is(r.level(), 0, 'between the thresholds: stays off');
    lux(15);
    r.run(1);
    t.is(r.level(), 100);
    lux(35);
    r.run(1);
    t.is(r.level(), 100, 'between the thresholds: stays on');
    lux(80);
    r.run(1);
    t.is(r.level(), 0);
    r.site.set('l1', 'ambient', 10);
    r.run(1);
    t.is(r.level(), 100, 'the darkest reading of the group wins');
    lux(80);
    r.run(1);
    r.site.down.add('l1');
    r.site.down.add('l2');
    r.run(1);
    t.is(r.level(), 100, 'no photocell reading: lights on');
  });

  test(`lighting controller (${engine}) — ramps limited by the fade time`, (t) => {
    const r = rig(engine, { fadeS: 10 });
    r.run(2);
    t.is(r.level(), 100, 'the first level is taken at once');
    r.ctl.setSettings({
      steps: [{ at: 'sunset', offsetMin: 0, levelPct: 40 }],
      presenceLevelPct: 0,
      presenceHoldS: 0,
    });
    r.run(1);
    t.is(r.level(), 90);
    t.is(r.reason(), 'schedule: sunset+0 → 40 % (ramping to 40 %)');
    r.run(5);
    t.is(r.level(), 40);
    t.is(r.reason(), 'schedule: sunset+0 → 40 %');
  });

  test(`lighting controller (${engine}) — overrides are leases: they win, say who, and expire`, (t) => {
    const r = rig(engine, { adaptive: { otherWeights: 2, capacityVehPerHour: 1000, periodMin: 1 } });
    r.run(120); // low traffic: M5, 50 %
    t.is(r.level(), 50);
    t.deepEqual(r.ctl.override('calle', 120, undefined, 'ana', r.now()), {
      ok: false,
      reason: 'levelPct: 120 is outside 0..100',
    });
    t.deepEqual(r.ctl.override('calle', 100, 0, 'ana', r.now()), {
      ok: false,
      reason: 'durationS: 0 is outside (0, 86400] s',
    });
    const granted = r.ctl.override('calle', 100, undefined, 'ana', r.now());
    t.true(granted.ok);
    if (!granted.ok) return;
    t.is(granted.expiresMs, r.now() + 30 * 60_000, 'default lease 30 min');
    r.run(1);
    t.is(r.level(), 100);
    t.is(r.reason(), `override by ana until ${madridHHMM(granted.expiresMs)} → 100 %`);
    r.run(30 * 60);
    t.is(r.level(), 50, 'expired on its own: back to the class');
    t.deepEqual(r.expired, ['calle:ana'], 'told once');
    t.true(r.ctl.override('calle', 0, 60, 'luis', r.now()).ok);
    r.run(1);
    t.is(r.level(), 0);
    t.true(r.ctl.clearOverride('calle'));
    t.false(r.ctl.clearOverride('calle'));
    r.run(1);
    t.is(r.level(), 50);
  });

  test(`lighting controller (${engine}) — fails ON: no dimming by class or photocell with the clock unset`, (t) => {
    const r = rig(
      engine,
      {
        adaptive: { otherWeights: 0, capacityVehPerHour: 1000, periodMin: 1 },
        photocell: { onLux: 20, offLux: 50 },
      },
      'ambient',
    );
    r.site.set('l1', 'ambient', 500);
    r.setNow(3_600_000);
    r.run(200);
    t.is(r.level(), 100);
    t.is(r.reason(), 'fail-on: clock not set (before 2020)');
  });

  test(`lighting controller (${engine}) — energy per group from metered power, modelled where no meter answers`, (t) => {
    const r = rig(engine);
    r.site.set('l1', 'power', 30);
    r.site.set('l2', 'power', 30);
    r.run(361); // 360 s of integration after the first tick
    const s = r.ctl.groupStates()[0]!;
    t.is(s.powerW, 60);
    t.true(Math.abs(s.energyWh - 6) < 1e-9, `${s.energyWh} Wh`);
    r.site.down.add('l2'); // modelled: 50 W rated at 100 % (DALI level 254)
    r.run(360);
    const s2 = r.ctl.groupStates()[0]!;
    t.true(Math.abs(s2.powerW - 80) < 1e-9, `${s2.powerW} W`);
    t.true(Math.abs(s2.energyWh - 14) < 1e-9, `${s2.energyWh} Wh`);
  });
}

test('lighting controller — the WASM kernel and the twin decide the same levels, reasons and energy', (t) => {
  const group: Partial<LightingGroupConfig> = {
    adaptive: { otherWeights: 2, capacityVehPerHour: 800, periodMin: 2 },
    photocell: { onLux: 20, offLux: 50 },
    fadeS: 7,
  };
  const [a, b] = ENGINES.map((e) => rig(e, group, 'ambient'));
  const settings: LightingSettings = {
    steps: [
      { at: 'sunset', offsetMin: -10, levelPct: 100 },
      { at: '22:30', offsetMin: 0, levelPct: 60 },
      { at: '01:00', offsetMin: 0, levelPct: 30 },
      { at: 'sunrise', offsetMin: 10, levelPct: 0 },
    ],
    presenceLevelPct: 70,
    presenceHoldS: 45,
  };
  let mismatches = 0;
  let checked = 0;
  const seen = new Set<string>();
  for (const r of [a!, b!]) {
    r.ctl.setSettings(settings);
    r.setNow(Date.parse('2025-01-15T16:30:00Z'));
  }
  // Sixteen hours at 1 Hz from before sunset to after sunrise: dusk photocell, classes, presence.
  for (let s = 0; s < 16 * 3600; s += 5) {
    const lux = Math.max(0, 200 - s / 20);
    const vehicles = s % 600 < 300 ? 1 : 0;
    for (const r of [a!, b!]) {
      r.site.set('l1', 'ambient', lux);
      r.site.set('l2', 'ambient', lux);
      r.run(5, vehicles);
    }
    checked++;
    seen.add(a!.ctl.groupStates()[0]!.reason.replace(/\d+/g, '#'));
    const [la, lb] = [a!.levels(), b!.levels()];
    const [sa, sb] = [a!.ctl.groupStates()[0]!, b!.ctl.groupStates()[0]!];
    if (
      la.l1 !== lb.l1 ||
      la.l2 !== lb.l2 ||
      sa.reason !== sb.reason ||
      Math.abs(sa.energyWh - sb.energyWh) > 1e-9 * Math.max(1, sa.energyWh)
    )
      mismatches++;
  }
  t.true(checked > 10_000);
  // The scenario must cross every rule, or agreement proves little.
  const rules = new Set([...seen].map((r) => /^\w+/.exec(r)![0]));
  t.deepEqual([...rules].sort(), ['class', 'day', 'photocell', 'presence', 'schedule']);
  t.true([...seen].some((r) => r.includes('ramping')));
  t.is(mismatches, 0);
});
