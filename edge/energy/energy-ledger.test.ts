// The energy ledger in a real SQLite file: hourly records from the controller's counters, the
// monthly M&V report (Madrid's month, method, coverage), and a changed record caught by the chain
// — through the library and through `calle lighting mv`.
import test from 'ava';
import { join } from 'node:path';
import type { LightingGroupState } from '../control/lighting-energy.js';
import { openDatabase } from '../../common/sqlite/open-database.js';
import { tempDir } from '../../common/testing/temp-dir.js';
import { runLightingCommand } from '../../bin/lighting-command.js';
import { ENERGY_MIGRATIONS, EnergyLedger, verifyEnergyChain } from './energy-ledger.js';
import { mvReport, MvReportError } from './mv-report.js';

const H = 3_600_000;
/** 1 Nov 2025, 00:00 Madrid (CET). */
const NOV = Date.parse('2025-10-31T23:00:00Z');

function state(id: string, hours: number, metered: boolean): LightingGroupState {
  // 10 luminaires of 50 W at 40 % for every hour: 200 Wh actual, 500 Wh baseline an hour.
  return {
    id,
    reason: '',
    reasonCode: [],
    lightingClass: 'M5',
    powerW: 200,
    energyWh: 200 * hours,
    meteredWh: metered ? 200 * hours : 0,
    baselineWh: 500 * hours,
    cloSavedWh: 20 * hours,
    cloPct: 90,
    burningH: hours,
  };
}

/** A ledger with `hours` hourly records from the start of November for two groups. */
function ledger(file: string, hours: number, from = NOV): void {
  const l = new EnergyLedger(file, from);
  for (let h = 1; h <= hours; h++) l.record([state('west', h, true), state('plaza', h, false)], from + h * H);
  l.close();
}

test('energy ledger — hourly records make a month’s report: baseline, actual, saving, method and coverage', (t) => {
  const file = join(tempDir(t), 'energy.db');
  // Ten days of November, and one hour before it (31 Oct, Madrid) that must not count.
  ledger(file, 10 * 24 + 1, NOV - H);
  const db = openDatabase(file, ENERGY_MIGRATIONS);
  t.teardown(() => db.close());
  t.like(verifyEnergyChain(db), { ok: true, records: 2 * (10 * 24 + 1) });
  const r = mvReport(db, '2025-11');
  t.is(r.fromMs, NOV);
  t.is(r.toMs, Date.parse('2025-11-30T23:00:00Z'));
  t.deepEqual(
    r.groups.map((g) => [
      g.group,
      g.baselineKWh,
      g.actualKWh,
      g.savingPct,
      g.method,
      g.coveragePct,
      g.burningH,
    ]),
    [
      ['west', 120, 48, 60, 'metered', 33.3, 240],
      ['plaza', 120, 48, 60, 'modelled', 33.3, 240],
    ],
  );
  t.true(r.methods.some((m) => m.startsWith('Baseline: the same luminaires at 100 %')));
  t.throws(() => mvReport(db, '2025-13'), {
    instanceOf: MvReportError,
    message: 'month "2025-13": expected YYYY-MM',
  });
});

test('energy ledger — a changed record breaks the chain: no report, and calle lighting mv exits 1', (t) => {
  const file = join(tempDir(t), 'energy.db');
  ledger(file, 48);
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
  t.is(runLightingCommand(['mv', '--energy', file, '--month', '2025-11'], io), 0, err.join('\n'));
  t.is(
    out[0],
    'month,group,baselineKWh,actualKWh,savingKWh,savingPct,method,meteredPct,cloSavedKWh,burningH,coveragePct,records',
  );
  t.is(out[1], '2025-11,west,24,9.6,14.4,60,metered,100,0.96,48,6.7,48');
  t.regex(out.join('\n'), /# chain verified: 96 records, head [0-9a-f]{64}/);

  // Someone lowers a month's actual energy in the file.
  const db = openDatabase(file, ENERGY_MIGRATIONS);
  db.prepare('UPDATE energy_records SET actual_mwh = actual_mwh - 100000 WHERE seq = 7').run();
  t.like(verifyEnergyChain(db), { ok: false, seq: 7, reason: 'hash does not match the record' });
  db.close();
  err.length = 0;
  t.is(runLightingCommand(['mv', '--energy', file, '--month', '2025-11'], io), 1);
  t.regex(err.join('\n'), /chain broken at seq 7 \(hash does not match the record\); no report/);
});
