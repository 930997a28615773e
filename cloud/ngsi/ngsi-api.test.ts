// The NGSI-LD read API on a real coordinator (HTTP on port 0, SQLite in a temp dir): every entity
// it serves validates against the FIWARE Smart Data Models schemas (key-values, the form they
// describe), and the query parameters, representations and media types follow ETSI GS CIM 009.
import test, { type ExecutionContext } from 'ava';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCoordinator, type Coordinator } from '../coordinator.js';
import { tempDir, testLogger } from '../testing/harness.js';
import { ENTITY_TYPES, type Entity } from './entity-builder.js';
import { CALLE_CONTEXT_PATH, CORE_CONTEXT } from './ngsi-context.js';
import { SdmValidator } from './sdm-schema-validator.js';
import { BARE_EDGE, EDGE, streetInventory, writeStreetData } from './testing/street-fixture.js';

const SDM_DIR = fileURLToPath(new URL('./sdm/', import.meta.url));
const NOW = Date.now();

async function start(t: ExecutionContext): Promise<Coordinator> {
  const dbPath = join(tempDir(t), 'coordinator.db');
  writeStreetData(dbPath, NOW);
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
  accept = 'application/json',
): Promise<{ status: number; headers: Headers; body: unknown }> {
  const res = await fetch(`${c.httpUrl}${path}`, { headers: { accept } });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

/** Every entity of the given types, following the pages the API hands out. */
async function all(
  c: Coordinator,
  query: string,
  pageSize: number,
): Promise<{ entities: Entity[]; count: number }> {
  const entities: Entity[] = [];
  let count = -1;
  for (let offset = 0; ; offset += pageSize) {
    const r = await get(
      c,
      `/ngsi-ld/v1/entities?${query}&options=keyValues&count=true&limit=${pageSize}&offset=${offset}`,
    );
    if (r.status !== 200) throw new Error(`${r.status}: ${JSON.stringify(r.body)}`);
    count = Number(r.headers.get('ngsild-results-count'));
    const page = r.body as Entity[];
    entities.push(...page);
    if (page.length < pageSize) break;
  }
  return { entities, count };
}

test('ngsi-ld api — every entity served validates against the Smart Data Models schemas', async (t) => {
  const c = await start(t);
  const validator = SdmValidator.fromDirectory(SDM_DIR, ENTITY_TYPES);
  const { entities, count } = await all(c, `type=${ENTITY_TYPES.join(',')}`, 7);
  t.is(entities.length, count, 'pages add up to NGSILD-Results-Count');
  t.is(new Set(entities.map((e) => e.id)).size, entities.length, 'no entity twice across pages');
  const byType = (type: string): Entity[] => entities.filter((e) => e.type === type);
  t.is(byType('Streetlight').length, 8);
  t.is(byType('StreetlightGroup').length, 2);
  t.is(byType('StreetlightControlCabinet').length, 1);
  t.is(byType('WasteContainer').length, 3);
  t.is(byType('TrafficFlowObserved').length, 5, 'four detectors here and one on the edge without inventory');
  for (const e of entities) t.deepEqual(validator.validate(e.type, e), [], `${e.id} validates`);

  // The validator is not a rubber stamp: a fill level out of range and a missing location fail.
  const container = byType('WasteContainer')[0]!;
  t.not(validator.validate('WasteContainer', { ...container, fillingLevel: 42 }).length, 0);
  const unplaced: Record<string, unknown> = { ...byType('Streetlight')[0]! };
  delete unplaced.location;
  t.deepEqual(validator.validate('Streetlight', unplaced), [{ field: 'location', reason: 'is required' }]);
});

test('ngsi-ld api — entities carry the live values, with calle extensions for what SDM lacks', async (t) => {
  const c = await start(t);
  const one = async (id: string): Promise<Record<string, unknown>> =>
    (await get(c, `/ngsi-ld/v1/entities/${encodeURIComponent(id)}?options=keyValues`)).body as Record<
      string,
      unknown
    >;
  t.like(await one(`urn:ngsi-ld:Streetlight:${EDGE}:lum-02`), {
    powerState: 'on',
    illuminanceLevel: 0.6,
    status: 'ok',
    refStreetlightGroup: `urn:ngsi-ld:StreetlightGroup:${EDGE}:atocha-west`,
    refStreetlightControlCabinet: `urn:ngsi-ld:StreetlightControlCabinet:${EDGE}`,
  });
  t.like(await one(`urn:ngsi-ld:Streetlight:${EDGE}:lum-03`), { status: 'defectiveLamp' });
  t.like(await one(`urn:ngsi-ld:Streetlight:${EDGE}:lum-08`), { powerState: 'off', illuminanceLevel: 0 });
  t.like(await one(`urn:ngsi-ld:StreetlightGroup:${EDGE}:magdalena`), {
    powerState: 'on',
    illuminanceLevel: 0.75,
  });
  t.like(await one(`urn:ngsi-ld:StreetlightControlCabinet:${EDGE}`), {
    totalActivePower: 0.227, // (4 × 25.2 + 3 × 42) W
    energyConsumed: 35.801,
    areaServed: 'centro',
  });
  const emptied = await one(`urn:ngsi-ld:WasteContainer:${EDGE}:fill-01`);
  t.is(emptied.dateLastEmptying, new Date(NOW - 48 * 3_600_000).toISOString());
  t.deepEqual((emptied.location as { coordinates: number[] }).coordinates, [-3.6991, 40.4127]);
  const nearlyFull = await one(`urn:ngsi-ld:WasteContainer:${EDGE}:fill-02`);
  t.is(nearlyFull.fillingLevel, 0.94);
  // 94 % rising 0.45 points an hour: full in about 13 h.
  const fullInH = (Date.parse(nearlyFull.predictedFullTime as string) - NOW) / 3_600_000;
  t.true(fullInH > 12 && fullInH < 15, `predicted full in ${fullInH} h`);
  t.false(
    'predictedFullTime' in (await one(`urn:ngsi-ld:WasteContainer:${EDGE}:fill-03`)),
    'flat: no prediction',
  );
  t.like(await one(`urn:ngsi-ld:TrafficFlowObserved:${EDGE}:det-s`), { intensity: 5, occupancy: 0.08 });
  t.like(await one(`urn:ngsi-ld:TrafficFlowObserved:${BARE_EDGE}:det-1`), { intensity: 8, occupancy: 0.125 });
});

test('ngsi-ld api — type, id, q, attrs and pagination narrow the answer', async (t) => {
  const c = await start(t);
  const ids = async (query: string): Promise<string[]> => {
    const r = await get(c, `/ngsi-ld/v1/entities?${query}&options=keyValues&limit=100`);
    t.is(r.status, 200, JSON.stringify(r.body));
    return (r.body as Entity[]).map((e) => e.id);
  };
  t.deepEqual(await ids(`type=WasteContainer&q=${encodeURIComponent('fillingLevel>0.8')}`), [
    `urn:ngsi-ld:WasteContainer:${EDGE}:fill-02`,
  ]);
  t.deepEqual(
    await ids(`type=Streetlight&q=${encodeURIComponent('powerState=="off"|status=="defectiveLamp"')}`),
    [`urn:ngsi-ld:Streetlight:${EDGE}:lum-03`, `urn:ngsi-ld:Streetlight:${EDGE}:lum-08`],
  );
  t.deepEqual(
    await ids(
      `type=Streetlight&q=${encodeURIComponent('illuminanceLevel==0.5..1;refStreetlightGroup==urn:ngsi-ld:StreetlightGroup:centro-atocha-01:magdalena')}`,
    ),
    ['lum-05', 'lum-06', 'lum-07'].map((l) => `urn:ngsi-ld:Streetlight:${EDGE}:${l}`),
  );
  const two = [`urn:ngsi-ld:Streetlight:${EDGE}:lum-01`, `urn:ngsi-ld:WasteContainer:${EDGE}:fill-03`];
  t.deepEqual(await ids(`id=${two.join(',')}`), two);
  t.deepEqual(
    await ids('type=https://smartdatamodels.org/dataModel.Streetlighting/StreetlightControlCabinet'),
    [`urn:ngsi-ld:StreetlightControlCabinet:${EDGE}`],
    'a full type IRI matches by its term',
  );
  const projected = (
    await get(c, `/ngsi-ld/v1/entities?type=WasteContainer&attrs=fillingLevel&options=keyValues`)
  ).body as Entity[];
  t.deepEqual(Object.keys(projected[0]!).sort(), ['fillingLevel', 'id', 'type']);

  const page = await get(c, '/ngsi-ld/v1/entities?type=Streetlight&limit=3&offset=3&count=true');
  t.is((page.body as Entity[]).length, 3);
  t.is(page.headers.get('ngsild-results-count'), '8');
  t.regex(page.headers.get('link') ?? '', /offset=6&limit=3>; rel="next"/);
  t.regex(page.headers.get('link') ?? '', /offset=0&limit=3>; rel="prev"/);

  for (const [query, why] of [
    ['', /one of type, id/],
    ['type=Streetlight&limit=1001', /limit: at most 1000/],
    ['type=Streetlight&offset=-1', /offset: must be a non-negative integer/],
    ['type=Streetlight&q=fillingLevel%3E', /q: expected a value/],
    ['type=Streetlight&q=a.b%3D%3D1', /sub-attribute paths/],
  ] as const) {
    const r = await get(c, `/ngsi-ld/v1/entities?${query}`);
    t.is(r.status, 400, query);
    t.like(r.body, { type: 'https://uri.etsi.org/ngsi-ld/errors/BadRequestData' });
    t.regex((r.body as { detail: string }).detail, why);
  }
  const missing = await get(
    c,
    `/ngsi-ld/v1/entities/${encodeURIComponent('urn:ngsi-ld:Streetlight:nowhere:x')}`,
  );
  t.is(missing.status, 404);
  t.like(missing.body, { type: 'https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound' });
  t.is((await get(c, '/ngsi-ld/v1/entities/not-a-uri')).status, 400);
});

test('ngsi-ld api — normalized by default; @context in the body for ld+json, in a Link header for json', async (t) => {
  const c = await start(t);
  const id = encodeURIComponent(`urn:ngsi-ld:Streetlight:${EDGE}:lum-02`);
  const json = await get(c, `/ngsi-ld/v1/entities/${id}`);
  t.is(json.headers.get('content-type'), 'application/json; charset=utf-8');
  t.is(
    json.headers.get('link'),
    `<${c.httpUrl}${CALLE_CONTEXT_PATH}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`,
  );
  t.false('@context' in (json.body as object));
  t.like(json.body, {
    type: 'Streetlight',
    powerState: { type: 'Property', value: 'on' },
    refStreetlightGroup: { type: 'Relationship', object: `urn:ngsi-ld:StreetlightGroup:${EDGE}:atocha-west` },
    location: { type: 'GeoProperty', value: { type: 'Point' } },
  });
  t.like((json.body as Record<string, unknown>).dateModified, { value: { '@type': 'DateTime' } });

  const ld = await get(c, `/ngsi-ld/v1/entities/${id}`, 'application/ld+json');
  t.is(ld.headers.get('content-type'), 'application/ld+json; charset=utf-8');
  t.deepEqual((ld.body as Record<string, unknown>)['@context'], [
    `${c.httpUrl}${CALLE_CONTEXT_PATH}`,
    CORE_CONTEXT,
  ]);
  t.is((await get(c, `/ngsi-ld/v1/entities/${id}`, 'text/html')).status, 406);

  const context = await get(c, CALLE_CONTEXT_PATH, 'application/ld+json');
  t.like(context.body, {
    '@context': [
      'https://smartdatamodels.org/context.jsonld',
      { predictedFullTime: { '@id': 'urn:calle:ngsi-ld:predictedFullTime' } },
    ],
  });
});
