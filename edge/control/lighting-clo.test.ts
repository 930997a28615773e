// Constant light output, period weights, presence dimming on a P street, per-luminaire energy and
// lamp alarms, through the real controller on both engines.
import test from 'ava';
import type { LightingGroupConfig, LightingMaintenanceConfig } from '../config/edge-config.js';
import type { EdgeEvent } from '../telemetry-sink.js';
import type { Engine } from '../../wasm/core.js';
import { CONFIRM_S } from './lamp-monitor.js';
import { LightingController, type LightingReadings } from './lighting-controller.js';
import { cloState, lumenFraction, NightHours } from './lumen-maintenance.js';
import { englishOf } from '../../common/reasons/reason.js';

const MADRID = { latitude: 40.4125, longitude: -3.6995 };
/** 23:00 CET on a winter night: inside a 22:00–07:00 period. */
const NIGHT = Date.parse('2025-01-15T22:00:00Z');
const ENGINES: readonly Engine[] = ['wasm', 'twin'];

const L90: LightingMaintenanceConfig = {
  factor: 0.8,
  installed: '2025-01-15',
  lumenMaintenance: [
    { hours: 50_000, fraction: 0.95 },
    { hours: 100_000, fraction: 0.9 },
  ],
  dirtFactor: 0.89,
};

class Readings implements LightingReadings {
  readonly power = new Map<string, number>();
  available(): boolean {
    return true;
  }
  number(id: string, point: string): number | undefined {
    return point === 'power' ? this.power.get(id) : undefined;
  }
}

function rig(engine: Engine, group: Partial<LightingGroupConfig>) {
  const events: EdgeEvent[] = [];
  const ctl = new LightingController({
    ...MADRID,
    engine,
    groups: [
      { id: 'g', name: 'G', luminaires: ['l1', 'l2'], lightingClass: 'M3', detectors: ['d'], ...group },
    ],
    luminaire: (id) => ({ id, ratedW: 50, standbyW: 0.5 }),
    onLampEvent: (e) => events.push(e),
  });
  const readings = new Readings();
  let now = NIGHT;
  let count = 0;
  const run = (s: number, perSecond = 0): void => {
    for (let i = 0; i < s; i++) {
      count += perSecond;
      ctl.noteCount('d', count);
      ctl.step(now, readings);
      now += 1000;
    }
  };
  const level = (): number => {
    let l = Number.NaN;
    ctl.forEachLevel((id, v) => (id === 'l1' ? (l = v) : undefined));
    return l;
  };
  return {
    ctl,
    readings,
    run,
    level,
    events,
    state: () => ctl.groupStates()[0]!,
    setNow: (ms: number) => (now = ms),
  };
}

test('lumen maintenance — interpolated from 1 at 0 h, unknown beyond the datasheet', (t) => {
  t.is(lumenFraction(L90.lumenMaintenance, 0), 1);
  t.is(lumenFraction(L90.lumenMaintenance, 25_000), 0.975);
  t.is(lumenFraction(L90.lumenMaintenance, 75_000), 0.925);
  t.is(lumenFraction(L90.lumenMaintenance, 100_001), undefined);
  // New: 0.8 / (1 × 0.89); at the end of the curve the design needs full power; beyond it, 1.
  t.is(Math.round(cloState(L90, 0).factor * 1e4) / 1e4, 0.8989);
  t.true(cloState(L90, 100_000).factor > 0.998);
  t.is(cloState(L90, 200_000).factor, 1);
});

test('lumen maintenance — burning hours are dusk-to-dawn hours by the astronomical clock', (t) => {
  const nights = new NightHours(MADRID.latitude, MADRID.longitude);
  const year = nights.between(Date.parse('2025-01-01T00:00:00Z'), Date.parse('2026-01-01T00:00:00Z'));
  // Madrid: about 4,300 h of night a year (sunset to sunrise; 12 h on average plus refraction's loss).
  t.true(year > 4200 && year < 4450, `${year}`);
  // Additive: two halves make the whole, so counting on from the last call is exact.
  const mid = Date.parse('2025-06-10T13:17:00Z');
  const a = nights.between(Date.parse('2025-01-01T00:00:00Z'), mid);
  const b = nights.between(mid, Date.parse('2026-01-01T00:00:00Z'));
  t.true(Math.abs(a + b - year) < 1e-6);
  t.is(nights.between(mid, mid - 1), 0);
});

for (const engine of ENGINES) {
  test(`constant light (${engine}) — new luminaires run at MF/LMF, the reason says so, and the saving is counted`, (t) => {
    const r = rig(engine, { maintenance: L90 });
    r.run(60);
    t.is(r.level(), 89.9);
    const s = r.state();
    t.regex(
      s.reason,
      /^constant light: 89\.9 % \(MF 0\.8, output 1\.000 at \d+ h\) of default: sunset\+0 → 100 %$/,
    );
    t.deepEqual(
      s.reasonCode.map((p) => p.code),
      ['light.clo', 'light.step'],
    );
    t.is(englishOf(s.reasonCode), s.reason, 'the English is rendered from the codes');
    t.is(s.cloPct, 89.9);
    t.true(s.cloSavedWh > 0 && Math.abs(s.cloSavedWh / s.energyWh - (1 / 0.899 - 1)) < 0.02);
    // The baseline is the same luminaires at 100 % with standby: 2 × 50.5 W for the minute.
    t.true(Math.abs(s.baselineWh - (2 * 50.5 * 59) / 3600) < 0.05, `${s.baselineWh}`);
  });

  test(`constant light (${engine}) — older luminaires are driven harder; an override is not scaled`, (t) => {
    const old = rig(engine, { maintenance: { ...L90, installed: '2015-01-15' } });
    old.run(60);
    // Ten years ≈ 43,000 h: output 0.957, so 0.8 / (0.957 × 0.89) ≈ 94 %.
    t.true(old.level() > 93 && old.level() < 95.5, `${old.level()}`);
    old.ctl.override('g', 70, 600, 'ana', NIGHT + 60_000);
    old.run(2);
    t.is(old.level(), 70);
  });

  test(`period weights (${engine}) — low night traffic reaches M6 with the night period, M5 without`, (t) => {
    const adaptive = { otherWeights: 2, capacityVehPerHour: 3600 };
    const withPeriod = rig(engine, {
      adaptive: { ...adaptive, periods: [{ from: '22:00', to: '07:00', otherWeights: 1 }] },
    });
    const without = rig(engine, { adaptive });
    // 0 veh/h for a whole 15-minute window (the first minute is entered part-way): weight −1.
    withPeriod.run(17 * 60);
    without.run(17 * 60);
    t.is(withPeriod.state().lightingClass, 'M6');
    t.is(withPeriod.level(), 30);
    t.regex(
      withPeriod.state().reason,
      /^class M6 for low traffic \(0 veh\/h of 3600; design M3, weights 1 22:00–07:00\) → 30 % of /,
    );
    t.is(withPeriod.state().reasonCode[0]?.code, 'light.classPeriod');
    t.is(without.state().lightingClass, 'M5');
    t.is(without.level(), 50);
  });

  test(`presence on a P street (${engine}) — dims to the class its use allows, a detection boosts to the boost class and holds`, (t) => {
    const r = rig(engine, {
      lightingClass: 'P3',
      adaptive: { otherWeights: 1, capacityVehPerHour: 600 },
      presence: { holdS: 30, boostClass: 'P4' },
    });
    r.run(17 * 60);
    t.is(r.state().lightingClass, 'P6');
    t.is(r.level(), 26.7); // P6/P3 = 2/7.5
    r.run(1, 1); // one pedestrian
    t.is(r.level(), 66.7); // P4/P3 = 5/7.5
    t.regex(r.state().reason, /^presence: d \(hold 30 s\) → 66\.7 %; class P6 /);
    t.deepEqual(
      r
        .state()
        .reasonCode.slice(0, 2)
        .map((p) => p.code),
      ['light.presence', 'light.class'],
    );
    r.run(29);
    t.is(r.level(), 66.7, 'held');
    r.run(2);
    t.is(r.level(), 26.7, 'released after the hold');
  });

  test(`lamp monitor (${engine}) — a lit luminaire drawing standby is a failure; off but drawing is a day burner; both clear`, (t) => {
    const r = rig(engine, {});
    r.readings.power.set('l1', 50.5);
    r.readings.power.set('l2', 0.5); // lamp out
    r.run(CONFIRM_S - 5);
    t.deepEqual(r.events, [], 'not before the confirmation time');
    r.run(10);
    t.like(r.events, [{ deviceId: 'l2', code: 'LAMP_FAILURE', active: true, severity: 'warning' }]);
    t.is(r.events.length, 1);
    r.readings.power.set('l2', 50.5); // relamped
    r.run(CONFIRM_S + 5);
    t.like(r.events[1], { deviceId: 'l2', code: 'LAMP_FAILURE', active: false });
    // By day the command is 0 %: a luminaire drawing 40 W burns for nothing.
    r.setNow(Date.parse('2025-01-16T12:00:00Z'));
    r.readings.power.set('l1', 0.5);
    r.readings.power.set('l2', 40);
    r.run(CONFIRM_S + 5);
    t.like(r.events[2], { deviceId: 'l2', code: 'DAY_BURNER', active: true });
    t.is(r.events.length, 3, 'the luminaire at standby raises nothing');
    // Metered energy per luminaire: l2 drew more than l1 over the day burn.
    const lum = r.ctl.luminaireEnergy();
    t.true(lum[1]!.meteredWh > lum[0]!.meteredWh);
    t.true(lum[0]!.burningH > 0 && lum[0]!.meteredWh === lum[0]!.energyWh);
  });
}
