// The one-controller lock on its own: refused while held, naming the holder; free again after a
// release. (Across processes and after kill -9: bin/edge-lock.test.ts.)
import test from 'ava';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { tempDir } from '../../common/testing/temp-dir.js';
import { lockStore, StoreLockedError } from './store-lock.js';

test('store lock — a held store refuses a second lock, naming the holder; a release frees it', (t) => {
  const store = join(tempDir(t), 'sub', 'edge.db');
  const first = lockStore(store, '1.2.3');
  t.is(first.file, `${store}.lock`);
  const err = t.throws(() => lockStore(store, '9.9.9'), { instanceOf: StoreLockedError });
  t.like(err.holder, { pid: process.pid, host: hostname(), version: '1.2.3' });
  t.regex(err.message, new RegExp(`^${store}: in use by another calle edge \\(pid ${process.pid} on `));
  t.regex(err.message, /two controllers must never drive the same equipment/);
  first.release();
  first.release(); // twice is harmless
  const second = lockStore(store, '1.2.4');
  t.teardown(() => second.release());
  t.like(
    t.throws(() => lockStore(store, 'x'), { instanceOf: StoreLockedError }).holder,
    { version: '1.2.4' },
    'the row names the current holder',
  );
});
