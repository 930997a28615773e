// The PostgreSQL store: the shared conformance suite against a private PostgreSQL 15 (one server
// for the file, a fresh database per test), and what only a shared database has.
import test from 'ava';
import { LocalPostgres } from '../../testing/postgres.js';
import { storeConformance } from '../store-conformance.js';
import { PgStore } from './pg-store.js';

let server: LocalPostgres | undefined;
const serverReady = LocalPostgres.start().then((s) => (server = s));
test.after.always(async () => {
  await serverReady.catch(() => undefined);
  await server?.stop();
});

storeConformance('postgres', async (t) => {
  const store = await PgStore.open(await (await serverReady).database());
  t.teardown(async () => store.close());
  return store;
});

test('store (postgres) — two stores on one database never take the same version', async (t) => {
  const url = await (await serverReady).database();
  const [a, b] = await Promise.all([PgStore.open(url), PgStore.open(url)]);
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  const versions = await Promise.all(
    Array.from({ length: 10 }, async (_, i) =>
      (i % 2 === 0 ? a : b).policies.storeNext((v) => ({ bundle: new Uint8Array([v]) }), i),
    ),
  );
  t.deepEqual(
    [...versions].sort((x, y) => x - y),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  );
  // Each bundle was made for the version it is stored under.
  for (const p of await a.policies.after(0)) t.deepEqual([...p.bundle], [p.version]);
});
