// The node's own health for the overview: CPU load, memory, disk where the database lives, uptime.
// Read on demand (a few syscalls); statfs failing (a missing mount) leaves disk out rather than
// failing the whole status.
import { statfsSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem, uptime } from 'node:os';

export interface NodeHealth {
  /** One-minute load average divided by the number of cores: 1 = every core busy. */
  cpuLoad: number;
  memUsedPct: number;
  diskUsedPct?: number;
  diskFreeMb?: number;
  /** Seconds since this process started, and since the board booted. */
  processUptimeS: number;
  systemUptimeS: number;
}

export const NODE_HEALTH_SCHEMA = {
  type: 'object',
  required: ['cpuLoad', 'memUsedPct', 'processUptimeS', 'systemUptimeS'],
  properties: {
    cpuLoad: { type: 'number' },
    memUsedPct: { type: 'number' },
    diskUsedPct: { type: 'number' },
    diskFreeMb: { type: 'number' },
    processUptimeS: { type: 'number' },
    systemUptimeS: { type: 'number' },
  },
} as const;

const round1 = (x: number): number => Math.round(x * 10) / 10;

/** `diskPath`: a file or directory on the disk to report (the edge database's directory). */
export function readNodeHealth(diskPath: string | undefined): NodeHealth {
  const health: NodeHealth = {
    cpuLoad: Math.round(((loadavg()[0] ?? 0) / Math.max(1, cpus().length)) * 100) / 100,
    memUsedPct: round1(100 * (1 - freemem() / totalmem())),
    processUptimeS: Math.round(process.uptime()),
    systemUptimeS: Math.round(uptime()),
  };
  if (diskPath) {
    try {
      const s = statfsSync(diskPath);
      health.diskUsedPct = round1(100 * (1 - s.bavail / s.blocks));
      health.diskFreeMb = Math.round((s.bavail * s.bsize) / 1_048_576);
    } catch {
      // No disk figure rather than no status.
    }
  }
  return health;
}
