import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadEdgeConfig } from '../config/load-config.js';
import { SimulatedDriver } from '../devices/simulated-driver.js';
import { EdgeSite } from '../site/edge-site.js';
import type { TelemetrySink } from '../telemetry-sink.js';
import { testLogger } from '../../common/testing/temp-dir.js';
import { fullyCoded, reasonCodes } from './reason-codes.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const EXAMPLE = path.join(HERE, '../examples/madrid-street.json');

test('reason codes — composed lighting reasons become one part per clause', (t) => {
  t.deepEqual(
    reasonCodes('presence: det-01 (hold 120 s) → 100 %; schedule: 00:30 → 50 % (ramping to 100 %)'),
    [
      { code: 'light.presence', params: { detector: 'det-01', hold: 120, level: 100 } },
      { code: 'light.step', params: { rule: 'schedule', at: '00:30', offset: '', level: 50 } },
      { code: 'light.ramp', params: { level: 100 } },
    ],
  );
  t.deepEqual(
    reasonCodes(
      'class M5 for low traffic (120 veh/h of 1800; design M3) → 60 % of default: sunset+0 → 100 %',
    ),
    [
      {
        code: 'light.class',
        params: { label: 'M5', band: 'low', flow: 120, capacity: 1800, design: 'M3', pct: 60 },
      },
      { code: 'light.step', params: { rule: 'default', at: 'sunset', offset: '+0', level: 100 } },
    ],
  );
  t.deepEqual(reasonCodes('override by tom until 23:45 → 90 %'), [
    { code: 'light.override', params: { actor: 'tom', until: '23:45', level: 90 } },
  ]);
});

test('reason codes — signal reasons: plan steps, entering and holding a manual flash, a latch', (t) => {
  t.deepEqual(reasonCodes('plan: stage 2/2 yellow (veh-ns, walk-ns), actuated: gap-out'), [
    {
      code: 'signal.stage',
      params: {
        stage: 2,
        of: 2,
        interval: 'yellow',
        groups: 'veh-ns, walk-ns',
        mode: 'actuated',
        why: 'gap-out',
      },
    },
  ]);
  t.deepEqual(
    reasonCodes('plan: all red, held for a manual flash → entering manual flash (by eva)').map((p) => p.code),
    ['signal.held', 'signal.enteringFlash'],
  );
  t.deepEqual(reasonCodes('flash: head ped-ns unavailable'), [
    { code: 'signal.latched' },
    { code: 'signal.headUnavailable', params: { heads: 'ped-ns' } },
  ]);
});

test('reason codes — text outside the catalogue is kept, in English, as a text part', (t) => {
  t.deepEqual(reasonCodes('lamp driver timeout'), [
    { code: 'text', params: { text: 'lamp driver timeout' } },
  ]);
  t.deepEqual(reasonCodes('flash: "a" green → red without yellow'), [
    { code: 'signal.latched' },
    { code: 'text', params: { text: '"a" green → red without yellow' } },
  ]);
  t.false(fullyCoded('lamp driver timeout'));
});

test('reason codes — every code the server sends has a Spanish and an English template in i18n.js', (t) => {
  const i18n = readFileSync(path.join(HERE, 'public/i18n.js'), 'utf8');
  const codes = new Set(
    [
      ...readFileSync(path.join(HERE, 'reason-codes.ts'), 'utf8').matchAll(
        /'((?:light|signal|device|action|policy)\.[\w.]+)'/g,
      ),
    ].map((m) => m[1]!),
  );
  t.true(codes.size > 30, `${codes.size} codes`);
  for (const code of codes) {
    const key = `'reason.${code}':`;
    const count = i18n.split(key).length - 1;
    t.is(count, 2, `${code}: ${count} of 2 languages`);
  }
});

// The drift guard: the catalogue reads the loops' English back, so every reason the real site
// produces — night and day, presence, an override, a manual flash and a latched fault — must be
// recognised in full. A loop that rewords a reason fails here, not silently in Spanish.
test('reason codes — every reason the real site gives is in the catalogue', async (t) => {
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
  const seen = new Set<string>();
  const collect = () => {
    for (const d of site.devices()) {
      if (d.reason !== undefined) seen.add(d.reason);
      // The simulator's own failure text is a driver's message, not the node's.
      if (d.lastError !== undefined && d.lastError !== 'lamp driver timeout') seen.add(d.lastError);
    }
    for (const g of site.lightingGroups()) seen.add(g.reason);
  };
  const run = (seconds: number) => {
    for (let i = 0; i < seconds; i++) {
      now += 1000;
      site.tick();
      collect();
    }
  };
  collect();
  run(120);
  const x = 'atocha-x-magdalena';
  site.overrideLighting('atocha-west', 40, 600, 'tom');
  run(5);
  site.flashIntersection(x, 'eva');
  run(40);
  site.restoreIntersection(x, 'eva');
  run(20);
  sim.fail('ped-ns', 'lamp driver timeout');
  run(3);
  for (const reason of [
    site.clearSignalLatch(x, 'remote').reason!,
    site.restoreIntersection(x, 'eva').reason!,
    site.flashIntersection(x, 'eva').reason!,
    site.overrideLighting('nowhere', 50, 60, 'tom').ok ? '' : 'unknown lighting group "nowhere"',
  ])
    seen.add(reason);
  now = Date.parse('2025-01-16T12:00:00Z');
  run(3);
  const codes = new Set([...seen].flatMap((r) => reasonCodes(r).map((p) => p.code)));
  for (const expected of [
    'light.step',
    'light.override',
    'light.day',
    'signal.stage',
    'signal.enteringFlash',
    'signal.manualFlash',
    'signal.latched',
  ])
    t.true(codes.has(expected), `the run produced ${expected}`);
  const unknown = [...seen].filter((r) => !fullyCoded(r));
  t.deepEqual(unknown, [], `${seen.size} distinct reasons`);
});
