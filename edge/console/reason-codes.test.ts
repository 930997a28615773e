// Reasons are codes made where the decision is made (common/reasons/); the console renders them in
// Spanish and English (public/i18n.js) and the API carries English rendered from the same codes.
// These tests hold the three together: every code has both templates, and every reason the real
// site produces — night and day, presence, an override, a manual flash, a latched fault, refused
// actions and policies — is made of catalogue codes whose English is the API's `reason`.
import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadEdgeConfig } from '../config/load-config.js';
import { SimulatedDriver } from '../devices/simulated-driver.js';
import { englishOf, part, type Reason } from '../../common/reasons/reason.js';
import { REASON_CODES } from '../../common/reasons/reason-catalogue.js';
import { EdgeSite } from '../site/edge-site.js';
import type { TelemetrySink } from '../telemetry-sink.js';
import { testLogger } from '../../common/testing/temp-dir.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const EXAMPLE = path.join(HERE, '../examples/madrid-street.json');
const I18N = readFileSync(path.join(HERE, 'public/i18n.js'), 'utf8');

/** How many languages of i18n.js have a template for `code` (each language is one block). */
const languages = (code: string): number => I18N.split(`'reason.${code}':`).length - 1;

test('reason codes — every catalogue code has a Spanish and an English template, and i18n.js has no stale one', (t) => {
  t.true(REASON_CODES.length > 40, `${REASON_CODES.length} codes`);
  for (const code of REASON_CODES) t.is(languages(code), 2, `${code}: ${languages(code)} of 2 languages`);
  const templates = new Set([...I18N.matchAll(/'reason\.([\w.]+)':/g)].map((m) => m[1]!));
  t.deepEqual(
    [...templates].filter((c) => !(REASON_CODES as string[]).includes(c)),
    [],
    'templates without a code',
  );
});

test('reason codes — composed lighting reasons render the English the API has always carried', (t) => {
  t.is(
    englishOf([
      part('light.presence', { detector: 'det-01', hold: 120, level: 100 }),
      part('light.step', { rule: 'schedule', at: '00:30', offset: '', level: 50 }),
      part('light.ramp', { level: 100 }),
    ]),
    'presence: det-01 (hold 120 s) → 100 %; schedule: 00:30 → 50 % (ramping to 100 %)',
  );
  t.is(
    englishOf([
      part('light.class', { label: 'M5', band: 'low', flow: 120, capacity: 1800, design: 'M3', pct: 60 }),
      part('light.step', { rule: 'default', at: 'sunset', offset: '+0', level: 100 }),
    ]),
    'class M5 for low traffic (120 veh/h of 1800; design M3) → 60 % of default: sunset+0 → 100 %',
  );
  t.is(
    englishOf([part('signal.latched'), part('signal.headUnavailable', { heads: 'ped-ns' })]),
    'flash: head ped-ns unavailable',
  );
  t.is(
    englishOf([
      part('signal.stage', {
        stage: 2,
        of: 2,
        interval: 'yellow',
        groups: 'a, b',
        mode: 'actuated',
        why: 'gap-out',
      }),
      part('signal.enteringFlash', { actor: 'eva' }),
    ]),
    'plan: stage 2/2 yellow (a, b), actuated: gap-out → entering manual flash (by eva)',
  );
});

test('reason codes — every reason the real site gives is coded from the catalogue, its English rendered from the codes', async (t) => {
  let now = Date.parse('2025-01-15T22:00:00Z');
  const log = testLogger();
  const sim = new SimulatedDriver({ log, seed: 7 });
  const sink: TelemetrySink = { record: () => undefined, raise: () => undefined };
  const site = new EdgeSite({
    config: loadEdgeConfig(EXAMPLE),
    sink,
    log,
    now: () => now,
    tickMs: 0,
    drivers: [sim],
  });
  t.teardown(async () => site.stop());
  site.start();
  await site.whenStarted();
  const seen = new Map<string, Reason>();
  const note = (english: string | undefined, coded: Reason | undefined, where: string): void => {
    if (english === undefined && coded === undefined) return;
    if (!coded) return void t.fail(`${where}: "${english}" has no codes`);
    t.is(english, englishOf(coded), `${where}: the English is the codes'`);
    seen.set(englishOf(coded), coded);
  };
  const collect = (): void => {
    for (const d of site.devices()) {
      note(d.reason, d.reasonCode, d.id);
      note(d.lastError, d.lastErrorCode, `${d.id} lastError`);
    }
    for (const g of site.lightingGroups()) note(g.reason, g.reasonCode, g.id);
    for (const x of site.signalStates())
      if (x.latchReason !== undefined) note(x.latchReason, x.latchCode, x.id);
  };
  const run = (seconds: number): void => {
    for (let i = 0; i < seconds; i++) {
      now += 1000;
      site.tick();
      collect();
    }
  };
  collect();
  run(120);
  const x = 'atocha-x-magdalena';
  site.overrideLighting('atocha-west', 0.5, 600, 'tom');
  run(5);
  site.flashIntersection(x, 'eva');
  run(40);
  site.restoreIntersection(x, 'eva');
  run(20);
  sim.fail('ped-ns', 'lamp driver timeout');
  run(3);
  for (const [where, r] of [
    ['remote clear', site.clearSignalLatch(x, 'remote')],
    ['restore while latched', site.restoreIntersection(x, 'eva')],
    ['flash while latched', site.flashIntersection(x, 'eva')],
    ['unknown group', site.overrideLighting('nowhere', 50, 60, 'tom')],
    ['bad level', site.overrideLighting('atocha-west', 120, 60, 'tom')],
    ['no override', site.clearLightingOverride('atocha-east', 'tom')],
    [
      'policy bounds',
      site.applyPolicy({ version: 0, traffic: { cycleS: 80, minGreenS: 7, yellowS: 2, allRedS: 2 } }),
    ],
  ] as const)
    note((r as { reason?: string }).reason, (r as { reasonCode?: Reason }).reasonCode, where);
  now = Date.parse('2025-01-16T12:00:00Z');
  run(3);

  const codes = new Set([...seen.values()].flatMap((r) => r.map((p) => p.code)));
  for (const expected of [
    'light.step',
    'light.override',
    'light.driverMin',
    'light.day',
    'signal.stage',
    'signal.enteringFlash',
    'signal.manualFlash',
    'signal.latched',
    'signal.headUnavailable',
    'device.error',
    'action.localOnly',
    'action.latchedLocal',
    'action.latchedFirst',
    'action.unknownGroup',
    'action.invalid',
    'action.noOverride',
    'policy.positive',
    'policy.outside',
  ] as const)
    t.true(codes.has(expected), `the run produced ${expected}`);
  for (const code of codes) t.is(languages(code), 2, `${code} is in both languages of the console`);
  t.log(`${seen.size} distinct reasons, ${codes.size} codes`);
});
