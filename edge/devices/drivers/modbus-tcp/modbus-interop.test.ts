// The modbus-tcp driver against a Modbus server nobody on calle wrote: pymodbus (Debian's
// python3-pymodbus) serving the `modbus-led-luminaire` register map. Our own simulators share
// our reading of the spec; this one does not. With the default of one request in flight every
// value decodes (f32 low word first, u32 high word first, scale 0.1) and a write lands.
import test from 'ava';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { testLogger } from '../../../../common/testing/temp-dir.js';
import { BUILT_IN_TYPES } from '../../catalogue.js';
import type { DriverUpdate } from '../../driver.js';
import { transportUnderTest } from './evaluation/transport-under-test.js';
import { ModbusTcpDriver } from './modbus-tcp-driver.js';

const SERVER = 'hil-tests/equipment/pymodbus-server.py';
const luminaire = BUILT_IN_TYPES.find((d) => d.name === 'modbus-led-luminaire')!;

async function pymodbus(t: import('ava').ExecutionContext) {
  // Debian's interpreter, where python3-pymodbus is installed (a pyenv python3 may shadow it).
  const child = spawn('/usr/bin/python3', [SERVER], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.teardown(() => {
    child.stdin.end();
    child.kill('SIGTERM');
  });
  const writes: string[] = [];
  const lines = createInterface({ input: child.stdout });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`pymodbus server exited with ${code}`)));
    lines.on('line', (line) => {
      const m = /^port (\d+)$/.exec(line);
      if (m) resolve(Number(m[1]));
      else writes.push(line);
    });
  });
  return { port, writes };
}

async function until(what: string, check: () => boolean, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('modbus-tcp driver — reads and writes an independent server (pymodbus) with one request in flight', async (t) => {
  const { port, writes } = await pymodbus(t);
  const driver = new ModbusTcpDriver({
    log: testLogger(),
    connection: { backoffMs: { initial: 50, max: 200 } },
    transport: transportUnderTest(),
  });
  const updates: DriverUpdate[] = [];
  driver.subscribe((u) => updates.push(u));
  t.teardown(async () => driver.stop());
  await driver.start([
    {
      id: 'lum',
      definition: luminaire,
      params: { host: '127.0.0.1', port, unitId: 2, pollMs: 100, timeoutMs: 1000 },
    },
  ]);
  await until('three clean polls', () => updates.filter((u) => 'values' in u).length >= 3);
  t.false(
    updates.some((u) => 'error' in u),
    `no request failed: ${JSON.stringify(updates.find((u) => 'error' in u))}`,
  );
  const values = await driver.read('lum');
  t.is(values.level, 42.5, 'u16 × 0.1');
  t.is(values.fade, 2, 'u16 × 0.1');
  t.is(values.power, 57.25, 'f32, low word first');
  t.is(values.energy, 123.456, 'u32, high word first, × 0.001');

  await driver.write('lum', 'level', 80);
  await until('the write seen by the server', () => writes.includes('write holding 0 800'));
  await until('the level read back', () => {
    const last = updates.findLast((u) => 'values' in u) as { values: Record<string, unknown> } | undefined;
    return last?.values.level === 80;
  });
  t.pass();
});
