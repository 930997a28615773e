// The monthly measurement-and-verification report per lighting group, in the form Spanish
// energy-service contracts (ESE/EPC) ask for: baseline and actual kWh for the month, the saving,
// and how each figure was obtained — metered or modelled — from the hash-chained ledger
// (energy-ledger.ts), whose chain is verified first: a broken chain gives no report.
//
// Methods, stated in the report itself:
//   - actual: metered where the luminaires report power (D4i, IEC 62386-252, or a meter channel),
//     modelled elsewhere (commanded level on the DALI arc-power curve × rated power + standby);
//     the metered share is given, and a group is "metered" at ≥ 99.5 %, "modelled" at ≤ 0.5 %.
//   - baseline: the same luminaires at 100 % from sunset to sunrise by the node's astronomical
//     clock plus standby (an adjusted baseline on the month's real night hours; modelled).
//   - coverage: the hours the records span over the hours in the month (the node was off or
//     not recording for the rest), so an incomplete month is visible, never extrapolated.
// The month is Madrid's civil month.
import type { Db } from '../../common/sqlite/open-database.js';
import { madridOffsetMs } from '../control/madrid-time.js';
import { readRecords, verifyEnergyChain } from './energy-ledger.js';

export interface MvGroupRow {
  readonly group: string;
  readonly baselineKWh: number;
  readonly actualKWh: number;
  readonly savingKWh: number;
  readonly savingPct: number;
  readonly method: 'metered' | 'modelled' | 'mixed';
  readonly meteredPct: number;
  readonly cloSavedKWh: number;
  readonly burningH: number;
  readonly coveragePct: number;
  readonly records: number;
}

export interface MvReport {
  readonly month: string;
  readonly fromMs: number;
  readonly toMs: number;
  readonly chain: { readonly records: number; readonly headHash: string };
  readonly groups: readonly MvGroupRow[];
  readonly methods: readonly string[];
}

export class MvReportError extends Error {}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** Midnight in Madrid at the start of `year`-`month` (1-based; 13 rolls over), UTC ms. */
function madridMonthStart(year: number, month: number): number {
  const asUtc = Date.UTC(year, month - 1, 1);
  return asUtc - madridOffsetMs(asUtc - madridOffsetMs(asUtc));
}

export function mvReport(db: Db, month: string): MvReport {
  const m = MONTH.exec(month);
  if (!m) throw new MvReportError(`month "${month}": expected YYYY-MM`);
  const chain = verifyEnergyChain(db);
  if (!chain.ok)
    throw new MvReportError(`energy records: chain broken at seq ${chain.seq} (${chain.reason}); no report`);
  const fromMs = madridMonthStart(Number(m[1]), Number(m[2]));
  const toMs = madridMonthStart(Number(m[1]), Number(m[2]) + 1);
  const by = new Map<string, ReturnType<typeof readRecords>>();
  for (const r of readRecords(db, fromMs, toMs)) by.set(r.groupId, [...(by.get(r.groupId) ?? []), r]);
  const monthH = (toMs - fromMs) / 3_600_000;
  const groups = [...by].map(([group, rs]) => {
    const sum = (f: (r: (typeof rs)[number]) => number) => rs.reduce((a, r) => a + f(r), 0);
    const actual = sum((r) => r.actualMwh) / 1e6;
    const baseline = sum((r) => r.baselineMwh) / 1e6;
    const meteredPct = actual > 0 ? (100 * sum((r) => r.meteredMwh)) / 1e6 / actual : 0;
    const coveredH = sum((r) => Math.min(r.endMs, toMs) - r.startMs) / 3_600_000;
    return {
      group,
      baselineKWh: round3(baseline),
      actualKWh: round3(actual),
      savingKWh: round3(baseline - actual),
      savingPct: baseline > 0 ? round1((100 * (baseline - actual)) / baseline) : 0,
      method:
        meteredPct >= 99.5
          ? ('metered' as const)
          : meteredPct <= 0.5
            ? ('modelled' as const)
            : ('mixed' as const),
      meteredPct: round1(meteredPct),
      cloSavedKWh: round3(sum((r) => r.cloSavedMwh) / 1e6),
      burningH: round1(sum((r) => r.burningS) / 3600),
      coveragePct: round1((100 * coveredH) / monthH),
      records: rs.length,
    };
  });
  return {
    month,
    fromMs,
    toMs,
    chain: { records: chain.records, headHash: chain.headHash },
    groups,
    methods: [
      'Actual energy: metered where the luminaires report power (D4i / meter channel), modelled elsewhere (commanded level on the DALI arc-power curve × rated power + standby); "mixed" gives the metered share.',
      'Baseline: the same luminaires at 100 % from sunset to sunrise by the astronomical clock (NOAA) plus standby — an adjusted baseline on this month’s night hours, modelled.',
      'Constant light output saving: modelled power × (1/level factor − 1) while CLO dims; part of the saving, shown for information.',
      'Coverage: hours spanned by records over the hours of the month (Europe/Madrid); missing hours are not extrapolated.',
      'Source: hash-chained energy records (SHA-256, calle.energy.v1), chain verified before the report; keep the head hash to show later tampering.',
    ],
  };
}

/** The report as CSV lines: one header and one line per group. */
export function mvCsv(r: MvReport): string[] {
  return [
    'month,group,baselineKWh,actualKWh,savingKWh,savingPct,method,meteredPct,cloSavedKWh,burningH,coveragePct,records',
    ...r.groups.map((g) =>
      [
        r.month,
        g.group,
        g.baselineKWh,
        g.actualKWh,
        g.savingKWh,
        g.savingPct,
        g.method,
        g.meteredPct,
        g.cloSavedKWh,
        g.burningH,
        g.coveragePct,
        g.records,
      ].join(','),
    ),
  ];
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
const round3 = (x: number): number => Math.round(x * 1000) / 1000;
