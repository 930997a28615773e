// Solar family: sunrise, sunset and civil twilight for a batch of places and days.
//
// Source: NOAA Global Monitoring Laboratory, "NOAA Solar Calculator — Solar Calculation Details"
// (https://gml.noaa.gov/grad/solcalc/calcdetails.html) and its spreadsheet NOAA_Solar_Calculations_day.xls,
// whose equations come from Jean Meeus, "Astronomical Algorithms" (2nd ed., 1998), ch. 25 (solar
// coordinates, low accuracy) and ch. 28 (equation of time). Column letters below refer to that
// spreadsheet. Each event is computed once at the estimated local solar noon and refined once at the
// estimated event time, as NOAA's web calculator refines its first estimate (calcSunriseSet). The
// refinement matters: one spreadsheet row at a fixed time of day misses NOAA by up to 84 s at the
// equinoxes at Madrid; with it the kernel is within 0.1 s of the spreadsheet evaluated at the
// event's own time (wasm/solar.test.ts). NOAA quotes about 1 minute of accuracy between ±72°
// latitude (REFERENCE §3); ΔT (TT − UT, ~69 s) is ignored as NOAA does.
//
// The TypeScript twin is wasm/solar.ts; tests hold the two within 1 s of each other. Change both.
//
// Conventions: latitude degrees north, longitude degrees east (west negative), times in ms since
// the Unix epoch. The "day" is the UTC day containing dayMs; the events are those around the
// solar noon of that day at that longitude, so far east/west they may fall before 00:00 or after
// 24:00 UTC. An event that does not occur (polar day or night) is NaN.

/** Zenith of the sun's centre at sunrise/sunset: 90° + 34' refraction + 16' semi-diameter. */
const ZENITH_SUNRISE: f64 = 90.833;
/** Zenith at civil dawn/dusk: the sun 6° below the horizon. */
const ZENITH_CIVIL: f64 = 96.0;

const MS_PER_DAY: f64 = 86400000.0;
const MS_PER_MINUTE: f64 = 60000.0;
const RAD: f64 = Math.PI / 180.0;
const DEG: f64 = 180.0 / Math.PI;

/** Doubles per input row: lat, lon, dayMs. */
export const SOLAR_IN_STRIDE: i32 = 3;
/** Doubles per output row: sunriseMs, sunsetMs, civilDawnMs, civilDuskMs. */
export const SOLAR_OUT_STRIDE: i32 = 4;

// Declination (degrees) and equation of time (minutes) of the last solarAt() call. Globals, not an
// object: the kernel must not allocate.
let declDeg: f64 = 0;
let eqTimeMin: f64 = 0;

/** Sun's declination and equation of time at `ms` (spreadsheet columns G–V). */
function solarAt(ms: f64): void {
  const jd = ms / MS_PER_DAY + 2440587.5; // G: Julian Day (Unix epoch = JD 2440587.5)
  const t = (jd - 2451545.0) / 36525.0; // H: Julian Century from J2000.0
  let l0 = (280.46646 + t * (36000.76983 + t * 0.0003032)) % 360.0; // I: geom mean long (°)
  if (l0 < 0) l0 += 360.0;
  const m = 357.52911 + t * (35999.05029 - 0.0001537 * t); // J: geom mean anomaly (°)
  const e = 0.016708634 - t * (0.000042037 + 0.0000001267 * t); // K: eccentricity of orbit
  const mr = m * RAD;
  const c = // L: equation of centre (°)
    Math.sin(mr) * (1.914602 - t * (0.004817 + 0.000014 * t)) +
    Math.sin(2.0 * mr) * (0.019993 - 0.000101 * t) +
    Math.sin(3.0 * mr) * 0.000289;
  const trueLong = l0 + c; // M: true longitude (°)
  const omega = (125.04 - 1934.136 * t) * RAD; // longitude of the Moon's ascending node
  const appLong = trueLong - 0.00569 - 0.00478 * Math.sin(omega); // P: apparent longitude (°)
  const obliqMean = 23.0 + (26.0 + (21.448 - t * (46.815 + t * (0.00059 - t * 0.001813))) / 60.0) / 60.0; // Q
  const obliq = obliqMean + 0.00256 * Math.cos(omega); // R: corrected obliquity (°)
  declDeg = Math.asin(Math.sin(obliq * RAD) * Math.sin(appLong * RAD)) * DEG; // T: declination (°)
  const tanHalf = Math.tan((obliq / 2.0) * RAD);
  const y = tanHalf * tanHalf; // U: var y
  const l0r = l0 * RAD;
  eqTimeMin = // V: equation of time (minutes)
    4.0 *
    DEG *
    (y * Math.sin(2.0 * l0r) -
      2.0 * e * Math.sin(mr) +
      4.0 * e * y * Math.sin(mr) * Math.cos(2.0 * l0r) -
      0.5 * y * y * Math.sin(4.0 * l0r) -
      1.25 * e * e * Math.sin(2.0 * mr));
}

/** Hour angle (°) at which the sun's centre reaches `zenithDeg` (column W); NaN if it never does. */
function hourAngleDeg(latRad: f64, declDegrees: f64, zenithDeg: f64): f64 {
  const decl = declDegrees * RAD;
  const cosH =
    Math.cos(zenithDeg * RAD) / (Math.cos(latRad) * Math.cos(decl)) - Math.tan(latRad) * Math.tan(decl);
  // |cosH| > 1: the sun stays above (polar day) or below (polar night) that zenith all day.
  return cosH >= -1.0 && cosH <= 1.0 ? Math.acos(cosH) * DEG : NaN;
}

/**
 * Time (ms) of one event: sign −1 for the morning one, +1 for the evening one (columns X–Z).
 * `noonDecl` and `noonEqTime` are the first estimate, at local solar noon; the event is then
 * refined once at its estimated time, as NOAA's calculator does (calcSunriseSetUTC).
 */
function eventMs(
  dayStart: f64,
  latRad: f64,
  lonDeg: f64,
  noonDecl: f64,
  noonEqTime: f64,
  zenithDeg: f64,
  sign: f64,
): f64 {
  let minutes = 720.0 - 4.0 * lonDeg - noonEqTime + sign * 4.0 * hourAngleDeg(latRad, noonDecl, zenithDeg);
  if (isNaN(minutes)) return NaN;
  solarAt(dayStart + minutes * MS_PER_MINUTE);
  minutes = 720.0 - 4.0 * lonDeg - eqTimeMin + sign * 4.0 * hourAngleDeg(latRad, declDeg, zenithDeg);
  return dayStart + minutes * MS_PER_MINUTE;
}

/**
 * Batch kernel. Reads `n` rows of (latDeg, lonDeg, dayMs) f64 at `inPtr` and writes `n` rows of
 * (sunriseMs, sunsetMs, civilDawnMs, civilDuskMs) f64 at `outPtr`. A row with latitude outside
 * [−90, 90], longitude outside [−180, 180] or a non-finite or out-of-Date-range day gets four NaNs.
 * Returns the index of the first such row, or −1 if every row was valid.
 */
export function solarSunTimes(inPtr: usize, outPtr: usize, n: i32): i32 {
  let firstBad: i32 = -1;
  for (let i: i32 = 0; i < n; i++) {
    const src = inPtr + ((<usize>i * SOLAR_IN_STRIDE) << 3);
    const dst = outPtr + ((<usize>i * SOLAR_OUT_STRIDE) << 3);
    const lat = load<f64>(src);
    const lon = load<f64>(src, 8);
    const dayMs = load<f64>(src, 16);
    // Negated comparisons so that NaN fails them.
    if (!(lat >= -90.0 && lat <= 90.0 && lon >= -180.0 && lon <= 180.0 && Math.abs(dayMs) <= 8.64e15)) {
      if (firstBad < 0) firstBad = i;
      store<f64>(dst, NaN);
      store<f64>(dst, NaN, 8);
      store<f64>(dst, NaN, 16);
      store<f64>(dst, NaN, 24);
      continue;
    }
    const dayStart = Math.floor(dayMs / MS_PER_DAY) * MS_PER_DAY;
    const latRad = lat * RAD;
    solarAt(dayStart + (720.0 - 4.0 * lon) * MS_PER_MINUTE); // first estimate: local solar noon
    const d = declDeg;
    const q = eqTimeMin;
    store<f64>(dst, eventMs(dayStart, latRad, lon, d, q, ZENITH_SUNRISE, -1.0));
    store<f64>(dst, eventMs(dayStart, latRad, lon, d, q, ZENITH_SUNRISE, 1.0), 8);
    store<f64>(dst, eventMs(dayStart, latRad, lon, d, q, ZENITH_CIVIL, -1.0), 16);
    store<f64>(dst, eventMs(dayStart, latRad, lon, d, q, ZENITH_CIVIL, 1.0), 24);
  }
  return firstBad;
}
