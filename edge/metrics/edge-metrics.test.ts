// The edge's /metrics scraped over HTTP from a real node (console on port 0, no uplinks).
import test from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EdgeConfig } from '../config/edge-config.js';
import { loadEdgeConfig } from '../config/load-config.js';
import { startEdgeNode } from '../edge-node.js';
import { tempDir, testLogger } from '../../common/testing/temp-dir.js';
import {
  parseExposition,
  sampleValue,
  type ParsedFamily,
} from '../../common/metrics/testing/exposition-parser.js';

const EXAMPLE = fileURLToPath(new URL('../examples/madrid-street.json', import.meta.url));

async function scrape(url: string): Promise<Map<string, ParsedFamily>> {
  const res = await fetch(`${url}/metrics`);
  if (res.status !== 200) throw new Error(`GET /metrics: ${res.status}`);
  if (!res.headers.get('content-type')?.startsWith('text/plain; version=0.0.4'))
    throw new Error(`content-type ${res.headers.get('content-type')}`);
  return parseExposition(await res.text());
}

test('edge metrics — /metrics is scraped without a session and its values move', async (t) => {
  const dir = tempDir(t);
  const example = loadEdgeConfig(EXAMPLE);
  const config: EdgeConfig = {
    ...example,
    store: { path: join(dir, 'edge.db') },
    console: { host: '127.0.0.1', port: 0 },
    telemetry: { intervalS: 1 },
  };
  delete (config as { nats?: unknown }).nats;
  delete (config as { coordinator?: unknown }).coordinator;
  const node = await startEdgeNode(config, testLogger());
  t.teardown(async () => node.close());

  const first = await scrape(node.consoleUrl);
  const types = Object.fromEntries([...first.values()].map((f) => [f.name, f.type]));
  t.like(types, {
    calle_edge_control_tick_seconds: 'histogram',
    calle_edge_outbox_pending_rows: 'gauge',
    calle_edge_outbox_oldest_pending_age_seconds: 'gauge',
    calle_edge_outbox_acked_total: 'counter',
    calle_edge_outbox_dropped_total: 'counter',
    calle_edge_devices: 'gauge',
    calle_edge_uplink_up: 'gauge',
    process_cpu_seconds_total: 'counter',
    process_resident_memory_bytes: 'gauge',
  });
  t.is(sampleValue(first, 'calle_edge_uplink_up', { link: 'nats' }), 0);
  const devices = (state: string): number =>
    sampleValue(first, 'calle_edge_devices', { driver: 'simulated', state }) ?? NaN;
  t.is(devices('available') + devices('unavailable'), config.devices.length);
  t.true((sampleValue(first, 'process_resident_memory_bytes') ?? 0) > 1e6);

  const ticks = (f: Map<string, ParsedFamily>): number =>
    sampleValue(f, 'calle_edge_control_tick_seconds', {}, 'calle_edge_control_tick_seconds_count') ?? 0;
  const pending = (f: Map<string, ParsedFamily>): number =>
    sampleValue(f, 'calle_edge_outbox_pending_rows') ?? 0;
  // Ticks run every second; telemetry with no uplink piles up in the outbox.
  let later = first;
  for (let i = 0; i < 60 && !(ticks(later) >= ticks(first) + 2 && pending(later) > pending(first)); i++) {
    await sleep(100);
    later = await scrape(node.consoleUrl);
  }
  t.true(ticks(later) >= ticks(first) + 2, `ticks ${ticks(first)} → ${ticks(later)}`);
  t.true(pending(later) > pending(first), `pending ${pending(first)} → ${pending(later)}`);
  t.true((sampleValue(later, 'calle_edge_outbox_oldest_pending_age_seconds') ?? 0) >= 0);
});
