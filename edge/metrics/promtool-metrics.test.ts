// The edge's /metrics, from a real node (console on port 0, no uplinks), through Prometheus's own
// `promtool check metrics`: any parse error or lint problem fails, named.
import test from 'ava';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { EdgeConfig } from '../config/edge-config.js';
import { loadEdgeConfig } from '../config/load-config.js';
import { startEdgeNode } from '../edge-node.js';
import { tempDir, testLogger } from '../../common/testing/temp-dir.js';
import { promtoolCheckMetrics } from '../../common/metrics/testing/promtool.js';

const EXAMPLE = fileURLToPath(new URL('../examples/madrid-street.json', import.meta.url));

test('edge metrics — /metrics passes promtool check metrics', async (t) => {
  const config: EdgeConfig = {
    ...loadEdgeConfig(EXAMPLE),
    store: { path: join(tempDir(t), 'edge.db') },
    console: { host: '127.0.0.1', port: 0 },
    telemetry: { intervalS: 1 },
  };
  delete (config as { nats?: unknown }).nats;
  delete (config as { coordinator?: unknown }).coordinator;
  const node = await startEdgeNode(config, testLogger());
  t.teardown(async () => node.close());
  // A few ticks and a telemetry round, so histograms and labelled series have samples.
  await sleep(2500);
  const res = await fetch(`${node.consoleUrl}/metrics`);
  t.is(res.status, 200);
  const text = await res.text();
  const { code, problems } = await promtoolCheckMetrics(text);
  t.deepEqual(problems, [], 'promtool found fault');
  t.is(code, 0);
  t.regex(text, /^# TYPE calle_edge_control_tick_seconds histogram$/m, 'the scrape was the real exposition');
});

test('edge metrics — promtool names what it finds at fault (the check above can fail)', async (t) => {
  const { code, problems } = await promtoolCheckMetrics(
    '# HELP calle_x_requests Requests.\n# TYPE calle_x_requests counter\ncalle_x_requests 1\n',
  );
  t.is(code, 3);
  t.deepEqual(problems, ['calle_x_requests counter metrics should have "_total" suffix']);
});
