// Lighting groups beyond their shape (site.schema.json): their luminaires and detectors exist and
// are what they claim, a luminaire is in one group only, and the lighting-control keys hang
// together — the traffic-adaptive class (with its periods), the photocell, constant light output
// (maintenance) and presence dimming. Each problem names its field and why; a site with any of
// them wrong is refused whole: a half-understood dimming rule must not reach a street.
import { at, fieldsOf, itemsOf, type ProblemList } from './problem-list.js';
import type { SiteReferences } from './site-references.js';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function checkLightingGroups(v: unknown, problems: ProblemList, refs: SiteReferences): void {
  itemsOf(v).forEach((g, i) => {
    const p = at('lightingGroups', i);
    const o = fieldsOf(g);
    const luminaires = refs.devices(o.luminaires, at(p, 'luminaires'), 'luminaire');
    itemsOf(o.luminaires).forEach((l, j) => {
      if (typeof l === 'string' && luminaires.includes(l)) refs.claim(l, at(at(p, 'luminaires'), j));
    });
    // Detectors may serve lighting presence and an intersection at once: reading is not owning.
    refs.devices(o.detectors, at(p, 'detectors'), 'detector');
    checkLightingControl(o, p, problems);
  });
  refs.uniqueIds(v, 'lightingGroups', 'lighting group');
}

/** The lighting-control keys of group `o` at path `p`. */
function checkLightingControl(o: Readonly<Record<string, unknown>>, p: string, problems: ProblemList): void {
  const cls = problems.text(o.lightingClass, at(p, 'lightingClass'));
  if (o.adaptive !== undefined) {
    const ap = at(p, 'adaptive');
    if (cls?.startsWith('C'))
      problems.fail(ap, 'C classes are not adapted: the kernel has EN 13201-2 tables for M and P only');
    const a = fieldsOf(o.adaptive);
    const bp = at(ap, 'trafficBands');
    const b = fieldsOf(a.trafficBands);
    const high = problems.number(b.high, at(bp, 'high'));
    const low = problems.number(b.low, at(bp, 'low'));
    if (high !== undefined && low !== undefined && low >= high)
      problems.fail(at(bp, 'low'), `${low} must be below high (${high})`);
    checkPeriods(a.periods, at(ap, 'periods'), problems);
  }
  const pp = at(p, 'photocell');
  const pc = fieldsOf(o.photocell);
  const onLux = problems.number(pc.onLux, at(pp, 'onLux'));
  const offLux = problems.number(pc.offLux, at(pp, 'offLux'));
  // Without a gap the lights would flicker at dusk as the reading crosses one threshold.
  if (onLux !== undefined && offLux !== undefined && offLux <= onLux)
    problems.fail(at(pp, 'offLux'), `${offLux} lx must be above onLux (${onLux} lx)`);
  if (o.maintenance !== undefined) checkMaintenance(fieldsOf(o.maintenance), at(p, 'maintenance'), problems);
  if (o.presence !== undefined) checkPresence(o, cls, at(p, 'presence'), problems);
}

/** Minutes after Madrid midnight of a checked "HH:MM". */
const minuteOfDay = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));

function checkPeriods(v: unknown, pp: string, problems: ProblemList): void {
  if (v === undefined) return;
  const periods = itemsOf(v).map((x, i) => {
    const ip = at(pp, i);
    const o = fieldsOf(x);
    const from = problems.text(o.from, at(ip, 'from'));
    const to = problems.text(o.to, at(ip, 'to'));
    if (from !== undefined && from === to)
      return problems.fail(
        at(ip, 'to'),
        `${to} equals from: a period must have a length (omit periods for all day)`,
      );
    return from !== undefined && to !== undefined && problems.sound(ip) ? { from, to } : undefined;
  });
  if (periods.some((x) => x === undefined)) return;
  // Two periods covering the same minute would make the weights depend on list order.
  const owner = new Int16Array(24 * 60).fill(-1);
  for (const [i, per] of (periods as { from: string; to: string }[]).entries()) {
    const [a, b] = [minuteOfDay(per.from), minuteOfDay(per.to)];
    for (let m = a; m !== b; m = (m + 1) % owner.length) {
      if (owner[m]! >= 0) {
        const hh = `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
        problems.fail(at(at(pp, i), 'from'), `overlaps periods[${owner[m]}] at ${hh}`);
        return;
      }
      owner[m] = i;
    }
  }
}

function checkMaintenance(o: Readonly<Record<string, unknown>>, mp: string, problems: ProblemList): void {
  const installed = problems.text(o.installed, at(mp, 'installed'));
  if (installed !== undefined) {
    const d = DATE.exec(installed);
    const ms = d ? Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3])) : Number.NaN;
    // Date.UTC rolls 2024-02-31 over into March: a date must read back as written.
    if (!d || new Date(ms).toISOString().slice(0, 10) !== installed)
      problems.fail(at(mp, 'installed'), `"${installed}" is not a date YYYY-MM-DD`);
    else if (Number(d[1]) < 1990)
      problems.fail(at(mp, 'installed'), `${installed} is before LED street lighting`);
  }
  const cp = at(mp, 'lumenMaintenance');
  if (!problems.sound(cp)) return;
  const curve = itemsOf(o.lumenMaintenance) as readonly { hours: number; fraction: number }[];
  for (const [i, pt] of curve.entries()) {
    const prev = curve[i - 1];
    if (!prev) continue;
    const ip = at(cp, i);
    if (pt.hours <= prev.hours)
      return problems.fail(
        at(ip, 'hours'),
        `${pt.hours} h must be after the previous point's ${prev.hours} h`,
      );
    // A curve that rises with age would have the lamp dimmed as it grows brighter: a data error.
    if (pt.fraction > prev.fraction)
      return problems.fail(
        at(ip, 'fraction'),
        `${pt.fraction} rises above the previous point's ${prev.fraction}`,
      );
  }
  const factor = problems.number(o.factor, at(mp, 'factor'));
  const dirtFactor = o.dirtFactor === undefined ? 1 : problems.number(o.dirtFactor, at(mp, 'dirtFactor'));
  const end = curve.at(-1);
  if (factor === undefined || dirtFactor === undefined || !end) return;
  // Where the curve ends below MF / LMF, 100 % no longer meets the design: the CLO would have to
  // exceed full power. The curve must stop at the end of the maintenance period the MF assumed.
  if (end.fraction * dirtFactor < factor - 1e-9)
    problems.fail(
      at(mp, 'factor'),
      `${factor} is above what the luminaires give at ${end.hours} h (${end.fraction} × dirtFactor ${dirtFactor}); ` +
        'end lumenMaintenance at the maintenance period the design assumed',
    );
}

function checkPresence(
  g: Readonly<Record<string, unknown>>,
  cls: string | undefined,
  pp: string,
  problems: ProblemList,
): void {
  if (cls !== undefined && !cls.startsWith('P'))
    return problems.fail(pp, `presence dimming is for pedestrian streets (P classes); this group is ${cls}`);
  if (!Array.isArray(g.detectors) || g.detectors.length === 0)
    return problems.fail(pp, 'needs detectors: presence is what the group’s detectors count');
  // Without adaptive the group always runs its design class: there is nothing to boost from.
  if (g.adaptive === undefined)
    return problems.fail(
      pp,
      'needs adaptive: the street dims to the class its counted use allows, and presence boosts it',
    );
  const b = problems.text(fieldsOf(g.presence).boostClass, at(pp, 'boostClass'));
  if (b !== undefined && cls !== undefined && Number(b.slice(1)) < Number(cls.slice(1)))
    problems.fail(at(pp, 'boostClass'), `${b} is brighter than the design class ${cls}`);
}
