import test from 'ava';
import { v1 } from './index.js';

// Regression: zero-valued 64-bit fields are left off the wire by proto3, so decode returns the
// prototype default; that default was a Long object when the `long` package was installed.
test('proto — 64-bit fields decode as numbers, including omitted zeros', (t) => {
  const hb = v1.HeartbeatRequest.decode(
    v1.HeartbeatRequest.encode({ edgeId: 'e1', highestSeq: 0, outboxPending: 0 }).finish(),
  );
  t.is(hb.highestSeq, 0);
  t.is(hb.outboxPending, 0);
  t.is(typeof hb.timeMs, 'number');
  const r = v1.Reading.decode(v1.Reading.encode({ seq: 2 ** 40, timeMs: 1_795_000_000_000 }).finish());
  t.is(r.seq, 2 ** 40);
  t.is(r.timeMs, 1_795_000_000_000);
});

test('proto — a telemetry batch survives encode and decode unchanged', (t) => {
  const batch = {
    edgeId: 'atocha-01',
    readings: [{ seq: 7, deviceId: 'lum-01', metric: 'level.pct', value: 62.5, timeMs: 1_795_000_000_123 }],
  };
  t.deepEqual(
    v1.TelemetryBatch.toObject(v1.TelemetryBatch.decode(v1.TelemetryBatch.encode(batch).finish())),
    batch,
  );
});
