import test from 'ava';
import { LightingLoop, type LightingSettings } from './lighting-loop.js';
import { nextMadridTime } from './madrid-time.js';

const MADRID = { latitude: 40.4125, longitude: -3.6995 };
const utc = (iso: string): number => Date.parse(iso);

// Madrid on 15 January 2025: sunrise about 08:37 CET (07:37Z), sunset about 18:10 CET (17:10Z).
const POLICY: LightingSettings = {
  steps: [
    { at: 'sunset', offsetMin: 0, levelPct: 100 },
    { at: '00:00', offsetMin: 0, levelPct: 50 },
    { at: '06:00', offsetMin: 0, levelPct: 100 },
    { at: 'sunrise', offsetMin: 15, levelPct: 0 },
  ],
  presenceLevelPct: 80,
  presenceHoldS: 60,
};

test('lighting — off by day, 100 % at night by default', (t) => {
  const loop = new LightingLoop({ ...MADRID, engine: 'twin' });
  const day = loop.decide(utc('2025-01-15T12:00:00Z'));
  t.is(day.levelPct, 0);
  t.regex(day.reason, /^day: sunrise 08:3\d, sunset 18:\d\d \(Madrid\) → off$/);
  t.like(loop.decide(utc('2025-01-15T23:00:00Z')), {
    levelPct: 100,
    reason: 'default: sunset+0 → 100 %',
  });
  // Just before and after sunset.
  t.is(loop.decide(utc('2025-01-15T17:00:00Z')).levelPct, 0);
  t.is(loop.decide(utc('2025-01-15T17:20:00Z')).levelPct, 100);
  // Early morning belongs to the previous evening's night.
  t.is(loop.decide(utc('2025-01-16T07:00:00Z')).levelPct, 100);
});

test('lighting — policy steps at Madrid clock times and sunrise offsets', (t) => {
  const loop = new LightingLoop(MADRID);
  loop.setSettings(POLICY);
  t.like(loop.decide(utc('2025-01-15T22:30:00Z')), {
    levelPct: 100,
    reason: 'schedule: sunset+0 → 100 %',
  });
  // 00:30 CET is 23:30Z: the "00:00" step is Madrid time, not UTC.
  t.like(loop.decide(utc('2025-01-15T23:30:00Z')), {
    levelPct: 50,
    reason: 'schedule: 00:00 → 50 %',
  });
  t.like(loop.decide(utc('2025-01-16T05:30:00Z')), {
    levelPct: 100,
    reason: 'schedule: 06:00 → 100 %',
  });
  // sunrise+15 keeps the lights on a quarter of an hour after sunrise (07:35Z), then day.
  t.is(loop.decide(utc('2025-01-16T07:45:00Z')).levelPct, 100);
  t.regex(loop.decide(utc('2025-01-16T07:55:00Z')).reason, /^day: /);
});

test('lighting — clock steps follow summer time', (t) => {
  const loop = new LightingLoop(MADRID);
  loop.setSettings(POLICY);
  // 00:00 CEST on 1 July is 22:00Z on 30 June (sunset about 21:47 CEST).
  t.is(loop.decide(utc('2025-06-30T21:59:00Z')).levelPct, 100);
  t.is(loop.decide(utc('2025-06-30T22:01:00Z')).levelPct, 50);
  t.is(nextMadridTime(utc('2025-06-30T12:00:00Z'), '00:00'), utc('2025-06-30T22:00:00Z'));
  t.is(nextMadridTime(utc('2025-01-15T12:00:00Z'), '00:00'), utc('2025-01-15T23:00:00Z'));
});

test('lighting — fails ON when the clock is unset or the sun never sets', (t) => {
  const loop = new LightingLoop(MADRID);
  loop.setSettings(POLICY);
  t.like(loop.decide(3_600_000), {
    levelPct: 100,
    reason: 'fail-on: clock not set (before 2020)',
    failOn: true,
  });
  const svalbard = new LightingLoop({ latitude: 78.2, longitude: 15.6 });
  t.like(svalbard.decide(utc('2025-06-21T12:00:00Z')), {
    levelPct: 100,
    reason: 'fail-on: no sunrise/sunset for this place and day',
    failOn: true,
  });
  loop.setSettings({ ...POLICY, steps: [{ at: '25:00', offsetMin: 0, levelPct: 10 }] });
  const bad = loop.decide(utc('2025-01-15T23:30:00Z'));
  t.is(bad.levelPct, 100);
  t.regex(bad.reason, /^fail-on: schedule unknown/);
});

test('lighting — the WASM solar kernel and its twin give the same schedule through a year', (t) => {
  const wasm = new LightingLoop({ ...MADRID, engine: 'wasm' });
  const twin = new LightingLoop({ ...MADRID, engine: 'twin' });
  wasm.setSettings(POLICY);
  twin.setSettings(POLICY);
  let differ = 0;
  // Every 37 minutes for a year: crosses every sunset, sunrise and both DST changes.
  for (let ms = utc('2025-01-01T00:00:00Z'); ms < utc('2026-01-01T00:00:00Z'); ms += 37 * 60_000) {
    const a = wasm.decide(ms);
    const b = twin.decide(ms);
    if (a.levelPct !== b.levelPct || a.reason !== b.reason) differ++;
  }
  t.is(differ, 0);
});
