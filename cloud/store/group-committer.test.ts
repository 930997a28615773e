import Database from 'better-sqlite3';
import test, { type ExecutionContext } from 'ava';
import { join } from 'node:path';
import { tempDir } from '../testing/harness.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import { GroupCommitter, type Transactional } from './group-committer.js';

function open(t: ExecutionContext): { db: SqliteStore; file: string } {
  const file = join(tempDir(t), 'coordinator.db');
  const db = new SqliteStore(file);
  t.teardown(() => db.closeNow());
  return { db, file };
}

const register = (db: SqliteStore, id: string, nowMs = 1): void =>
  db.registry.registerNow({ id, district: 'centro', tags: [], softwareVersion: '0.1.0', nowMs });

test('group commit — writes of one turn share one commit, run in order, and settle after it', async (t) => {
  const { db, file } = open(t);
  const committer = new GroupCommitter(db);
  // A second connection sees only committed rows: what each caller is told must already be there.
  const reader = new Database(file, { readonly: true });
  t.teardown(() => reader.close());
  const count = reader.prepare('SELECT COUNT(*) FROM edges').pluck();

  const ran: string[] = [];
  const seenAtResolve: number[] = [];
  const calls = ['edge-c', 'edge-a', 'edge-b'].map(async (id) => {
    await committer.submit(() => {
      ran.push(id);
      register(db, id);
    });
    seenAtResolve.push(count.get() as number);
  });
  t.deepEqual(ran, [], 'nothing runs before the group is flushed');
  await Promise.all(calls);

  t.deepEqual(ran, ['edge-c', 'edge-a', 'edge-b']);
  t.deepEqual(seenAtResolve, [3, 3, 3]);
  t.is(committer.groups, 1);
  t.is(committer.writes, 3);
});

test('group commit — a write that throws fails only its own call and leaves no partial row', async (t) => {
  const { db } = open(t);
  const committer = new GroupCommitter(db);
  const results = await Promise.allSettled([
    committer.submit(() => {
      register(db, 'edge-a');
      return 'a';
    }),
    committer.submit(() => {
      // Writes a row, then fails: the savepoint must take the row back with it.
      register(db, 'edge-bad');
      throw new Error('edge-bad: refused');
    }),
    committer.submit(() => {
      register(db, 'edge-b');
      return 'b';
    }),
  ]);
  t.like(results, [
    { status: 'fulfilled', value: 'a' },
    { status: 'rejected', reason: { message: 'edge-bad: refused' } },
    { status: 'fulfilled', value: 'b' },
  ]);
  t.is(committer.groups, 1);
  t.truthy(await db.registry.get('edge-a'));
  t.truthy(await db.registry.get('edge-b'));
  t.is(await db.registry.get('edge-bad'), undefined);
});

test('group commit — a failed commit rejects every call of the group', async (t) => {
  // The outer transaction fails as a commit would (disk full): no caller may be told "stored".
  const failing: Transactional = {
    get inTransaction() {
      return depth > 0;
    },
    transaction<T>(fn: () => T): T {
      depth++;
      try {
        const value = fn();
        if (depth === 1) throw new Error('disk I/O error');
        return value;
      } finally {
        depth--;
      }
    },
  };
  let depth = 0;
  const committer = new GroupCommitter(failing);
  const results = await Promise.allSettled([committer.submit(() => 1), committer.submit(() => 2)]);
  t.deepEqual(
    results.map((r) => r.status),
    ['rejected', 'rejected'],
  );
  t.is(committer.groups, 0);
});

test('group commit — calls in later turns form later groups; a full group commits at once', async (t) => {
  const { db } = open(t);
  const committer = new GroupCommitter(db, { maxGroup: 2 });
  const first = [
    committer.submit(() => register(db, 'edge-a')),
    committer.submit(() => register(db, 'edge-b')),
  ];
  // The second submit filled the group: it has committed before any timer ran.
  t.is(committer.groups, 1);
  await Promise.all(first);
  await committer.submit(() => register(db, 'edge-c'));
  t.is(committer.groups, 2);
  t.is(committer.writes, 3);
});

test('group commit — closing the database commits what is still queued', async (t) => {
  const { db, file } = open(t);
  const pending = db.grouped.submit(() => register(db, 'edge-a'));
  db.closeNow();
  await pending;
  const again = new SqliteStore(file);
  t.teardown(() => again.closeNow());
  t.truthy(again.registry.getNow('edge-a'));
});
