// One suite for every store backend (undici's cache stores are tested the same way): the rules the
// coordinator relies on, whatever keeps the rows. Each backend's test file calls storeConformance
// with a way to open a fresh, empty store (cloud/store/sqlite/sqlite-store.test.ts and
// cloud/store/postgres/pg-store.test.ts). Not a test file itself (ava runs *.test.ts only).
import test, { type ExecutionContext } from 'ava';
import { v1 } from '../../proto/index.js';
import { ephemeralSigner } from '../keys/policy-signer.js';
import type { RolloutRecord } from '../rollouts/rollout-store.js';
import { ingestEvent, ingestReadings } from '../testing/store-helpers.js';
import type { CoordinatorStore, ReadingRow } from './coordinator-store.js';

export type OpenStore = (t: ExecutionContext) => Promise<CoordinatorStore> | CoordinatorStore;

export const rows = (...seqs: number[]): ReadingRow[] =>
  seqs.map((seq) => ({
    seq,
    deviceId: 'lum-07',
    metric: 'level.pct',
    value: seq,
    timeMs: 1_700_000_000_000 + seq,
  }));

const signer = ephemeralSigner();
const bundle = (version: number, expiresMs = 2_000): Uint8Array =>
  v1.PolicyBundle.encode(
    signer.sign({
      target: { allEdges: true },
      lighting: { presenceLevelPct: 50 },
      version,
      issuedMs: 1,
      expiresMs,
    }),
  ).finish();

const record = (version: number): RolloutRecord => ({
  id: version,
  version,
  target: { allEdges: true },
  spec: [{ edges: 1 }, { percent: 100 }],
  cuts: [1, 2 ** 32 - 1],
  sizes: [1, 1],
  releasedStages: 1,
  stageStartedMs: 0,
  allAppliedMs: null,
  state: 'running',
  reason: '',
  rollbackTo: null,
  rollbackVersion: null,
  windowMs: 1_000,
  stageTimeoutMs: 60_000,
  createdMs: 0,
  updatedMs: 0,
});

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 2, 2);
const at = (
  seq: number,
  timeMs: number,
  value: number,
  metric = 'energy.wh',
  deviceId = 'grp-1',
): ReadingRow => ({
  seq,
  deviceId,
  metric,
  value,
  timeMs,
});

export function storeConformance(backend: string, open: OpenStore): void {
  const name = (what: string): string => `store (${backend}) — ${what}`;

  test(name('contiguous seq advances over readings and events alike; duplicates are counted'), async (t) => {
    const db = await open(t);
    t.deepEqual(await ingestReadings(db, 'edge-a', rows(1, 2)), { stored: 2, duplicates: 0 });
    t.deepEqual(await ingestReadings(db, 'edge-a', rows(4, 6)), { stored: 2, duplicates: 0 });
    t.like(await db.telemetry.stats('edge-a'), { highestContiguousSeq: 2, highestSeq: 6, gaps: 2 });
    // seq 3 was an event: it closes the first gap.
    await ingestEvent(db, {
      edgeId: 'edge-a',
      seq: 3,
      code: 'POLICY_APPLIED',
      severity: 1,
      deviceId: '',
      message: 'v3',
      timeMs: 1,
      active: false,
    });
    t.like(await db.telemetry.stats('edge-a'), {
      highestContiguousSeq: 4,
      gaps: 1,
      eventsReceived: 1,
      readingsReceived: 4,
    });
    t.deepEqual(await ingestReadings(db, 'edge-a', rows(4, 5)), { stored: 1, duplicates: 1 });
    t.like(await db.telemetry.stats('edge-a'), {
      highestContiguousSeq: 6,
      gaps: 0,
      duplicates: 1,
      readingsReceived: 5,
    });
    // An event re-sent is a duplicate too, and a reading may not reuse an event's seq (one counter
    // per edge): before day tables, the readings' own key let it in and `gaps` went wrong.
    t.deepEqual(
      await ingestEvent(db, {
        edgeId: 'edge-a',
        seq: 3,
        code: 'POLICY_APPLIED',
        severity: 1,
        deviceId: '',
        message: 'v3',
        timeMs: 1,
        active: false,
      }),
      { stored: 0, duplicates: 1 },
    );
    t.deepEqual(await ingestReadings(db, 'edge-a', rows(3)), { stored: 0, duplicates: 1 });
    t.is(await db.telemetry.countReadings('edge-a'), 5);
    // Another edge's counters are its own.
    t.is(await db.telemetry.stats('edge-b'), undefined);
  });

  test(name('the fleet overview lists registered edges and edges that only sent data'), async (t) => {
    const db = await open(t);
    await db.registry.register({
      id: 'edge-a',
      district: 'centro',
      tags: ['pilot'],
      softwareVersion: '',
      nowMs: 5,
    });
    await ingestReadings(db, 'edge-z', rows(1));
    t.like(await db.registry.listStatus(), [
      { id: 'edge-a', district: 'centro', lastSeenMs: 5, stats: { readingsReceived: 0, gaps: 0 } },
      {
        id: 'edge-z',
        district: null,
        lastSeenMs: null,
        stats: { readingsReceived: 1, highestContiguousSeq: 1 },
      },
    ]);
    t.deepEqual(await db.registry.listRegistered(), [{ id: 'edge-a', district: 'centro', tags: ['pilot'] }]);
    t.like(await db.registry.fleet(), [
      { id: 'edge-z', district: '', readingsReceived: 1 },
      { id: 'edge-a', district: 'centro', tags: ['pilot'] },
    ]);
    t.true(
      await db.registry.heartbeat({
        id: 'edge-a',
        nowMs: 9,
        highestSeq: 0,
        outboxPending: 3,
        policyVersion: 2,
        devicesUnavailable: 0,
      }),
    );
    t.false(
      await db.registry.heartbeat({
        id: 'edge-q',
        nowMs: 9,
        highestSeq: 0,
        outboxPending: 0,
        policyVersion: 0,
        devicesUnavailable: 0,
      }),
    );
    t.like(await db.registry.get('edge-a'), { lastSeenMs: 9, policyVersion: 2, registeredMs: 5 });
  });

  test(
    name('a message with more rows than one INSERT takes is stored whole, its own duplicates counted'),
    async (t) => {
      const db = await open(t);
      const seqs = Array.from({ length: 70 }, (_, i) => i + 1);
      // seq 40 twice in one message: the second copy is a duplicate, as if it came later.
      t.deepEqual(await ingestReadings(db, 'edge-a', rows(...seqs, 40)), { stored: 70, duplicates: 1 });
      t.is(await db.telemetry.countReadings('edge-a'), 70);
      t.like(await db.telemetry.stats('edge-a'), {
        readingsReceived: 70,
        duplicates: 1,
        highestSeq: 70,
        highestContiguousSeq: 70,
      });
    },
  );

  test(
    name('in a batch of several edges, a redelivered message alone is counted as duplicates'),
    async (t) => {
      const db = await open(t);
      t.deepEqual(
        await db.telemetry.ingestMany([
          { edgeId: 'edge-a', readings: rows(1, 2) },
          { edgeId: 'edge-b', readings: rows(1) },
          { edgeId: 'edge-a', readings: rows(4, 3) },
          { edgeId: 'edge-b', readings: rows(2, 3) },
        ]),
        [
          { ok: true, stored: 2, duplicates: 0 },
          { ok: true, stored: 1, duplicates: 0 },
          { ok: true, stored: 2, duplicates: 0 },
          { ok: true, stored: 2, duplicates: 0 },
        ],
      );
      // One message seen before (its ack was lost): its rows, and only its, are duplicates.
      t.deepEqual(
        await db.telemetry.ingestMany([
          { edgeId: 'edge-b', readings: rows(4) },
          { edgeId: 'edge-a', readings: rows(4, 3) },
          { edgeId: 'edge-a', readings: rows(5, 6) },
        ]),
        [
          { ok: true, stored: 1, duplicates: 0 },
          { ok: true, stored: 0, duplicates: 2 },
          { ok: true, stored: 2, duplicates: 0 },
        ],
      );
      t.like(await db.telemetry.stats('edge-a'), {
        readingsReceived: 6,
        duplicates: 2,
        highestSeq: 6,
        highestContiguousSeq: 6,
        gaps: 0,
      });
      t.like(await db.telemetry.stats('edge-b'), {
        readingsReceived: 4,
        duplicates: 0,
        highestContiguousSeq: 4,
      });
      t.is(await db.telemetry.countReadings('edge-a'), 6);
    },
  );

  test(
    name('versions are consecutive, stored with their rollout record, and continue from the highest'),
    async (t) => {
      const db = await open(t);
      t.is(await db.policies.latestVersion(), 0);
      const v1 = await db.policies.storeNext((v) => ({ bundle: bundle(v) }), 1);
      const v2 = await db.policies.storeNext(
        (v) => ({ bundle: bundle(v), rollout: record(v), rollbackOf: 7 }),
        2,
      );
      t.deepEqual([v1, v2], [1, 2]);
      t.deepEqual(
        (await db.policies.after(0)).map((p) => [p.version, p.rollbackOf ?? null]),
        [
          [1, null],
          [2, 7],
        ],
      );
      t.like(await db.rollouts.get(2), { revision: 1, record: { id: 2, state: 'running' } });
      t.is(await db.policies.get(3), undefined);
    },
  );

  test(name('a rollout record changes only from the revision it was read at'), async (t) => {
    const db = await open(t);
    await db.policies.storeNext((v) => ({ bundle: bundle(v), rollout: record(v) }), 1);
    const read = (await db.rollouts.get(1))!;
    const halted = { ...read.record, state: 'halted' as const };
    const next = await db.rollouts.compareAndSet(halted, read.revision);
    t.is(next, read.revision + 1);
    // A second writer that read the same revision loses.
    t.is(await db.rollouts.compareAndSet({ ...read.record, releasedStages: 2 }, read.revision), undefined);
    t.like(await db.rollouts.get(1), { revision: next, record: { state: 'halted', releasedStages: 1 } });
    t.is(await db.rollouts.compareAndSet(record(9), 1), undefined, 'no such record');
    t.deepEqual(
      (await db.rollouts.list()).map((r) => r.record.id),
      [1],
    );
  });

  test(name('a refresh replaces a bundle only with a later-expiring copy of the same content'), async (t) => {
    const db = await open(t);
    await db.policies.storeNext((v) => ({ bundle: bundle(v, 2_000) }), 1);
    t.like(await db.policies.replaceRefreshed(1, bundle(1, 1_000)), { replaced: false, conflict: false });
    t.like(await db.policies.replaceRefreshed(1, bundle(2, 9_000)), { replaced: false, conflict: true });
    t.like(await db.policies.replaceRefreshed(5, bundle(5, 9_000)), { replaced: false, conflict: false });
    t.deepEqual(await db.policies.replaceRefreshed(1, bundle(1, 9_000)), { replaced: true });
    t.is(Number(v1.PolicyBundle.decode((await db.policies.get(1))!.bundle).expiresMs), 9_000);
  });

  test(name('an ack is recorded for a registered edge; an applied unknown version is not'), async (t) => {
    const db = await open(t);
    await db.policies.storeNext((v) => ({ bundle: bundle(v) }), 1);
    const ack = { edgeId: 'edge-a', version: 1, applied: true, reason: '', timeMs: 3 };
    t.is(await db.policies.recordAck(ack), 'unknown-edge');
    await db.registry.register({ id: 'edge-a', district: 'centro', tags: [], softwareVersion: '', nowMs: 1 });
    t.is(await db.policies.recordAck(ack), 'recorded');
    t.is(await db.policies.recordAck({ ...ack, version: 9 }), 'unknown-version');
    t.is(
      await db.policies.recordAck({ ...ack, version: 9, applied: false, reason: 'forged' }),
      'recorded-unpublished',
    );
    // A later verdict on the same version replaces the earlier one.
    t.is(await db.policies.recordAck({ ...ack, applied: false, reason: 'bounds', timeMs: 4 }), 'recorded');
    t.deepEqual(await db.policies.acks(1), [
      { edgeId: 'edge-a', version: 1, applied: false, reason: 'bounds', timeMs: 4 },
    ]);
    t.like(await db.policies.ack(9, 'edge-a'), { applied: false, reason: 'forged' });
  });

  test(
    name('critical alarms since a time and the active alarms, by the latest event per device and code'),
    async (t) => {
      const db = await open(t);
      const event = (seq: number, active: boolean, severity = 3, timeMs = seq * 10) => ({
        edgeId: 'edge-a',
        seq,
        code: 'LAMP_FAILED',
        severity,
        deviceId: 'lum-1',
        message: `m${seq}`,
        timeMs,
        active,
      });
      await ingestEvent(db, event(1, true));
      await ingestEvent(db, event(2, false));
      await ingestEvent(db, { ...event(3, true, 2), code: 'DAY_BURNER' });
      t.deepEqual(
        (await db.telemetry.criticalAlarmsSince(5)).map((a) => a.message),
        ['m1'],
      );
      t.deepEqual(await db.telemetry.criticalAlarmsSince(15), []);
      t.deepEqual(
        (await db.telemetry.activeAlarms()).map((a) => a.code),
        ['DAY_BURNER'],
      );
      t.deepEqual(
        (await db.telemetry.listEvents('edge-a')).map((e) => e.seq),
        [1, 2, 3],
      );
    },
  );

  test(
    name('readings roll up into 15-minute and hourly buckets as they are stored; duplicates do not count'),
    async (t) => {
      const db = await open(t);
      // Two batches and a re-send, across a 15-minute boundary and midnight.
      await ingestReadings(db, 'edge-a', [
        at(1, T0 + 60_000, 100),
        at(2, T0 + 14 * 60_000, 110),
        at(3, T0 + 16 * 60_000, 130),
      ]);
      await ingestReadings(db, 'edge-a', [at(4, T0 + 5 * 60_000, 105), at(2, T0 + 14 * 60_000, 110)]);
      await ingestReadings(db, 'edge-a', [at(5, T0 - 60_000, 90)]);
      const quarter = await db.series.rollups({ resolution: '15m', fromMs: T0 - DAY, toMs: T0 + DAY });
      t.deepEqual(
        quarter.map((r) => [
          r.bucketMs - T0,
          r.n,
          r.sum,
          r.min,
          r.max,
          r.firstMs - T0,
          r.first,
          r.lastMs - T0,
          r.last,
        ]),
        [
          [-15 * 60_000, 1, 90, 90, 90, -60_000, 90, -60_000, 90],
          [0, 3, 315, 100, 110, 60_000, 100, 14 * 60_000, 110],
          [15 * 60_000, 1, 130, 130, 130, 16 * 60_000, 130, 16 * 60_000, 130],
        ],
      );
      const hourly = await db.series.rollups({
        resolution: '1h',
        fromMs: T0,
        toMs: T0 + DAY,
        metrics: ['energy.wh'],
      });
      t.like(hourly, [
        { edgeId: 'edge-a', deviceId: 'grp-1', metric: 'energy.wh', bucketMs: T0, n: 4, sum: 445 },
      ]);
      t.deepEqual(
        await db.series.rollups({ resolution: '1h', fromMs: T0, toMs: T0 + DAY, metrics: ['power.w'] }),
        [],
      );
      t.deepEqual(
        await db.series.rollups({ resolution: '1h', fromMs: T0, toMs: T0 + DAY, edgeId: 'edge-b' }),
        [],
      );
      // A counter that restarts inside a bucket (an edge reboot), in batches of its own: the bucket's
      // increase is 2000 Wh before and 500 Wh after, not the 500 its first and last would say.
      await ingestReadings(db, 'edge-b', [at(1, T0 + DAY, 1000), at(2, T0 + DAY + 20_000, 3000)]);
      await ingestReadings(db, 'edge-b', [at(3, T0 + DAY + 40_000, 500)]);
      t.like(await db.series.rollups({ resolution: '15m', fromMs: T0 + DAY, toMs: T0 + 2 * DAY }), [
        { edgeId: 'edge-b', first: 1000, last: 500, increase: 2500 },
      ]);
      t.like(
        (await db.series.latest()).filter((r) => r.edgeId === 'edge-a'),
        [{ edgeId: 'edge-a', lastMs: T0 + 16 * 60_000, last: 130, prevMs: T0 + 14 * 60_000, prev: 110 }],
      );
    },
  );

  test(
    name('retention drops whole day and month tables past each class window, and old events'),
    async (t) => {
      const db = await open(t);
      const old = T0 - 40 * DAY;
      await ingestReadings(db, 'edge-a', [at(1, old, 1), at(2, T0 - 3 * DAY, 2), at(3, T0, 3)]);
      await ingestEvent(db, {
        edgeId: 'edge-a',
        seq: 4,
        code: 'X',
        severity: 2,
        deviceId: '',
        message: '',
        timeMs: old,
        active: false,
      });
      await ingestEvent(db, {
        edgeId: 'edge-a',
        seq: 5,
        code: 'Y',
        severity: 2,
        deviceId: '',
        message: '',
        timeMs: T0,
        active: true,
      });
      const report = await db.series.prune(T0 + 60_000, {
        rawMs: 2 * DAY,
        rollup15mMs: 30 * DAY,
        rollup1hMs: 400 * DAY,
        eventsMs: 10 * DAY,
      });
      const day = (ms: number) => new Date(ms).toISOString().slice(0, 10).replaceAll('-', '');
      t.deepEqual(
        report.dropped,
        [`readings_d${day(old)}`, `readings_d${day(T0 - 3 * DAY)}`, `rollup_15m_d${day(old)}`].sort(),
      );
      t.is(report.eventsDeleted, 1);
      t.is(await db.telemetry.countReadings('edge-a'), 1, 'today stays');
      t.deepEqual(
        (await db.telemetry.listEvents('edge-a')).map((e) => e.code),
        ['Y'],
      );
      // The hourly rollup of the old day is still there; its 15-minute one is not.
      t.is((await db.series.rollups({ resolution: '1h', fromMs: old, toMs: old + DAY })).length, 1);
      t.is((await db.series.rollups({ resolution: '15m', fromMs: old, toMs: old + DAY })).length, 0);
      // The counters are not data of a class: what was delivered stays known.
      t.like(await db.telemetry.stats('edge-a'), {
        readingsReceived: 3,
        eventsReceived: 2,
        highestContiguousSeq: 5,
      });
      // Storing again into a day whose table was dropped makes it anew.
      t.deepEqual(await ingestReadings(db, 'edge-a', [at(6, T0 - 3 * DAY, 6)]), { stored: 1, duplicates: 0 });
    },
  );
}
