// The edge node's /metrics: control-loop timing, outbox depth and age, delivery counters, devices
// unavailable per driver, uplink state and the process. Everything but the tick histogram is read
// from its owner at scrape time, so the numbers are the ones the console and heartbeats show.
import type { DeviceView } from '../devices/device-view.js';
import type { OutboxStats } from '../store/outbox.js';
import { registerProcessMetrics } from '../../common/metrics/process-metrics.js';
import { Registry, type Histogram } from '../../common/metrics/prometheus-registry.js';

/** Tick durations in seconds. The control period is 1 s; a tick near it is a problem. */
export const TICK_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

export interface EdgeMetricsSource {
  readonly edgeId: string;
  readonly outboxStats: () => OutboxStats;
  readonly devices: () => readonly DeviceView[];
  readonly natsConnected: () => boolean;
  readonly coordinatorConnected: () => boolean;
  readonly policyVersion: () => number;
}

export interface EdgeMetrics {
  readonly registry: Registry;
  readonly tickSeconds: Histogram;
}

export function createEdgeMetrics(src: EdgeMetricsSource): EdgeMetrics {
  const registry = new Registry();
  const tickSeconds = registry.histogram(
    'calle_edge_control_tick_seconds',
    'Duration of one control step (sample drivers, run the loops, record telemetry).',
    TICK_BUCKETS_S,
  );
  // One stats() call per scrape would be nicer, but each is a couple of indexed queries: cheap.
  registry.collected(
    'calle_edge_outbox_pending_rows',
    'Outbox rows waiting to be published.',
    'gauge',
    () => [{ value: src.outboxStats().pending }],
  );
  registry.collected(
    'calle_edge_outbox_oldest_pending_age_seconds',
    'Age of the oldest row waiting in the outbox; 0 when it is empty.',
    'gauge',
    () => [{ value: src.outboxStats().oldestPendingAgeS ?? 0 }],
  );
  registry.collected(
    'calle_edge_outbox_highest_seq',
    'Highest sequence number assigned so far.',
    'gauge',
    () => [{ value: src.outboxStats().highestSeq }],
  );
  registry.collected(
    'calle_edge_outbox_acked_total',
    'Outbox rows acknowledged by JetStream since the process started.',
    'counter',
    () => [{ value: src.outboxStats().ackedSinceStart }],
  );
  registry.collected(
    'calle_edge_outbox_dropped_total',
    "Telemetry rows dropped because the outbox was full, over the node's life.",
    'counter',
    () => [{ value: src.outboxStats().dropped }],
  );
  registry.collected('calle_edge_devices', 'Configured devices by driver and availability.', 'gauge', () => {
    const byDriver = new Map<string, { available: number; unavailable: number }>();
    for (const d of src.devices()) {
      const c = byDriver.get(d.driver) ?? { available: 0, unavailable: 0 };
      if (d.available) c.available++;
      else c.unavailable++;
      byDriver.set(d.driver, c);
    }
    return [...byDriver].flatMap(([driver, c]) => [
      { labels: { driver, state: 'available' }, value: c.available },
      { labels: { driver, state: 'unavailable' }, value: c.unavailable },
    ]);
  });
  registry.collected('calle_edge_uplink_up', '1 while the uplink is connected, by link.', 'gauge', () => [
    { labels: { link: 'nats' }, value: src.natsConnected() ? 1 : 0 },
    { labels: { link: 'coordinator' }, value: src.coordinatorConnected() ? 1 : 0 },
  ]);
  registry.collected(
    'calle_edge_policy_version',
    'Policy version the node runs (0: built-in defaults).',
    'gauge',
    () => [{ value: src.policyVersion() }],
  );
  registry.collected('calle_edge_info', 'Always 1; labels identify the node.', 'gauge', () => [
    { labels: { edge: src.edgeId }, value: 1 },
  ]);
  registerProcessMetrics(registry);
  return { registry, tickSeconds };
}

/**
 * Times every control step of `site` into `histogram`. HAZARD: EdgeSite has no tick hook yet, so
 * this replaces the instance's `tick` with a timed wrapper; it works because the site's timer calls
 * `this.tick()` (looked up on the instance each time). A hook in EdgeSite should replace this.
 */
export function timeTicks(site: { tick(): void }, histogram: Histogram): void {
  const original = site.tick.bind(site);
  site.tick = () => {
    const start = process.hrtime.bigint();
    try {
      original();
    } finally {
      histogram.observe(Number(process.hrtime.bigint() - start) / 1e9);
    }
  };
}
