// The site's waste part: fill sensor readings through a driver → kernel → device state, events,
// telemetry and the collection list. The example site's simulated driver is replaced by a scripted
// one, so that each test says exactly which readings arrive when.
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadEdgeConfig } from '../config/load-config.js';
import type { PointValue } from '../devices/device-view.js';
import type { DeviceDriver, DriverListener } from '../devices/driver.js';
import type { EdgeEvent, TelemetryReading, TelemetrySink } from '../telemetry-sink.js';
import { tempDir, testLogger } from '../../common/testing/temp-dir.js';
import { EdgeSite } from './edge-site.js';

const EXAMPLE = path.join(path.dirname(fileURLToPath(import.meta.url)), '../examples/madrid-street.json');
const H = 3_600_000;
const T0 = Date.parse('2026-03-02T00:00:00Z');

class ScriptedDriver implements DeviceDriver {
  readonly name = 'simulated';
  readonly #listeners = new Set<DriverListener>();
  async start(): Promise<void> {}
  /** Nothing to read: the script pushes. */
  async read(): Promise<Record<string, PointValue>> {
    await Promise.resolve();
    return {};
  }
  async write(): Promise<void> {}
  subscribe(listener: DriverListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  async stop(): Promise<void> {}
  push(deviceId: string, values: Record<string, PointValue>, timeMs: number): void {
    for (const l of this.#listeners) l({ deviceId, values, timeMs });
  }
}

class MemorySink implements TelemetrySink {
  readonly readings: TelemetryReading[] = [];
  readonly events: EdgeEvent[] = [];
  record(readings: readonly TelemetryReading[]): void {
    this.readings.push(...readings);
  }
  raise(event: EdgeEvent): void {
    this.events.push(event);
  }
}

/** The example site with fill-01 as a LoRaWAN sensor (distance and temperature), on a fake clock. */
async function wasteSite(t: import('ava').ExecutionContext) {
  const raw = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as { devices: { id: string; type: string }[] };
  raw.devices.find((d) => d.id === 'fill-01')!.type = 'lorawan-ultrasonic-fill';
  const file = path.join(tempDir(t), 'site.json');
  writeFileSync(file, JSON.stringify(raw));
  let now = T0;
  const sink = new MemorySink();
  const driver = new ScriptedDriver();
  const site = new EdgeSite({
    config: loadEdgeConfig(file),
    sink,
    log: testLogger(),
    now: () => now,
    tickMs: 0,
    drivers: [driver],
  });
  t.teardown(async () => site.stop());
  site.start();
  await site.whenStarted();
  /** One reading of fill-01 at hour h, then a tick. */
  const reading = (h: number, values: Record<string, PointValue>) => {
    now = T0 + h * H;
    driver.push('fill-01', values, now);
    site.tick();
  };
  const state = () => site.devices().find((d) => d.id === 'fill-01')!.state;
  const events = (code: string) =>
    sink.events.filter((e) => e.code === code).map((e) => [e.deviceId, e.active]);
  return { site, sink, reading, state, events };
}

test('site waste — readings become fill and a predicted full time on the device and in telemetry', async (t) => {
  const { reading, state, sink } = await wasteSite(t);
  // cont-glass-01 is 150 cm deep: from 10 cm, 1.5 cm an hour reaches 135 cm (full: 90 %) at hour 83.3.
  for (let h = 0; h <= 20; h++) reading(h, { distance: h % 9 === 4 ? 254 : 140 - 1.5 * h, temperature: 20 });
  const s = state();
  t.is(s.fill, 26.7);
  t.true(
    typeof s.fullAtMs === 'number' && Math.abs(s.fullAtMs - (T0 + 83.3 * H)) < 2 * H,
    String(s.fullAtMs),
  );
  t.true(
    (s.fullLowMs as number) < (s.fullAtMs as number) && (s.fullAtMs as number) < (s.fullHighMs as number),
  );
  const metrics = new Set(sink.readings.filter((r) => r.deviceId === 'fill-01').map((r) => r.metric));
  for (const m of ['fill.pct', 'full_at.ms', 'full_low.ms', 'full_high.ms', 'temperature.c'])
    t.true(metrics.has(m), m);
});

test('site waste — full raises CONTAINER_FULL, an emptying raises CONTAINER_EMPTIED and clears it', async (t) => {
  const { reading, events, state } = await wasteSite(t);
  for (let h = 0; h <= 14; h++) reading(h, { distance: 40 - 2 * h, temperature: 18 });
  t.deepEqual(events('CONTAINER_FULL'), [['fill-01', true]]);
  reading(15, { distance: 145, temperature: 18 });
  t.deepEqual(events('CONTAINER_FULL'), [['fill-01', true]], 'one low reading is held as a spike');
  reading(16, { distance: 146, temperature: 18 });
  t.deepEqual(events('CONTAINER_EMPTIED'), [['fill-01', false]]);
  t.deepEqual(events('CONTAINER_FULL'), [
    ['fill-01', true],
    ['fill-01', false],
  ]);
  // 146 cm at 18 °C is 145.5 cm at the speed of sound of the air: 3.0 %, not 2.7 %.
  t.is(state().fill, 3);
});

test('site waste — a temperature spike raises CONTAINER_FIRE as critical, and it clears', async (t) => {
  const { reading, sink, events } = await wasteSite(t);
  reading(0, { distance: 100, temperature: 22 });
  reading(0.5, { distance: 100, temperature: 48 });
  const fire = sink.events.filter((e) => e.code === 'CONTAINER_FIRE');
  t.like(fire[0], { deviceId: 'fill-01', severity: 'critical', active: true });
  t.regex(fire[0]!.message, /cont-glass-01: possible fire, rose 26 °C within 60 min/);
  reading(3, { distance: 100, temperature: 30 });
  t.deepEqual(events('CONTAINER_FIRE'), [
    ['fill-01', true],
    ['fill-01', false],
  ]);
});

test('site waste — the collection list names containers above the policy threshold or due soon, soonest first', async (t) => {
  const { site, reading } = await wasteSite(t);
  t.deepEqual(site.collectionList(), []);
  for (let h = 0; h <= 10; h++) reading(h, { distance: 60 - 2 * h, temperature: 20 });
  // 73 % and 1.33 %/h: 90 % in ~13 h, inside the 24 h horizon.
  const [item, ...rest] = site.collectionList();
  t.deepEqual(rest, []);
  t.like(item, {
    containerId: 'cont-glass-01',
    sensorId: 'fill-01',
    fillPct: 73.3,
    reason: 'due within horizon',
  });
  t.deepEqual(site.collectionList(6 * H), [], 'not within 6 h');
  t.deepEqual(site.applyPolicy({ version: 1, waste: { collectAtFill: 0.7 } }), { applied: true });
  t.like(site.collectionList(6 * H)[0], { containerId: 'cont-glass-01', reason: 'above collect_at_fill' });
});
