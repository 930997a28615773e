// The example Grafana dashboard only names metrics that calle exports: a renamed metric breaks
// this test instead of silently emptying a panel.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { Registry } from '../../common/metrics/prometheus-registry.js';
import { createCoordinatorMetrics } from '../../cloud/metrics/coordinator-metrics.js';
import { createEdgeMetrics } from '../../edge/metrics/edge-metrics.js';
import { parseExposition } from '../../common/metrics/testing/exposition-parser.js';

const none = Promise.resolve([]);

test('grafana dashboard — every metric it queries is exported by the edge or the coordinator', (t) => {
  const dashboard = JSON.parse(readFileSync(new URL('./calle.json', import.meta.url), 'utf8')) as {
    panels: { targets?: { expr: string }[] }[];
  };
  const coordinator = createCoordinatorMetrics({
    edgeStatus: async () => none,
    rolloutStates: async () => none,
  });
  coordinator.grpc.handled.inc({ grpc_service: 's', grpc_method: 'm', grpc_code: 'OK' });
  coordinator.grpc.started.inc({ grpc_service: 's', grpc_method: 'm' });
  const edge = createEdgeMetrics({
    edgeId: 'e',
    outboxStats: () => ({
      highestSeq: 0,
      pending: 0,
      oldestPendingAgeS: null,
      ackedSinceStart: 0,
      dropped: 0,
    }),
    devices: () => [],
    natsConnected: () => false,
    coordinatorConnected: () => false,
    policyVersion: () => 0,
  });
  edge.tickSeconds.observe(0.001);
  const exported = new Set<string>();
  for (const r of [coordinator.registry, edge.registry] as Registry[])
    for (const f of parseExposition(r.render()).values()) {
      exported.add(f.name); // a family with no series yet (no devices) is still declared
      for (const s of f.samples) exported.add(s.name);
    }
  const queried = dashboard.panels
    .flatMap((p) => p.targets ?? [])
    .flatMap((target) => target.expr.match(/\b(calle_|grpc_server_|process_)[a-z_]+/g) ?? []);
  t.true(queried.length > 10);
  for (const name of queried) t.true(exported.has(name), `${name} is exported`);
});
