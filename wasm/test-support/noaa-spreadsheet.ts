// Test support: NOAA's solar spreadsheet, written out column by column, as the outside reference for
// the solar kernel's known-answer test.
//
// Why this exists: the issue asks for NOAA's published sunrise and sunset times, and there is no
// network here to read them off NOAA's web calculator. So this file evaluates the formulas of NOAA's
// spreadsheet (NOAA_Solar_Calculations_day.xls, documented at
// https://gml.noaa.gov/grad/solcalc/calcdetails.html) the way the spreadsheet does: Excel serial
// date (column D), time past local midnight (E), time zone (B5), then columns F to Z with Excel's
// RADIANS/DEGREES/MOD. It is deliberately written independently of wasm/solar.ts and
// wasm/assembly/solar.ts — a calendar date and an Excel serial in, a local day fraction out, the
// spreadsheet's column names — so a slip in the kernel (sign of the longitude, time zone, Julian Day
// epoch, a term of the equation of time) does not repeat here. The two share only NOAA's published
// constants, which is the point of the comparison.
//
// One difference from a single spreadsheet row: the row's solar position is that of the time in
// column E, so a row at 00:06 gives sunrise from the sun's position six hours early (up to ~40 s off
// near an equinox). NOAA's web calculator removes this by evaluating again at the time it found
// (calcSunriseSet: once at 0h UT, then at the estimated event); `sunEvent` below does the same,
// re-evaluating the row at the event's own time until it moves by less than 0.01 s.

/** Excel's serial day number (1900 date system) of a calendar date: days since 1899-12-30. */
export function excelSerial(year: number, month: number, day: number): number {
  return Math.round(Date.UTC(year, month - 1, day) / 86_400_000) + 25_569;
}

const RADIANS = (deg: number) => (deg * Math.PI) / 180;
const DEGREES = (rad: number) => (rad * 180) / Math.PI;
/** Excel MOD: the result has the sign of the divisor. */
const MOD = (a: number, b: number) => a - b * Math.floor(a / b);

/** The spreadsheet's columns for one row (inputs B3 latitude, B4 longitude east +, B5 time zone). */
export interface SpreadsheetRow {
  F_julianDay: number;
  G_julianCentury: number;
  I_geomMeanLongSun: number;
  J_geomMeanAnomSun: number;
  K_eccentEarthOrbit: number;
  L_sunEqOfCtr: number;
  M_sunTrueLong: number;
  P_sunAppLong: number;
  Q_meanObliqEcliptic: number;
  R_obliqCorr: number;
  T_sunDeclin: number;
  U_varY: number;
  V_eqOfTimeMinutes: number;
  /** Hour angle of sunrise (or of the given zenith), degrees; NaN when the sun does not get there. */
  W_haSunrise: number;
  /** Solar noon, local time as a fraction of the day. */
  X_solarNoonLst: number;
  Y_sunriseLst: number;
  Z_sunsetLst: number;
}

/**
 * One spreadsheet row. `serialD` is column D (Excel date), `timeE` column E (time past local
 * midnight, fraction of a day), `tzB5` the time zone in hours east of UTC. `zenithDeg` is 90.833 in
 * the spreadsheet's W column (refraction 34' + solar semi-diameter 16'); 96 gives civil twilight.
 */
export function spreadsheetRow(
  latB3: number,
  lonB4: number,
  tzB5: number,
  serialD: number,
  timeE: number,
  zenithDeg = 90.833,
): SpreadsheetRow {
  const F = serialD + 2415018.5 + timeE - tzB5 / 24;
  const G = (F - 2451545) / 36525;
  const I = MOD(280.46646 + G * (36000.76983 + G * 0.0003032), 360);
  const J = 357.52911 + G * (35999.05029 - 0.0001537 * G);
  const K = 0.016708634 - G * (0.000042037 + 0.0000001267 * G);
  const L =
    Math.sin(RADIANS(J)) * (1.914602 - G * (0.004817 + 0.000014 * G)) +
    Math.sin(RADIANS(2 * J)) * (0.019993 - 0.000101 * G) +
    Math.sin(RADIANS(3 * J)) * 0.000289;
  const M = I + L;
  const P = M - 0.00569 - 0.00478 * Math.sin(RADIANS(125.04 - 1934.136 * G));
  const Q = 23 + (26 + (21.448 - G * (46.815 + G * (0.00059 - G * 0.001813))) / 60) / 60;
  const R = Q + 0.00256 * Math.cos(RADIANS(125.04 - 1934.136 * G));
  const T = DEGREES(Math.asin(Math.sin(RADIANS(R)) * Math.sin(RADIANS(P))));
  const U = Math.tan(RADIANS(R / 2)) * Math.tan(RADIANS(R / 2));
  const V =
    4 *
    DEGREES(
      U * Math.sin(2 * RADIANS(I)) -
        2 * K * Math.sin(RADIANS(J)) +
        4 * K * U * Math.sin(RADIANS(J)) * Math.cos(2 * RADIANS(I)) -
        0.5 * U * U * Math.sin(4 * RADIANS(I)) -
        1.25 * K * K * Math.sin(2 * RADIANS(J)),
    );
  // Excel's ACOS returns #NUM! outside [-1, 1]; Math.acos returns NaN, which stands for it here.
  const W = DEGREES(
    Math.acos(
      Math.cos(RADIANS(zenithDeg)) / (Math.cos(RADIANS(latB3)) * Math.cos(RADIANS(T))) -
        Math.tan(RADIANS(latB3)) * Math.tan(RADIANS(T)),
    ),
  );
  const X = (720 - 4 * lonB4 - V + tzB5 * 60) / 1440;
  return {
    F_julianDay: F,
    G_julianCentury: G,
    I_geomMeanLongSun: I,
    J_geomMeanAnomSun: J,
    K_eccentEarthOrbit: K,
    L_sunEqOfCtr: L,
    M_sunTrueLong: M,
    P_sunAppLong: P,
    Q_meanObliqEcliptic: Q,
    R_obliqCorr: R,
    T_sunDeclin: T,
    U_varY: U,
    V_eqOfTimeMinutes: V,
    W_haSunrise: W,
    X_solarNoonLst: X,
    Y_sunriseLst: X - (W * 4) / 1440,
    Z_sunsetLst: X + (W * 4) / 1440,
  };
}

/**
 * Sunrise ('rise') or sunset ('set') as local time, a fraction of the day, with the row evaluated at
 * the event's own time (see the header). NaN when the event does not occur.
 */
export function sunEvent(
  which: 'rise' | 'set',
  latB3: number,
  lonB4: number,
  tzB5: number,
  serialD: number,
  zenithDeg = 90.833,
): number {
  let timeE = 0.5; // start from local noon
  for (let pass = 0; pass < 10; pass++) {
    const row = spreadsheetRow(latB3, lonB4, tzB5, serialD, timeE, zenithDeg);
    const next = which === 'rise' ? row.Y_sunriseLst : row.Z_sunsetLst;
    if (Number.isNaN(next)) return Number.NaN;
    if (Math.abs(next - timeE) < 0.01 / 86_400) return next;
    timeE = next;
  }
  return timeE;
}

/** A local day fraction as hh:mm:ss (rounded to the second), for messages and tables. */
export function hms(dayFraction: number): string {
  const s = Math.round(dayFraction * 86_400);
  const pad = (x: number) => String(x).padStart(2, '0');
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
}
