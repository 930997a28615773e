// The lighting-control keys of a lighting group: traffic-adaptive class (with its periods),
// photocell, fade, constant light output (maintenance) and presence dimming. Each problem names
// its field and why, like the rest of the loader (load-config.ts), and a group with any problem
// is not returned: a half-understood dimming rule must not reach a street.
import { HHMM_PATTERN } from '../control/madrid-time.js';
import type {
  LightingAdaptiveConfig,
  LightingGroupConfig,
  LightingMaintenanceConfig,
  LightingPeriodConfig,
  LightingPresenceConfig,
  LightingClass,
} from './edge-config.js';
import { at, type ShapeChecker, type JsonObject } from './shape-checker.js';

/** The optional keys of a group this file checks. */
export const LIGHTING_CONTROL_KEYS = ['adaptive', 'photocell', 'fadeS', 'maintenance', 'presence'] as const;
type ControlKey = (typeof LIGHTING_CONTROL_KEYS)[number];

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** A maintenance factor below this is not a design value but a typo (CIE 154 tables go to ~0.5). */
const MIN_MAINTENANCE_FACTOR = 0.5;

/** The optional lighting-control keys of group `o` at path `p`. */
export function checkLightingControl(
  c: ShapeChecker,
  o: JsonObject,
  p: string,
): Pick<LightingGroupConfig, ControlKey> {
  const out: { -readonly [K in ControlKey]?: LightingGroupConfig[K] } = {};
  const cls = typeof o.lightingClass === 'string' ? o.lightingClass : undefined;
  if (o.adaptive !== undefined) {
    const ap = at(p, 'adaptive');
    if (cls?.startsWith('C'))
      c.fail(ap, 'C classes are not adapted: the kernel has EN 13201-2 tables for M and P only');
    const adaptive = checkAdaptive(c, o.adaptive, ap);
    if (adaptive) out.adaptive = adaptive;
  }
  if (o.photocell !== undefined) {
    const pp = at(p, 'photocell');
    const pc = c.object(o.photocell, pp, ['onLux', 'offLux']);
    const onLux = pc && c.number(pc.onLux, at(pp, 'onLux'), { min: 0, max: 10_000 });
    const offLux = pc && c.number(pc.offLux, at(pp, 'offLux'), { min: 0, max: 10_000 });
    if (onLux !== undefined && offLux !== undefined) {
      // Without a gap the lights would flicker at dusk as the reading crosses one threshold.
      if (offLux <= onLux) c.fail(at(pp, 'offLux'), `${offLux} lx must be above onLux (${onLux} lx)`);
      else out.photocell = { onLux, offLux };
    }
  }
  if (o.fadeS !== undefined) {
    const fadeS = c.number(o.fadeS, at(p, 'fadeS'), { min: 0, max: 90.5 });
    if (fadeS !== undefined) out.fadeS = fadeS;
  }
  if (o.maintenance !== undefined) {
    const m = checkMaintenance(c, o.maintenance, at(p, 'maintenance'));
    if (m) out.maintenance = m;
  }
  if (o.presence !== undefined) {
    const presence = checkPresence(c, o, cls, at(p, 'presence'));
    if (presence) out.presence = presence;
  }
  return out;
}

function checkAdaptive(
  c: ShapeChecker,
  v: JsonObject[string],
  ap: string,
): LightingAdaptiveConfig | undefined {
  const a = c.object(v, ap, ['otherWeights', 'capacityVehPerHour'], ['periodMin', 'trafficBands', 'periods']);
  if (!a) return undefined;
  const otherWeights = c.number(a.otherWeights, at(ap, 'otherWeights'), { min: -6, max: 6 });
  const capacityVehPerHour = c.number(a.capacityVehPerHour, at(ap, 'capacityVehPerHour'), { min: 1 });
  const periodMin =
    a.periodMin === undefined ? undefined : c.number(a.periodMin, at(ap, 'periodMin'), { min: 1, max: 240 });
  let trafficBands: { high: number; low: number } | undefined;
  if (a.trafficBands !== undefined) {
    const bp = at(ap, 'trafficBands');
    const b = c.object(a.trafficBands, bp, ['high', 'low']);
    const high = b && c.number(b.high, at(bp, 'high'), { min: 0, max: 1 });
    const low = b && c.number(b.low, at(bp, 'low'), { min: 0, max: 1 });
    if (high !== undefined && low !== undefined) {
      if (low >= high) c.fail(at(bp, 'low'), `${low} must be below high (${high})`);
      trafficBands = { high, low };
    }
  }
  const periods = a.periods === undefined ? undefined : checkPeriods(c, a.periods, at(ap, 'periods'));
  if (otherWeights === undefined || capacityVehPerHour === undefined) return undefined;
  return {
    otherWeights,
    capacityVehPerHour,
    ...(periodMin !== undefined ? { periodMin } : {}),
    ...(trafficBands ? { trafficBands } : {}),
    ...(periods ? { periods } : {}),
  };
}

/** Minutes after Madrid midnight of a checked "HH:MM". */
const minuteOfDay = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));

function checkPeriods(
  c: ShapeChecker,
  v: JsonObject[string],
  pp: string,
): LightingPeriodConfig[] | undefined {
  const list = c.array(v, pp, { minLength: 1 });
  if (!list) return undefined;
  const periods = list.map((x, i) => {
    const ip = at(pp, i);
    const o = c.object(x, ip, ['from', 'to', 'otherWeights']);
    if (!o) return undefined;
    const from = c.string(o.from, at(ip, 'from'), { pattern: HHMM_PATTERN });
    const to = c.string(o.to, at(ip, 'to'), { pattern: HHMM_PATTERN });
    const otherWeights = c.number(o.otherWeights, at(ip, 'otherWeights'), { min: -6, max: 6 });
    if (from !== undefined && from === to)
      return c.fail(
        at(ip, 'to'),
        `${to} equals from: a period must have a length (omit periods for all day)`,
      );
    return from !== undefined && to !== undefined && otherWeights !== undefined
      ? { from, to, otherWeights }
      : undefined;
  });
  if (periods.some((x) => x === undefined)) return undefined;
  const valid = periods as LightingPeriodConfig[];
  // Two periods covering the same minute would make the weights depend on list order.
  const owner = new Int16Array(24 * 60).fill(-1);
  for (const [i, per] of valid.entries()) {
    const [a, b] = [minuteOfDay(per.from), minuteOfDay(per.to)];
    for (let m = a; m !== b; m = (m + 1) % owner.length) {
      if (owner[m]! >= 0) {
        const hh = `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
        return c.fail(at(at(pp, i), 'from'), `overlaps periods[${owner[m]}] at ${hh}`);
      }
      owner[m] = i;
    }
  }
  return valid;
}

function checkMaintenance(
  c: ShapeChecker,
  v: JsonObject[string],
  mp: string,
): LightingMaintenanceConfig | undefined {
  const o = c.object(v, mp, ['factor', 'installed', 'lumenMaintenance'], ['dirtFactor']);
  if (!o) return undefined;
  const factor = c.number(o.factor, at(mp, 'factor'), { min: MIN_MAINTENANCE_FACTOR, max: 1 });
  const installed = c.string(o.installed, at(mp, 'installed'));
  let installedMs: number | undefined;
  if (installed !== undefined) {
    const d = DATE.exec(installed);
    const ms = d ? Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3])) : Number.NaN;
    // Date.UTC rolls 2024-02-31 over into March: a date must read back as written.
    if (!d || new Date(ms).toISOString().slice(0, 10) !== installed)
      c.fail(at(mp, 'installed'), `"${installed}" is not a date YYYY-MM-DD`);
    else if (Number(d[1]) < 1990) c.fail(at(mp, 'installed'), `${installed} is before LED street lighting`);
    else installedMs = ms;
  }
  const dirtFactor =
    o.dirtFactor === undefined ? 1 : c.number(o.dirtFactor, at(mp, 'dirtFactor'), { min: 0.5, max: 1 });
  const cp = at(mp, 'lumenMaintenance');
  const raw = c.array(o.lumenMaintenance, cp, { minLength: 1 }) ?? [];
  const curve: { hours: number; fraction: number }[] = [];
  for (const [i, x] of raw.entries()) {
    const ip = at(cp, i);
    const pt = c.object(x, ip, ['hours', 'fraction']);
    const hours = pt && c.number(pt.hours, at(ip, 'hours'), { min: 0, max: 500_000 });
    const fraction = pt && c.number(pt.fraction, at(ip, 'fraction'), { min: 0.3, max: 1 });
    if (hours === undefined || fraction === undefined) return undefined;
    const prev = curve.at(-1);
    if (prev && hours <= prev.hours)
      return c.fail(at(ip, 'hours'), `${hours} h must be after the previous point's ${prev.hours} h`);
    // A curve that rises with age would have the lamp dimmed as it grows brighter: a data error.
    if (prev && fraction > prev.fraction)
      return c.fail(at(ip, 'fraction'), `${fraction} rises above the previous point's ${prev.fraction}`);
    curve.push({ hours, fraction });
  }
  if (factor === undefined || installedMs === undefined || dirtFactor === undefined || curve.length === 0)
    return undefined;
  // Where the curve ends below MF / LMF, 100 % no longer meets the design: the CLO would have to
  // exceed full power. The curve must stop at the end of the maintenance period the MF assumed.
  const end = curve.at(-1)!;
  if (end.fraction * dirtFactor < factor - 1e-9)
    return c.fail(
      at(mp, 'factor'),
      `${factor} is above what the luminaires give at ${end.hours} h (${end.fraction} × dirtFactor ${dirtFactor}); ` +
        'end lumenMaintenance at the maintenance period the design assumed',
    );
  return { factor, installed: installed!, lumenMaintenance: curve, dirtFactor };
}

function checkPresence(
  c: ShapeChecker,
  g: JsonObject,
  cls: string | undefined,
  pp: string,
): LightingPresenceConfig | undefined {
  const o = c.object(g.presence, pp, ['holdS'], ['boostClass']);
  if (!o) return undefined;
  if (cls !== undefined && !cls.startsWith('P'))
    return c.fail(pp, `presence dimming is for pedestrian streets (P classes); this group is ${cls}`);
  if (!Array.isArray(g.detectors) || g.detectors.length === 0)
    return c.fail(pp, 'needs detectors: presence is what the group’s detectors count');
  // Without adaptive the group always runs its design class: there is nothing to boost from.
  if (g.adaptive === undefined)
    return c.fail(
      pp,
      'needs adaptive: the street dims to the class its counted use allows, and presence boosts it',
    );
  const holdS = c.number(o.holdS, at(pp, 'holdS'), { min: 5, max: 3600 });
  let boostClass: LightingClass | undefined;
  if (o.boostClass !== undefined) {
    const b = c.string(o.boostClass, at(pp, 'boostClass'), { pattern: /^P[1-6]$/ });
    if (b !== undefined && cls !== undefined && Number(b.slice(1)) < Number(cls.slice(1)))
      return c.fail(at(pp, 'boostClass'), `${b} is brighter than the design class ${cls}`);
    boostClass = b as LightingClass | undefined;
  }
  if (holdS === undefined) return undefined;
  return { holdS, ...(boostClass !== undefined ? { boostClass } : {}) };
}
