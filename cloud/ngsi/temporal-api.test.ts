// The NGSI-LD temporal API on a real coordinator (HTTP on port 0, SQLite in a temp dir), over the
// street fixture's five days of readings: every answer comes from the rollups the ingest path
// wrote, in the representations ETSI GS CIM 009 §4.5 gives (normalized, temporalValues,
// aggregatedValues), and bad parameters are 400s naming the parameter.
import test, { type ExecutionContext } from 'ava';
import { join } from 'node:path';
import { startCoordinator, type Coordinator } from '../coordinator.js';
import { tempDir, testLogger } from '../testing/harness.js';
import { entityId } from './entity-builder.js';
import { EDGE, streetInventory, writeStreetData } from './testing/street-fixture.js';

const HOUR = 3_600_000;
// On the hour, so that each hourly fixture reading opens a bucket of its own.
const NOW = Math.floor(Date.now() / HOUR) * HOUR;
const iso = (ms: number): string => new Date(ms).toISOString();

async function start(t: ExecutionContext): Promise<Coordinator> {
  const dbPath = join(tempDir(t), 'coordinator.db');
  await writeStreetData(dbPath, NOW);
  const coordinator = await startCoordinator({
    dbPath,
    natsServers: ['nats://127.0.0.1:1'], // never reachable: the data is already stored
    grpcHost: '127.0.0.1',
    grpcPort: 0,
    httpHost: '127.0.0.1',
    httpPort: 0,
    log: testLogger(t).log,
    ngsiInventory: streetInventory(),
    ngsiSnapshotTtlMs: 0,
  });
  t.teardown(async () => coordinator.close());
  return coordinator;
}

async function get(
  c: Coordinator,
  path: string,
): Promise<{ status: number; body: Record<string, unknown> & unknown[] }> {
  const res = await fetch(`${c.httpUrl}${path}`, { headers: { accept: 'application/json' } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & unknown[] };
}

const container = (id: string) => encodeURIComponent(entityId('WasteContainer', EDGE, id));

test('ngsi-ld temporal — one entity between two times: temporalValues from the 15-minute rollups', async (t) => {
  const c = await start(t);
  const r = await get(
    c,
    `/ngsi-ld/v1/temporal/entities/${container('fill-02')}?timerel=between&timeAt=${iso(NOW - 3 * HOUR)}&endTimeAt=${iso(NOW + 1)}&options=temporalValues`,
  );
  t.is(r.status, 200, JSON.stringify(r.body));
  // fill-02 rises 0.45 points an hour (street-fixture.ts): 92.65, 93.1, 93.55, 94 %.
  t.deepEqual(r.body.fillingLevel, {
    type: 'Property',
    values: [
      [0.927, iso(NOW - 3 * HOUR)],
      [0.931, iso(NOW - 2 * HOUR)],
      [0.936, iso(NOW - HOUR)],
      [0.94, iso(NOW)],
    ],
  });
  // Normalized: one Property instance per bucket, observed at its start; lastN keeps the newest.
  const normalized = await get(
    c,
    `/ngsi-ld/v1/temporal/entities/${container('fill-02')}?timerel=after&timeAt=${iso(NOW - 3 * HOUR)}&lastN=1`,
  );
  t.deepEqual(normalized.body.fillingLevel, [{ type: 'Property', value: 0.94, observedAt: iso(NOW) }]);
});

test('ngsi-ld temporal — aggregatedValues per day from the hourly rollups', async (t) => {
  const c = await start(t);
  const r = await get(
    c,
    `/ngsi-ld/v1/temporal/entities/${container('fill-03')}?timerel=after&timeAt=${iso(NOW - 6 * 24 * HOUR)}` +
      '&options=aggregatedValues&aggrMethods=totalCount,avg,max&aggrPeriodDuration=P1D',
  );
  t.is(r.status, 200, JSON.stringify(r.body));
  const level = r.body.fillingLevel as Record<string, [number, string, string][]>;
  t.is(
    level.totalCount!.reduce((n, [v]) => n + v, 0),
    121,
    'every hourly reading of five days, once',
  );
  t.true(level.avg!.every(([v]) => v === 0.12));
  t.true(level.max!.every(([v]) => v === 0.12));
  t.true(level.avg!.every(([, from, to]) => Date.parse(to) - Date.parse(from) === 24 * HOUR));
});

test('ngsi-ld temporal — intensity is what a detector counted per bucket, across the 2^32 wrap', async (t) => {
  const c = await start(t);
  const path = (det: string) =>
    `/ngsi-ld/v1/temporal/entities/${encodeURIComponent(entityId('TrafficFlowObserved', EDGE, det))}` +
    `?timerel=after&timeAt=${iso(NOW - HOUR)}&attrs=intensity&options=temporalValues`;
  // The count one minute before the hour opens the bucket before; the step lands in the hour's.
  t.deepEqual((await get(c, path('det-w'))).body.intensity, {
    type: 'Property',
    values: [
      [0, iso(NOW - 15 * 60_000)],
      [7, iso(NOW)],
    ],
  });
  t.deepEqual(((await get(c, path('det-s'))).body.intensity as { values: unknown[][] }).values.at(-1), [
    5,
    iso(NOW),
  ]);
  t.false('occupancy' in (await get(c, path('det-s'))).body, 'attrs narrows the attributes');
});

test('ngsi-ld temporal — a query by type returns every matching entity over the window', async (t) => {
  const c = await start(t);
  const r = await get(
    c,
    `/ngsi-ld/v1/temporal/entities?type=WasteContainer&timerel=after&timeAt=${iso(NOW - 30 * 60_000)}&options=temporalValues`,
  );
  t.is(r.status, 200, JSON.stringify(r.body));
  t.deepEqual(
    r.body.map((e) => (e as { id: string }).id),
    ['fill-01', 'fill-02', 'fill-03'].map((d) => entityId('WasteContainer', EDGE, d)),
  );
  t.deepEqual((r.body[0] as { fillingLevel: unknown }).fillingLevel, {
    type: 'Property',
    values: [[0.29, iso(NOW)]],
  });
});

test('ngsi-ld temporal — bad parameters are 400 naming the parameter; an unknown entity is 404', async (t) => {
  const c = await start(t);
  const one = `/ngsi-ld/v1/temporal/entities/${container('fill-01')}`;
  const cases: [string, number, RegExp][] = [
    ['/ngsi-ld/v1/temporal/entities?type=WasteContainer', 400, /^timerel: required/],
    [`${one}?timerel=during&timeAt=${iso(NOW)}`, 400, /^timerel: must be before, after or between/],
    [`${one}?timerel=after&timeAt=yesterday`, 400, /^timeAt: must be a DateTime/],
    [
      `${one}?timerel=between&timeAt=${iso(NOW)}&endTimeAt=${iso(NOW - 1)}`,
      400,
      /^endTimeAt: must be after timeAt/,
    ],
    [`${one}?options=aggregatedValues&aggrMethods=median`, 400, /^aggrMethods: "median" is not one of/],
    [`${one}?options=aggregatedValues`, 400, /^aggrMethods: required/],
    [
      `${one}?options=aggregatedValues&aggrMethods=avg&aggrPeriodDuration=PT5M`,
      400,
      /^aggrPeriodDuration: one of/,
    ],
    [
      `/ngsi-ld/v1/temporal/entities/${encodeURIComponent('urn:ngsi-ld:Unknown:x:y')}`,
      404,
      /no temporal data/,
    ],
  ];
  for (const [path, status, detail] of cases) {
    const r = await get(c, path);
    t.is(r.status, status, path);
    t.regex(String(r.body.detail), detail, path);
  }
});
