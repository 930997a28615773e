import test from 'ava';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir, testLogger } from '../../common/testing/temp-dir.js';
import { startServiceNotifier } from './service-notifier.js';

/** A stand-in for systemd-notify at the process boundary: it appends its arguments to a file. */
function fakeNotifyTool(dir: string): { tool: string; calls: () => string[] } {
  const log = join(dir, 'calls.txt');
  const tool = join(dir, 'systemd-notify');
  writeFileSync(tool, `#!/bin/sh\necho "$*" >> ${log}\n`);
  chmodSync(tool, 0o755);
  writeFileSync(log, '');
  return { tool, calls: () => readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

test('service notifier — outside systemd it does nothing', async (t) => {
  const { tool, calls } = fakeNotifyTool(tempDir(t));
  const n = startServiceNotifier({ log: testLogger(), healthy: () => true, env: {}, tool });
  await sleep(100);
  n.stop();
  await sleep(100);
  t.deepEqual(calls(), []);
});

test('service notifier — says ready, feeds the watchdog only while healthy, says stopping', async (t) => {
  const { tool, calls } = fakeNotifyTool(tempDir(t));
  let healthy = true;
  const env = { NOTIFY_SOCKET: '/run/fake', WATCHDOG_USEC: '1000000' }; // feeds every 500 ms
  const n = startServiceNotifier({ log: testLogger(), healthy: () => healthy, env, tool });
  const fed = (): number => calls().filter((c) => c === 'WATCHDOG=1').length;
  await sleep(1_200);
  healthy = false;
  await sleep(150); // let a feed already in flight land
  const fedWhileHealthy = fed();
  await sleep(1_200);
  const fedWhileStalled = fed() - fedWhileHealthy;
  n.stop();
  await sleep(200);
  t.true(calls()[0]?.startsWith('--ready'));
  t.true(fedWhileHealthy >= 2, `fed ${fedWhileHealthy} times while healthy`);
  t.is(fedWhileStalled, 0, 'a stalled control loop starves the watchdog');
  t.regex(calls().at(-1) ?? '', /STOPPING=1/);
});
