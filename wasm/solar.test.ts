// The solar kernel: the WASM kernel against its TypeScript twin, both against NOAA's spreadsheet and
// published times for Madrid, and the edges (polar day and night, bad input, a full arena).

import test from 'ava';
import { WasmError } from './errors.js';
import { sunTimesWasm, WasmSolar } from './core.js';
import { sunTimes, type SunTimes } from './solar.js';
import { excelSerial, hms, spreadsheetRow, sunEvent } from './test-support/noaa-spreadsheet.js';

const EVENTS = ['sunriseMs', 'sunsetMs', 'civilDawnMs', 'civilDuskMs'] as const;
const MADRID = { lat: 40.4168, lon: -3.7038 };
const MINUTE = 60_000;

function utc(iso: string): number {
  return Date.parse(`${iso}Z`);
}

test('solar — the WASM kernel and the TypeScript twin agree within 1 s on a grid of 2026', (t) => {
  const rows: [number, number, number][] = [];
  for (let lat = -65; lat <= 65; lat += 10) {
    for (let lon = -180; lon <= 180; lon += 45) {
      for (let day = 0; day < 365; day += 7) rows.push([lat, lon, Date.UTC(2026, 0, 1 + day, 13, 17)]);
    }
  }
  const solar = new WasmSolar(rows.length);
  rows.forEach(([lat, lon, day], i) => solar.set(i, lat, lon, day));
  solar.compute(rows.length);

  let worstMs = 0;
  let finite = 0;
  rows.forEach(([lat, lon, day], i) => {
    const ts = sunTimes(lat, lon, day);
    const wasm = solar.get(i);
    for (const event of EVENTS) {
      if (Number.isNaN(ts[event]) || Number.isNaN(wasm[event])) {
        t.true(Number.isNaN(ts[event]) && Number.isNaN(wasm[event]), `${event} at ${lat},${lon},${day}`);
        continue;
      }
      finite++;
      worstMs = Math.max(worstMs, Math.abs(ts[event] - wasm[event]));
    }
  });
  t.true(worstMs < 1000, `worst difference ${worstMs} ms`);
  // ±65° in summer has no civil dusk, but most of the grid must have events to compare.
  t.true(finite > rows.length * 3.5, `${finite} finite events of ${rows.length * 4}`);
});

// Outside reference: NOAA's solar spreadsheet for Madrid (40.4168 N, 3.7038 W) on the 2026 equinoxes
// and solstices, in Madrid's official time (CET, UTC+1; CEST, UTC+2 from 29 March to 25 October).
// Where the values come from: NOAA's web calculator could not be reached from here (no network), so
// `noaa` below is wasm/test-support/noaa-spreadsheet.ts, an independent column-by-column evaluation
// of NOAA's spreadsheet formulas (gml.noaa.gov/grad/solcalc/calcdetails.html) at the event's own
// time, as NOAA's web calculator does. The literals are what it gives, to the second; the test
// checks that it still does, so the table cannot drift silently. NOAA's calculator shows them
// rounded to the minute.
const madrid: { day: string; tz: number; sunrise: string; sunset: string }[] = [
  { day: '2026-03-20', tz: 1, sunrise: '07:18:25', sunset: '19:26:46' }, // March equinox
  { day: '2026-06-21', tz: 2, sunrise: '06:44:45', sunset: '21:48:31' }, // June solstice
  { day: '2026-09-23', tz: 2, sunrise: '08:03:14', sunset: '20:10:30' }, // September equinox
  { day: '2026-12-21', tz: 1, sunrise: '08:34:21', sunset: '17:51:27' }, // December solstice
];

// Cross-check against values published by third-party sites (found in the stored web pages; the
// solstice and equinox pages themselves were not among them), local time, coordinates within
// 0.05° of ours. 365.wiki gives seconds; the others whole minutes (rounded or truncated, the sites
// do not say), so those are allowed 90 s: "within a minute" of either convention.
const published: { day: string; tz: number; sunrise: string; sunset: string; source: string }[] = [
  { day: '2026-01-01', tz: 1, sunrise: '08:38', sunset: '17:58', source: 'time.tz/madrid-centro/sun' },
  { day: '2026-06-04', tz: 2, sunrise: '06:45:43', sunset: '21:40:56', source: '365.wiki/sun/madrid' },
  { day: '2026-10-01', tz: 2, sunrise: '08:11', sunset: '19:57', source: 'sunrise-sunset.net/spain/madrid' },
  { day: '2026-10-21', tz: 2, sunrise: '08:32', sunset: '19:26', source: 'sunrise-sunset.net/spain/madrid' },
];

function localFraction(time: string): number {
  const [h, m, sec] = time.split(':').map(Number) as [number, number, number?];
  return (h * 3600 + m * 60 + (sec ?? 0)) / 86_400;
}

/** `hh:mm[:ss]` local on `day` in zone `tz` (hours east) → ms since the epoch. */
function localMs(day: string, tz: number, time: string): number {
  return utc(`${day}T${time.length === 5 ? `${time}:00` : time}`) - tz * 3_600_000;
}

test('solar — the spreadsheet reference still gives the table of NOAA values', (t) => {
  for (const { day, tz, sunrise, sunset } of madrid) {
    const [y, m, d] = day.split('-').map(Number) as [number, number, number];
    const serial = excelSerial(y, m, d);
    t.is(hms(sunEvent('rise', MADRID.lat, MADRID.lon, tz, serial)), sunrise, `sunrise ${day}`);
    t.is(hms(sunEvent('set', MADRID.lat, MADRID.lon, tz, serial)), sunset, `sunset ${day}`);
  }
  // Why the event-time evaluation matters: one spreadsheet row at its default 00:06 local time
  // takes the sun's position hours before sunset and misses NOAA by more than a minute at the
  // September equinox (84 s), so the 1-minute criterion does tell the two methods apart.
  const row = spreadsheetRow(MADRID.lat, MADRID.lon, 2, excelSerial(2026, 9, 23), 0.1 / 24);
  t.true(Math.abs(row.Z_sunsetLst - localFraction('20:10:30')) * 86_400 > 60, hms(row.Z_sunsetLst));
});

for (const [name, fn] of [
  ['TypeScript', sunTimes],
  ['WASM', sunTimesWasm],
] as const) {
  test(`solar — ${name} matches NOAA for Madrid on the equinoxes and solstices within 1 min`, (t) => {
    for (const { day, tz, sunrise, sunset } of madrid) {
      const [y, m, d] = day.split('-').map(Number) as [number, number, number];
      const civilDawn = sunEvent('rise', MADRID.lat, MADRID.lon, tz, excelSerial(y, m, d), 96);
      const civilDusk = sunEvent('set', MADRID.lat, MADRID.lon, tz, excelSerial(y, m, d), 96);
      // Any instant of the UTC day: 23:59 must give the same day's events as 00:00.
      for (const at of [`${day}T00:00:00`, `${day}T23:59:59`]) {
        const got = fn(MADRID.lat, MADRID.lon, utc(at));
        const off = (ms: number, want: number) => Math.abs(ms - want);
        t.true(
          off(got.sunriseMs, localMs(day, tz, sunrise)) <= MINUTE,
          `sunrise ${day}: ${iso(got.sunriseMs)}`,
        );
        t.true(off(got.sunsetMs, localMs(day, tz, sunset)) <= MINUTE, `sunset ${day}: ${iso(got.sunsetMs)}`);
        // Civil twilight: the same spreadsheet formulas with the zenith at 96°.
        const dawnMs = utc(`${day}T00:00:00`) + (civilDawn - tz / 24) * 86_400_000;
        const duskMs = utc(`${day}T00:00:00`) + (civilDusk - tz / 24) * 86_400_000;
        t.true(off(got.civilDawnMs, dawnMs) <= MINUTE, `civil dawn ${day}: ${iso(got.civilDawnMs)}`);
        t.true(off(got.civilDuskMs, duskMs) <= MINUTE, `civil dusk ${day}: ${iso(got.civilDuskMs)}`);
      }
    }
  });

  test(`solar — ${name} agrees with published Madrid times within a minute`, (t) => {
    for (const { day, tz, sunrise, sunset, source } of published) {
      const got = fn(MADRID.lat, MADRID.lon, utc(`${day}T12:00:00`));
      const allowed = sunrise.length === 5 ? 90_000 : MINUTE;
      t.true(Math.abs(got.sunriseMs - localMs(day, tz, sunrise)) <= allowed, `${source} ${day} sunrise`);
      t.true(Math.abs(got.sunsetMs - localMs(day, tz, sunset)) <= allowed, `${source} ${day} sunset`);
    }
  });

  test(`solar — ${name} gives NaN for events that do not occur at 78° N`, (t) => {
    const allNaN = (s: SunTimes) => EVENTS.every((e) => Number.isNaN(s[e]));
    t.true(allNaN(fn(78, 15.6, utc('2026-12-21T12:00:00'))), 'polar night');
    t.true(allNaN(fn(78, 15.6, utc('2026-06-21T12:00:00'))), 'polar day');
    // 78° S in December is polar day too; and at 65° N in June the sun rises and sets but civil
    // twilight never ends.
    t.true(allNaN(fn(-78, 0, utc('2026-12-21T12:00:00'))), 'southern polar day');
    const june65 = fn(65, 25, utc('2026-06-21T12:00:00'));
    t.false(Number.isNaN(june65.sunriseMs));
    t.false(Number.isNaN(june65.sunsetMs));
    t.true(Number.isNaN(june65.civilDawnMs) && Number.isNaN(june65.civilDuskMs));
  });

  test(`solar — ${name} rejects input outside the domain with WASM_BAD_INPUT`, (t) => {
    for (const [lat, lon, day] of [
      [91, 0, 0],
      [Number.NaN, 0, 0],
      [0, 180.5, 0],
      [0, 0, Number.POSITIVE_INFINITY],
      [0, 0, 9e15],
    ] as const) {
      const err = t.throws(() => fn(lat, lon, day), { instanceOf: WasmError });
      t.is(err?.code, 'WASM_BAD_INPUT');
      t.regex(err?.message ?? '', /expected lat in \[-90, 90\]/);
    }
  });
}

test('solar — a WASM batch with a bad row names it and leaves the other rows valid', (t) => {
  const solar = new WasmSolar(3);
  solar.set(0, MADRID.lat, MADRID.lon, utc('2026-06-21T00:00:00'));
  solar.set(1, 123, 0, 0);
  solar.set(2, MADRID.lat, MADRID.lon, utc('2026-12-21T00:00:00'));
  const err = t.throws(() => solar.compute(3), { instanceOf: WasmError });
  t.is(err?.code, 'WASM_BAD_INPUT');
  t.regex(err?.message ?? '', /^row 1: .*lat 123/);
  t.deepEqual(solar.get(0), sunTimesWasm(MADRID.lat, MADRID.lon, utc('2026-06-21T00:00:00')));
  t.true(EVENTS.every((e) => Number.isNaN(solar.get(1)[e])));
  t.false(Number.isNaN(solar.get(2).sunriseMs));
});

test('solar — WasmSolar refuses counts beyond its capacity and a full arena', (t) => {
  const solar = new WasmSolar(4);
  for (const n of [5, -1, 1.5, Number.NaN]) {
    const err = t.throws(() => solar.compute(n), { instanceOf: WasmError });
    t.is(err?.code, 'WASM_CAPACITY');
  }
  t.is(t.throws(() => solar.set(4, 0, 0, 0), { instanceOf: WasmError })?.code, 'WASM_CAPACITY');
  for (const capacity of [0, 2.5]) {
    t.is(t.throws(() => new WasmSolar(capacity), { instanceOf: WasmError })?.code, 'WASM_CAPACITY');
  }
  const full = t.throws(() => new WasmSolar(1e6), { instanceOf: WasmError });
  t.is(full?.code, 'WASM_CAPACITY');
  t.regex(full?.message ?? '', /arena has \d+ left/);
  // The refused request took nothing: a small one still fits.
  t.notThrows(() => new WasmSolar(4));
});

function iso(ms: number): string {
  return Number.isNaN(ms) ? 'NaN' : new Date(ms).toISOString();
}
