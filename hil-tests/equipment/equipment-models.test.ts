// The equipment simulators' physics against REFERENCE §4 and the register maps they serve.
import test from 'ava';
import { BUILT_IN_TYPES } from '../../edge/devices/catalogue.js';
import { parseUplink } from '../../edge/devices/drivers/mqtt/chirpstack-uplink.js';
import { decodePayload } from '../../edge/devices/payload-layout.js';
import { uplinkEvent } from './chirpstack-event.js';
import { encodeFillPayload, FillSensorModel, NO_ECHO_CM, speedOfSound } from './fill-sensor-model.js';
import { LightingController, powerAtLevel } from './lighting-controller.js';

test('fill sensor model — no-echo and spike rates, 1 cm resolution, median fill rate and emptying as in the Frankfurt data', (t) => {
  const m = new FillSensorModel({ seed: 42, depthCm: 200, fillCmPerDay: 3.5 });
  const hours = 24 * 365;
  const readings = Array.from({ length: hours }, () => m.step(1));
  const share = (k: string): number => readings.filter((r) => r.kind === k).length / hours;
  t.true(Math.abs(share('no-echo') - 0.118) < 0.015, `no-echo ${share('no-echo')}`);
  t.true(Math.abs(share('spike') - 0.0135) < 0.006, `spikes ${share('spike')}`);
  t.true(readings.every((r) => Number.isInteger(r.distanceCm) && r.distanceCm >= 0 && r.distanceCm <= 255));
  t.true(readings.filter((r) => r.kind === 'no-echo').every((r) => r.distanceCm === NO_ECHO_CM));
  // About every 9.5 days: 38 a year, give or take the Poisson spread and full-container call-outs.
  t.true(m.emptyings >= 25 && m.emptyings <= 55, `${m.emptyings} emptyings`);
  // Daily growth of the true level on days without a collection: median near 3.5 cm.
  const daily: number[] = [];
  for (let d = 1; d < 365; d++) {
    const a = readings[d * 24 - 1]!.trueWasteCm;
    const b = readings[d * 24 + 23]!.trueWasteCm;
    if (b >= a) daily.push(b - a);
  }
  daily.sort((x, y) => x - y);
  const median = daily[Math.floor(daily.length / 2)]!;
  t.true(median > 1.5 && median < 5, `median ${median.toFixed(2)} cm/day`);
  // Bursty: many days see less than half the mean, some several times it.
  t.true(daily.filter((g) => g < 1.75).length > daily.length * 0.2);
  t.true(daily.some((g) => g > 10));
});

test('fill sensor model — cold air reads long: the speed of sound at the sensor, 1.8 mm per °C per metre', (t) => {
  const perDegreePerMetre = 1000 * (speedOfSound(20) / speedOfSound(19) - 1);
  t.true(Math.abs(perDegreePerMetre - 1.8) < 0.1, `${perDegreePerMetre.toFixed(2)} mm`);
});

test('fill sensor — a ChirpStack event from the publisher decodes to the reading with the definition’s layout', (t) => {
  const def = BUILT_IN_TYPES.find((d) => d.name === 'lorawan-ultrasonic-fill')!;
  const reading = { distanceCm: 123, temperatureC: -7, batteryPct: 88 };
  const event = uplinkEvent({
    applicationId: 'app',
    devEui: '70B3D57ED0000001',
    fCnt: 7,
    fPort: 2,
    data: encodeFillPayload(reading),
    timeMs: Date.UTC(2024, 0, 1),
  });
  const parsed = parseUplink(JSON.stringify(event));
  if ('error' in parsed) return t.fail(parsed.error);
  t.like(parsed.uplink, {
    devEui: '70b3d57ed0000001',
    fPort: 2,
    fCnt: 7,
    timeMs: Date.UTC(2024, 0, 1),
    rssi: -97,
  });
  t.deepEqual(decodePayload(def.uplink!, parsed.uplink.data), {
    values: { distance: 123, temperature: -7, battery: 88 },
  });
  t.like(decodePayload(def.uplink!, new Uint8Array([1, 2])), {
    error: 'payload has 2 bytes, the layout needs 4',
  });
});

test('lighting controller — power grows with level from standby, and a fade ramps the light', (t) => {
  const levels = [0, 1, 10, 50, 100].map((l) => powerAtLevel(l, 60, 0.5));
  t.deepEqual(
    levels,
    [...levels].sort((a, b) => a - b),
  );
  t.is(levels[0], 0.5);
  t.true(Math.abs(levels[4]! - 60.5) < 1e-9);
  const c = new LightingController({ ratedW: 60 });
  c.tick(0);
  c.bank.holding[1] = 100; // 10 s fade
  c.bank.holding[0] = 200; // 20 %
  c.bank.afterWrite?.('holding', 0, 1);
  c.tick(5000);
  t.true(Math.abs(c.actualPct - 60) < 1e-6, `halfway: ${c.actualPct}`);
  c.tick(10_000);
  t.is(c.actualPct, 20);
  t.true(c.energyWh > 0);
});
