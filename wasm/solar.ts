// Sunrise, sunset and civil twilight: the TypeScript twin of wasm/assembly/solar.ts.
//
// Source: NOAA Global Monitoring Laboratory, "NOAA Solar Calculator — Solar Calculation Details"
// (https://gml.noaa.gov/grad/solcalc/calcdetails.html) and its spreadsheet NOAA_Solar_Calculations_day.xls,
// after Jean Meeus, "Astronomical Algorithms" (2nd ed., 1998), ch. 25 and 28. Column letters refer
// to that spreadsheet. Each event is computed at the estimated local solar noon and refined once at
// the estimated event time, as NOAA's web calculator refines its first estimate; without the
// refinement the equinoxes at Madrid miss NOAA by up to 84 s. About 1 minute of accuracy between
// ±72° latitude (REFERENCE §3).
//
// Same algorithm, same order of operations as the WASM kernel; the tests hold the two within 1 s.
// Change both. This one serves single calls (no boundary crossing); wasm/core.ts serves batches.

import { WasmError } from './errors.js';

/** One UTC day's sun events in ms since the Unix epoch; NaN when the event does not occur. */
export interface SunTimes {
  sunriseMs: number;
  sunsetMs: number;
  civilDawnMs: number;
  civilDuskMs: number;
}

/** Zenith of the sun's centre at sunrise/sunset: 90° + 34' refraction + 16' semi-diameter. */
const ZENITH_SUNRISE = 90.833;
/** Zenith at civil dawn/dusk: the sun 6° below the horizon. */
const ZENITH_CIVIL = 96;

const MS_PER_DAY = 86_400_000;
const MS_PER_MINUTE = 60_000;
const RAD = Math.PI / 180;
const DEG = 180 / Math.PI;
/** Largest |ms| a Date can hold (ECMA-262 §21.4.1.1). */
const MAX_DATE_MS = 8.64e15;

interface SolarPosition {
  declDeg: number;
  eqTimeMin: number;
}

/** Sun's declination and equation of time at `ms` (spreadsheet columns G–V). */
function solarAt(ms: number): SolarPosition {
  const jd = ms / MS_PER_DAY + 2440587.5; // G: Julian Day (Unix epoch = JD 2440587.5)
  const t = (jd - 2451545) / 36525; // H: Julian Century from J2000.0
  let l0 = (280.46646 + t * (36000.76983 + t * 0.0003032)) % 360; // I: geom mean long (°)
  if (l0 < 0) l0 += 360;
  const m = 357.52911 + t * (35999.05029 - 0.0001537 * t); // J: geom mean anomaly (°)
  const e = 0.016708634 - t * (0.000042037 + 0.0000001267 * t); // K: eccentricity of orbit
  const mr = m * RAD;
  const c = // L: equation of centre (°)
    Math.sin(mr) * (1.914602 - t * (0.004817 + 0.000014 * t)) +
    Math.sin(2 * mr) * (0.019993 - 0.000101 * t) +
    Math.sin(3 * mr) * 0.000289;
  const trueLong = l0 + c; // M: true longitude (°)
  const omega = (125.04 - 1934.136 * t) * RAD; // longitude of the Moon's ascending node
  const appLong = trueLong - 0.00569 - 0.00478 * Math.sin(omega); // P: apparent longitude (°)
  const obliqMean = 23 + (26 + (21.448 - t * (46.815 + t * (0.00059 - t * 0.001813))) / 60) / 60; // Q
  const obliq = obliqMean + 0.00256 * Math.cos(omega); // R: corrected obliquity (°)
  const declDeg = Math.asin(Math.sin(obliq * RAD) * Math.sin(appLong * RAD)) * DEG; // T: declination
  const tanHalf = Math.tan((obliq / 2) * RAD);
  const y = tanHalf * tanHalf; // U: var y
  const l0r = l0 * RAD;
  const eqTimeMin = // V: equation of time (minutes)
    4 *
    DEG *
    (y * Math.sin(2 * l0r) -
      2 * e * Math.sin(mr) +
      4 * e * y * Math.sin(mr) * Math.cos(2 * l0r) -
      0.5 * y * y * Math.sin(4 * l0r) -
      1.25 * e * e * Math.sin(2 * mr));
  return { declDeg, eqTimeMin };
}

/** Hour angle (°) at which the sun's centre reaches `zenithDeg` (column W); NaN if it never does. */
function hourAngleDeg(latRad: number, declDeg: number, zenithDeg: number): number {
  const decl = declDeg * RAD;
  const cosH =
    Math.cos(zenithDeg * RAD) / (Math.cos(latRad) * Math.cos(decl)) - Math.tan(latRad) * Math.tan(decl);
  // |cosH| > 1: the sun stays above (polar day) or below (polar night) that zenith all day.
  return cosH >= -1 && cosH <= 1 ? Math.acos(cosH) * DEG : NaN;
}

/**
 * Time (ms) of one event: sign −1 for the morning one, +1 for the evening one (columns X–Z).
 * `noon` is the first estimate, at local solar noon; the event is then refined once at its
 * estimated time, as NOAA's calculator does (calcSunriseSetUTC).
 */
function eventMs(
  dayStart: number,
  latRad: number,
  lonDeg: number,
  noon: SolarPosition,
  zenithDeg: number,
  sign: number,
): number {
  let minutes = 720 - 4 * lonDeg - noon.eqTimeMin + sign * 4 * hourAngleDeg(latRad, noon.declDeg, zenithDeg);
  if (Number.isNaN(minutes)) return NaN;
  const p = solarAt(dayStart + minutes * MS_PER_MINUTE);
  minutes = 720 - 4 * lonDeg - p.eqTimeMin + sign * 4 * hourAngleDeg(latRad, p.declDeg, zenithDeg);
  return dayStart + minutes * MS_PER_MINUTE;
}

/**
 * Sun events of the UTC day containing `dayMs`, at latitude `latDeg` (north positive) and longitude
 * `lonDeg` (east positive). The events are those around that day's solar noon at that longitude, so
 * far east or west they may fall before 00:00 or after 24:00 UTC. Throws WASM_BAD_INPUT for a
 * latitude outside [−90, 90], a longitude outside [−180, 180] or a day outside the Date range.
 */
export function sunTimes(latDeg: number, lonDeg: number, dayMs: number): SunTimes {
  // Negated comparisons so that NaN fails them.
  if (!(latDeg >= -90 && latDeg <= 90 && lonDeg >= -180 && lonDeg <= 180 && Math.abs(dayMs) <= MAX_DATE_MS)) {
    throw new WasmError('WASM_BAD_INPUT', solarInputMessage(latDeg, lonDeg, dayMs));
  }
  const dayStart = Math.floor(dayMs / MS_PER_DAY) * MS_PER_DAY;
  const latRad = latDeg * RAD;
  const noon = solarAt(dayStart + (720 - 4 * lonDeg) * MS_PER_MINUTE); // first estimate: solar noon
  return {
    sunriseMs: eventMs(dayStart, latRad, lonDeg, noon, ZENITH_SUNRISE, -1),
    sunsetMs: eventMs(dayStart, latRad, lonDeg, noon, ZENITH_SUNRISE, 1),
    civilDawnMs: eventMs(dayStart, latRad, lonDeg, noon, ZENITH_CIVIL, -1),
    civilDuskMs: eventMs(dayStart, latRad, lonDeg, noon, ZENITH_CIVIL, 1),
  };
}

/** The message both twins give for a row outside the domain. */
export function solarInputMessage(latDeg: number, lonDeg: number, dayMs: number): string {
  return (
    `solar: input out of range (lat ${latDeg}, lon ${lonDeg}, dayMs ${dayMs}); ` +
    'expected lat in [-90, 90], lon in [-180, 180] (east positive), dayMs a finite Date time'
  );
}
