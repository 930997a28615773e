// The standard process metrics every Prometheus client library exports, under the same names
// (process_cpu_seconds_total, process_resident_memory_bytes, process_start_time_seconds) so
// stock dashboards and alerts work on calle's edge and coordinator unchanged.
import type { Registry } from './prometheus-registry.js';

const startTimeS = (Date.now() - performance.now()) / 1000;

export function registerProcessMetrics(registry: Registry): void {
  registry.collected(
    'process_cpu_seconds_total',
    'Total user and system CPU time spent in seconds.',
    'counter',
    () => {
      const u = process.cpuUsage();
      return [{ value: (u.user + u.system) / 1e6 }];
    },
  );
  registry.collected('process_resident_memory_bytes', 'Resident memory size in bytes.', 'gauge', () => [
    { value: process.memoryUsage.rss() },
  ]);
  registry.collected(
    'process_start_time_seconds',
    'Start time of the process since unix epoch in seconds.',
    'gauge',
    () => [{ value: Math.round(startTimeS) }],
  );
  registry.collected('nodejs_heap_used_bytes', 'V8 heap in use in bytes.', 'gauge', () => [
    { value: process.memoryUsage().heapUsed },
  ]);
}
