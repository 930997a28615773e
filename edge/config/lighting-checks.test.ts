// The lighting keys added for issue 17 (maintenance, periods, presence) are checked at load, each
// problem naming its field, and a site with any of them wrong is refused whole.
import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from './config-error.js';
import { checkEdgeConfig } from './load-config.js';

const EXAMPLE = path.join(path.dirname(fileURLToPath(import.meta.url)), '../examples/madrid-street.json');
type Raw = { lightingGroups: Record<string, unknown>[] };
const example = (): Raw => JSON.parse(readFileSync(EXAMPLE, 'utf8')) as Raw;

function problems(change: (raw: Raw) => void): string[] {
  const raw = example();
  change(raw);
  const error = (() => {
    try {
      checkEdgeConfig(raw, 'site.json');
      return undefined;
    } catch (err) {
      return err as ConfigError;
    }
  })();
  return error ? error.problems.map((p) => `${p.field}: ${p.reason}`) : [];
}

test('lighting checks — the example site carries maintenance, periods and presence, and loads', (t) => {
  const cfg = checkEdgeConfig(example(), EXAMPLE);
  t.like(cfg.lightingGroups[0], {
    adaptive: { otherWeights: 2, periods: [{ from: '22:00', to: '07:00', otherWeights: 1 }] },
    maintenance: { factor: 0.8, installed: '2023-06-01', dirtFactor: 0.89 },
  });
  t.like(cfg.lightingGroups[2], { presence: { holdS: 60, boostClass: 'P4' } });
});

test('lighting checks — maintenance: factor, date, curve shape and a design the curve cannot meet, by field', (t) => {
  const m = (maintenance: unknown) => (raw: Raw) => (raw.lightingGroups[0]!.maintenance = maintenance);
  t.deepEqual(problems(m({ factor: 0.3, installed: '2024-02-31', lumenMaintenance: [] })), [
    'lightingGroups[0].maintenance.factor: 0.3 is below the minimum 0.5',
    'lightingGroups[0].maintenance.installed: "2024-02-31" is not a date YYYY-MM-DD',
    'lightingGroups[0].maintenance.lumenMaintenance: needs at least 1 item(s)',
  ]);
  const curve = (points: unknown) => m({ factor: 0.8, installed: '2024-01-01', lumenMaintenance: points });
  t.deepEqual(
    problems(
      curve([
        { hours: 50_000, fraction: 0.95 },
        { hours: 40_000, fraction: 0.9 },
      ]),
    ),
    [
      "lightingGroups[0].maintenance.lumenMaintenance[1].hours: 40000 h must be after the previous point's 50000 h",
    ],
  );
  t.deepEqual(
    problems(
      curve([
        { hours: 50_000, fraction: 0.9 },
        { hours: 60_000, fraction: 0.95 },
      ]),
    ),
    ["lightingGroups[0].maintenance.lumenMaintenance[1].fraction: 0.95 rises above the previous point's 0.9"],
  );
  // L70 at 100 000 h cannot carry an MF of 0.8 to the end of the curve: the design would be under-lit.
  t.deepEqual(problems(curve([{ hours: 100_000, fraction: 0.7 }])), [
    'lightingGroups[0].maintenance.factor: 0.8 is above what the luminaires give at 100000 h (0.7 × dirtFactor 1); end lumenMaintenance at the maintenance period the design assumed',
  ]);
  t.deepEqual(problems(m({ factor: 0.8, installed: '2024-01-01', lumenMaintenance: [], lifeH: 1 })).sort(), [
    'lightingGroups[0].maintenance.lifeH: unknown field (known: factor, installed, lumenMaintenance, dirtFactor)',
    'lightingGroups[0].maintenance.lumenMaintenance: needs at least 1 item(s)',
  ]);
});

test('lighting checks — periods: times, an empty period and overlaps are named', (t) => {
  const periods = (list: unknown) => (raw: Raw) =>
    (raw.lightingGroups[0]!.adaptive = { otherWeights: 2, capacityVehPerHour: 1800, periods: list });
  t.deepEqual(problems(periods([{ from: '24:00', to: '07:00', otherWeights: 1 }])), [
    'lightingGroups[0].adaptive.periods[0].from: "24:00" does not match ^([01]\\d|2[0-3]):([0-5]\\d)$',
  ]);
  t.deepEqual(problems(periods([{ from: '22:00', to: '22:00', otherWeights: 1 }])), [
    'lightingGroups[0].adaptive.periods[0].to: 22:00 equals from: a period must have a length (omit periods for all day)',
  ]);
  t.deepEqual(
    problems(
      periods([
        { from: '22:00', to: '07:00', otherWeights: 1 },
        { from: '06:00', to: '08:00', otherWeights: 0 },
      ]),
    ),
    ['lightingGroups[0].adaptive.periods[1].from: overlaps periods[0] at 06:00'],
  );
});

test('lighting checks — presence is for P streets with detectors and adaptive, boosting no brighter than design', (t) => {
  const presence =
    (group: number, value: unknown, extra: Record<string, unknown> = {}) =>
    (raw: Raw) =>
      Object.assign(raw.lightingGroups[group]!, { presence: value, ...extra });
  t.deepEqual(problems(presence(0, { holdS: 60 })), [
    'lightingGroups[0].presence: presence dimming is for pedestrian streets (P classes); this group is M3',
  ]);
  t.deepEqual(problems(presence(2, { holdS: 60, boostClass: 'P2' })), [
    'lightingGroups[2].presence.boostClass: P2 is brighter than the design class P3',
  ]);
  t.deepEqual(problems(presence(2, { holdS: 1 })), [
    'lightingGroups[2].presence.holdS: 1 is below the minimum 5',
  ]);
  t.deepEqual(problems(presence(2, { holdS: 60 }, { adaptive: undefined })), [
    'lightingGroups[2].presence: needs adaptive: the street dims to the class its counted use allows, and presence boosts it',
  ]);
});
