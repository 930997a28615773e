// RSS and time that importing a Modbus client adds to a process already holding what the edge
// loads (pino, fastify, better-sqlite3, NATS): the marginal cost, not Node's first-module cost.
//   npx tsx --expose-gc edge/devices/drivers/modbus-tcp/evaluation/import-cost.ts modbus-serial
// Prints one JSON line; run it several times and take the median (RSS moves by a few MB).
const which = process.argv[2] ?? 'modbus-serial';
for (const m of ['pino', 'fastify', 'better-sqlite3', '@nats-io/transport-node', 'yaml']) await import(m);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const settle = async (): Promise<void> => {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 50));
  }
};
await settle();
const before = process.memoryUsage().rss;
const t0 = performance.now();
if (which !== 'none') await import(which);
const importMs = performance.now() - t0;
await settle();
const rssDeltaMb = (process.memoryUsage().rss - before) / 1048576;
console.log(JSON.stringify({ which, rssDeltaMb: +rssDeltaMb.toFixed(1), importMs: Math.round(importMs) }));
