// Guard test (issue 13): two `calle edge` processes on one store. The second must exit non-zero
// within 5 s naming the holder, and never touch the equipment: no Modbus connection, no write, no
// audit row. A holder killed with -9 leaves no stale lock. A start that fails (console port
// taken) exits non-zero with every part stopped — no control loop left running.
import test from 'ava';
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../common/testing/temp-dir.js';
import { watchedModbusStreet } from '../edge/test-support/watched-modbus-street.js';

const CALLE = fileURLToPath(new URL('./calle.ts', import.meta.url));

interface Running {
  readonly child: ChildProcess;
  readonly output: () => string;
  /** Resolves with the exit code (null if killed by a signal). */
  readonly exited: Promise<number | null>;
  /** Resolves when a log line contains `text`. */
  waitFor(text: string, timeoutMs: number): Promise<void>;
}

function calleEdge(t: import('ava').ExecutionContext, args: string[]): Running {
  const child = spawn(process.execPath, ['--import=tsx', CALLE, 'edge', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CALLE_LOG_LEVEL: 'info' },
  });
  let text = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  for (const stream of [child.stdout, child.stderr])
    createInterface({ input: stream }).on('line', (line) => {
      text += `${line}\n`;
      for (const w of waiters.filter((x) => line.includes(x.text))) w.resolve();
    });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return {
    child,
    output: () => text,
    exited,
    waitFor: async (wanted, timeoutMs) =>
      new Promise<void>((resolve, reject) => {
        if (text.includes(wanted)) return resolve();
        const timer = setTimeout(
          () => reject(new Error(`no "${wanted}" within ${timeoutMs} ms:\n${text}`)),
          timeoutMs,
        );
        waiters.push({ text: wanted, resolve: () => (clearTimeout(timer), resolve()) });
        void exited.then(() =>
          setTimeout(() => reject(new Error(`exited before "${wanted}":\n${text}`)), 100),
        );
      }),
  };
}

const auditRows = (store: string): number => {
  const db = new Database(store, { readonly: true, fileMustExist: true });
  try {
    return db.prepare<[], { n: number }>('SELECT count(*) AS n FROM audit_log').get()!.n;
  } finally {
    db.close();
  }
};

test('calle edge — a second process on the same store exits non-zero within 5 s naming the holder, and never touches the equipment', async (t) => {
  const dir = tempDir(t);
  const street = await watchedModbusStreet(t, dir);
  const store = join(dir, 'edge.db');
  const args = ['--config', street.siteFile, '--store', store, '--console', '127.0.0.1:0'];
  const first = calleEdge(t, args);
  await first.waitFor('edge: running', 30_000);
  // The first controller is on the wire: it connected and drove the lamps.
  for (let waited = 0; street.writesSince(0) === 0 && waited < 15_000; waited += 100) await sleep(100);
  t.true(street.connections.length >= 1);
  t.true(street.writesSince(0) > 0, 'the first process writes the luminaires');
  const connectionsBefore = street.connections.length;
  const auditBefore = auditRows(store);

  const secondStart = Date.now();
  const second = calleEdge(t, args);
  // 15 s tells "never exits" (the old behaviour) from "slow"; the bound is 5 s from spawn,
  // Node and tsx start-up included (about 1 s of it idle, 3 s on a loaded CI machine).
  const code = await Promise.race([second.exited, sleep(15_000).then(() => 'still running after 15 s')]);
  const tookMs = Date.now() - secondStart;
  t.true(typeof code === 'number' && code !== 0, `${String(code)}:\n${second.output()}`);
  t.true(tookMs < 5_000, `exited after ${tookMs} ms`);
  t.regex(second.output(), new RegExp(`in use by another calle edge \\(pid ${first.child.pid} on `));
  t.notRegex(second.output(), /\n\s+at /, 'a message, not a stack trace');
  t.notRegex(
    second.output(),
    /"module":"(site|nats|commands|coordinator|console|outbox)"/,
    'nothing started',
  );
  t.is(street.connections.length, connectionsBefore, 'the second process never connected to the equipment');
  t.is(street.writesSince(secondStart), 0, 'and so never wrote a device');
  t.is(auditRows(store), auditBefore, 'no audit row from the second process');
  t.is(first.child.exitCode, null, 'the first controller runs on');
  t.log(`second process refused in ${tookMs} ms`);

  // kill -9 leaves no stale lock: the kernel dropped it with the process.
  first.child.kill('SIGKILL');
  await first.exited;
  const third = calleEdge(t, args);
  await third.waitFor('edge: running', 30_000);
  third.child.kill('SIGTERM');
  t.is(await third.exited, 0, third.output());
});

test('calle edge — a start that fails (console port taken) exits non-zero and leaves nothing running', async (t) => {
  const dir = tempDir(t);
  const street = await watchedModbusStreet(t, dir);
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.teardown(() => taken.close());
  const port = (taken.address() as { port: number }).port;
  const store = join(dir, 'edge.db');
  const edge = calleEdge(t, [
    '--config',
    street.siteFile,
    '--store',
    store,
    '--console',
    `127.0.0.1:${port}`,
  ]);
  const code = await Promise.race([edge.exited, sleep(15_000).then(() => 'still running after 15 s')]);
  t.true(typeof code === 'number' && code !== 0, `${String(code)}:\n${edge.output()}`);
  t.regex(edge.output(), /EADDRINUSE/);
  t.regex(edge.output(), /edge: start failed; stopping every part already started/);
  // Exited on its own, with nothing left holding the event loop (no watchdog exit).
  t.notRegex(edge.output(), /still running after a failed start/);
  t.true(
    street.connections.every((c) => c.closed),
    'every Modbus connection it opened is closed',
  );
  // The store is free again.
  const next = calleEdge(t, ['--config', street.siteFile, '--store', store, '--console', '127.0.0.1:0']);
  await next.waitFor('edge: running', 30_000);
  next.child.kill('SIGTERM');
  t.is(await next.exited, 0, next.output());
});
