// The coordinator as its own process for the fleet benchmark, so that thousands of light edges in
// the benchmark's process do not share its event loop. Prints one JSON line with its ports on
// stdout, then serves until SIGTERM.
// Usage: tsx cloud/bench/bench-coordinator.ts DB_FILE|POSTGRES_URL NATS_URL
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startCoordinator } from '../coordinator.js';

const [dbPath, natsUrl] = process.argv.slice(2);
if (!dbPath || !natsUrl) {
  console.error('usage: bench-coordinator DB_FILE|POSTGRES_URL NATS_URL');
  process.exit(2);
}
// Warnings only: an info line per ack would measure the logger, not the coordinator.
const log = pino({ level: process.env.CALLE_BENCH_LOG ?? 'warn' }, pino.destination(2));
const coordinator = await startCoordinator({
  dbPath,
  natsServers: [natsUrl],
  grpcHost: '127.0.0.1',
  grpcPort: 0,
  httpHost: '127.0.0.1',
  httpPort: 0,
  log,
  enrolment: 'open', // simulated edges register without enrolment
  // Beside a SQLite file by default; a PostgreSQL URL has no "beside", and no bench run needs users.
  dashboardDbPath: join(mkdtempSync(join(tmpdir(), 'calle-bench-dashboard-')), 'dashboard.db'),
});
console.log(JSON.stringify({ grpcPort: coordinator.grpcPort, httpUrl: coordinator.httpUrl }));
process.once('SIGTERM', () => {
  void coordinator.close().then(() => process.exit(0));
});
