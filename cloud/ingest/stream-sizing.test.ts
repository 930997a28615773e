import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  checkOutageBudget,
  DEFAULT_OUTAGE_BUDGET,
  hubBytesFor,
  parseBudgetHours,
  streamLimits,
} from './stream-sizing.js';

const GB = 1e9;

test('stream sizing — bytes follow cabinets, interval and hours; age is the budget', (t) => {
  const city = streamLimits({ hours: 72, cabinets: 10_000, intervalS: 5 });
  // 2,000 msg/s × 259,200 s × 252 B × 1.25 headroom.
  t.is(city.telemetry.maxBytes, Math.ceil(2_000 * 259_200 * 252 * 1.25));
  t.is(city.telemetry.maxAgeMs, 72 * 3_600_000);
  const doubled = streamLimits({ hours: 72, cabinets: 20_000, intervalS: 5 });
  t.is(doubled.telemetry.maxBytes, 2 * city.telemetry.maxBytes);
  t.true(city.events.maxBytes < city.telemetry.maxBytes / 5, 'events are far rarer than telemetry');
  // A tiny fleet still gets room for a redelivery burst.
  t.is(streamLimits({ hours: 1, cabinets: 1, intervalS: 60 }).telemetry.maxBytes, 64 * 2 ** 20);
});

test('stream sizing — a bad budget names the field and the reason', (t) => {
  t.throws(() => checkOutageBudget({ ...DEFAULT_OUTAGE_BUDGET, hours: 0.5 }), {
    message: /outage budget hours: 0.5 must be from 1 hour/,
  });
  t.throws(() => checkOutageBudget({ ...DEFAULT_OUTAGE_BUDGET, cabinets: 2.5 }), {
    message: /outage budget cabinets: 2.5 must be a whole number/,
  });
  t.throws(() => streamLimits({ ...DEFAULT_OUTAGE_BUDGET, intervalS: 0 }), {
    message: /outage budget intervalS/,
  });
  t.is(parseBudgetHours('72h'), 72);
  t.is(parseBudgetHours('3d'), 72);
  t.is(parseBudgetHours('90m'), 1.5);
  t.throws(() => parseBudgetHours('3 days'), { message: /not a duration like 90m, 72h or 3d/ });
});

/** max_file_store of a nats-server configuration file, in bytes. */
function maxFileStore(file: string): number {
  const m = /max_file_store:\s*(\d+)\s*(GB|TB|MB)/.exec(readFileSync(file, 'utf8'));
  if (!m) throw new Error(`${file}: no max_file_store`);
  return Number(m[1]) * { MB: 1e6, GB: GB, TB: 1e12 }[m[2] as 'MB' | 'GB' | 'TB'];
}

test('stream sizing — the hub and the cluster nodes hold the streams of the budget they document', (t) => {
  // The budget hub.conf's comment states: 10,000 cabinets every 5 s for 72 h, plus room for KV.
  const kvRoom = 5 * GB;
  const needed = hubBytesFor({ hours: 72, cabinets: 10_000, intervalS: 5 }) + kvRoom;
  for (const conf of ['hub.conf', 'cluster/node-a.conf', 'cluster/node-b.conf', 'cluster/node-c.conf']) {
    const file = fileURLToPath(new URL(`../../deploy/nats/${conf}`, import.meta.url));
    t.true(maxFileStore(file) >= needed, `${conf}: ${maxFileStore(file) / GB} GB < ${needed / GB} GB`);
  }
  // The default budget fits the Kubernetes manifest's 50 GB and a laptop's demo.
  t.true(hubBytesFor(DEFAULT_OUTAGE_BUDGET) + kvRoom < 50 * GB);
});
