// The coordinator's /metrics: ingest totals (Prometheus derives the rate), duplicates and gaps,
// registered and online edges, rollouts by state, gRPC calls, and the process. Ingest figures are
// read from the database at scrape time: they are the stored truth and survive a restart, so the
// counters never reset (rate() handles both cases anyway).
import { registerProcessMetrics } from '../../common/metrics/process-metrics.js';
import { Registry } from '../../common/metrics/prometheus-registry.js';
import { HEARTBEAT_INTERVAL_S } from '../grpc/fleet-service.js';
import type { RolloutState } from '../rollouts/rollout-store.js';
import type { EdgeStatusRow } from '../store/coordinator-store.js';
import { registerGrpcCallMetrics, type GrpcCallMetrics } from './grpc-call-metrics.js';

/**
 * An edge is online if heard from (Register or Heartbeat) within three heartbeat intervals: one
 * late beat on a congested cellular link is not an outage, three missed beats are.
 */
export const ONLINE_WINDOW_MS = 3 * HEARTBEAT_INTERVAL_S * 1000;

const ROLLOUT_STATES: readonly RolloutState[] = [
  'running',
  'completed',
  'halted',
  'rolled_back',
  'superseded',
];

export interface CoordinatorMetricsSource {
  readonly edgeStatus: () => Promise<readonly EdgeStatusRow[]>;
  readonly rolloutStates: () => Promise<readonly RolloutState[]>;
  /** Rows the dashboard's audit log failed to write since start (common/audit/audit-log.ts). */
  readonly auditWriteFailures?: () => number;
  readonly now?: () => number;
  readonly onlineWindowMs?: number;
}

export interface CoordinatorMetrics {
  readonly registry: Registry;
  readonly grpc: GrpcCallMetrics;
  /** Reads the store's figures for the next render (the collectors are synchronous; the store is not). */
  refresh(): Promise<void>;
}

export function createCoordinatorMetrics(src: CoordinatorMetricsSource): CoordinatorMetrics {
  const registry = new Registry();
  const now = src.now ?? Date.now;
  const windowMs = src.onlineWindowMs ?? ONLINE_WINDOW_MS;
  // Five families read the same fleet status: one query per scrape (refresh(), before the render),
  // not five; scrapes within a second share it.
  let cached: { atMs: number; rows: readonly EdgeStatusRow[]; rollouts: readonly RolloutState[] } | undefined;
  const refresh = async (): Promise<void> => {
    const t = now();
    if (cached && t - cached.atMs <= 1_000) return;
    const [rows, rollouts] = await Promise.all([src.edgeStatus(), src.rolloutStates()]);
    cached = { atMs: t, rows, rollouts };
  };
  const edgeStatus = (): readonly EdgeStatusRow[] => cached?.rows ?? [];
  // Fleet totals, not per edge: a fleet of thousands of edges times several series each is a
  // cardinality the operators' Prometheus should not pay for; /api/edges has the per-edge view.
  const sum = (pick: (r: EdgeStatusRow) => number) => (): { value: number }[] => [
    { value: edgeStatus().reduce((n, r) => n + pick(r), 0) },
  ];
  registry.collected(
    'calle_ingest_readings_total',
    'Telemetry readings stored (rate() of it is the ingest rate).',
    'counter',
    sum((r) => r.stats.readingsReceived),
  );
  registry.collected(
    'calle_ingest_events_total',
    'Events stored.',
    'counter',
    sum((r) => r.stats.eventsReceived),
  );
  registry.collected(
    'calle_ingest_duplicates_total',
    'Readings and events that arrived again after being stored (re-sends), not stored twice.',
    'counter',
    sum((r) => r.stats.duplicates),
  );
  registry.collected(
    'calle_ingest_gaps',
    "Sequence numbers below each edge's highest that never arrived, summed over the fleet.",
    'gauge',
    sum((r) => r.stats.gaps),
  );
  registry.collected('calle_edges', 'Edges known to the coordinator, by state.', 'gauge', () => {
    const rows = edgeStatus();
    const t = now();
    const registered = rows.filter((r) => r.district !== null);
    const online = registered.filter((r) => r.lastSeenMs !== null && t - r.lastSeenMs <= windowMs).length;
    return [
      { labels: { state: 'registered' }, value: registered.length },
      { labels: { state: 'online' }, value: online },
      // Edges whose data arrives but that never registered: usually a misconfigured cabinet.
      { labels: { state: 'unregistered' }, value: rows.length - registered.length },
    ];
  });
  registry.collected('calle_rollouts', 'Staged rollouts by state.', 'gauge', () => {
    const counts = new Map<string, number>(ROLLOUT_STATES.map((s) => [s, 0]));
    for (const s of cached?.rollouts ?? []) counts.set(s, (counts.get(s) ?? 0) + 1);
    return [...counts].map(([state, value]) => ({ labels: { state }, value }));
  });
  const auditFailures = src.auditWriteFailures;
  if (auditFailures)
    registry.collected(
      'calle_audit_write_failures_total',
      'Audit rows (operator actions, command attempts) that could not be written since start; alert on any increase.',
      'counter',
      () => [{ value: auditFailures() }],
    );
  const grpc = registerGrpcCallMetrics(registry);
  registerProcessMetrics(registry);
  return { registry, grpc, refresh };
}
