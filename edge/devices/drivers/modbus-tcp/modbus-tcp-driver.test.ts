// Failure paths of the modbus-tcp driver against the equipment models served in-process by the
// simulators' Modbus server: real sockets, faults injected at the server.
import test, { type ExecutionContext } from 'ava';
import { createServer } from 'node:net';
import { IoModule } from '../../../../hil-tests/equipment/io-module.js';
import { LightingController } from '../../../../hil-tests/equipment/lighting-controller.js';
import { ModbusServer, RegisterBank } from '../../../../hil-tests/equipment/modbus-server.js';
import { testLogger } from '../../../../common/testing/temp-dir.js';
import { BUILT_IN_TYPES } from '../../catalogue.js';
import type { DriverDevice, DriverUpdate } from '../../driver.js';
import { connectionUnderTest, transportUnderTest } from './evaluation/transport-under-test.js';
import { ModbusTcpDriver } from './modbus-tcp-driver.js';
import type { ModbusTransportFactory } from './modbus-transport.js';

const def = (name: string) => BUILT_IN_TYPES.find((d) => d.name === name)!;

async function equipment(t: ExecutionContext) {
  const io = new IoModule({ heads: 2, detectors: 2 });
  const lum = new LightingController({ ratedW: 60 });
  const server = new ModbusServer(
    new Map([
      [1, io.bank],
      [2, lum.bank],
    ]),
  );
  const port = await server.listen(0);
  const timer = setInterval(() => {
    io.tick(Date.now());
    lum.tick(Date.now());
  }, 50);
  t.teardown(async () => {
    clearInterval(timer);
    await server.close();
  });
  return { io, lum, server, port };
}

async function driverFor(t: ExecutionContext, devices: DriverDevice[]) {
  const driver = new ModbusTcpDriver({
    log: testLogger(),
    connection: { backoffMs: { initial: 50, max: 200 } },
    transport: transportUnderTest(),
  });
  const updates: DriverUpdate[] = [];
  driver.subscribe((u) => updates.push(u));
  t.teardown(async () => driver.stop());
  await driver.start(devices);
  return { driver, updates };
}

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const last = (updates: DriverUpdate[], id: string) => updates.findLast((u) => u.deviceId === id);

test('modbus-tcp driver — a silent unit times out alone while the others on its connection keep updating', async (t) => {
  const { server, port } = await equipment(t);
  const at = { host: '127.0.0.1', port, pollMs: 100, timeoutMs: 300 };
  const { driver, updates } = await driverFor(t, [
    { id: 'sig', definition: def('modbus-vehicle-signal-3'), params: { ...at, unitId: 1 } },
    { id: 'lum', definition: def('modbus-led-luminaire'), params: { ...at, unitId: 2 } },
  ]);
  await until('both answering', () => ['sig', 'lum'].every((id) => 'values' in (last(updates, id) ?? {})));
  server.setFaults(2, { mute: true });
  await until('lum unavailable', () => 'error' in (last(updates, 'lum') ?? {}));
  t.regex((last(updates, 'lum') as { error: string }).error, /unit 2: read .* no response within 300 ms/);
  const mark = updates.length;
  await until(
    'sig still updating',
    () => updates.slice(mark).filter((u) => u.deviceId === 'sig' && 'values' in u).length >= 3,
  );
  t.is(server.connections, 1, 'one connection shared, never dropped for one unit');
  server.setFaults(2, { mute: false });
  await until('lum back', () => 'values' in (last(updates, 'lum') ?? {}));
  t.like(await driver.read('lum'), { level: 100 });
});

test('modbus-tcp driver — an exception response is the device’s lastError, with the exception named', async (t) => {
  const { port } = await equipment(t);
  const at = { host: '127.0.0.1', port, pollMs: 100 };
  const { driver, updates } = await driverFor(t, [
    // The module has 2 heads: channel 5 is past its registers.
    { id: 'ghost', definition: def('modbus-vehicle-signal-3'), params: { ...at, unitId: 1, channel: 5 } },
    { id: 'gone', definition: def('modbus-led-luminaire'), params: { ...at, unitId: 9 } },
    { id: 'det', definition: def('modbus-loop-detector'), params: { ...at, unitId: 1, channel: 1 } },
  ]);
  await until('all reported', () => ['ghost', 'gone', 'det'].every((id) => last(updates, id) !== undefined));
  await t.throwsAsync(driver.read('ghost'), { message: /exception 2 \(ILLEGAL DATA ADDRESS\)/ });
  await t.throwsAsync(driver.read('gone'), {
    message: /exception 11 \(GATEWAY TARGET DEVICE FAILED TO RESPOND\)/,
  });
  t.like(await driver.read('det'), { count: 0, occupancy: 0 });
});

test('modbus-tcp driver — a lamp out at the module shows as lampFault with the lamp current gone', async (t) => {
  const { io, port } = await equipment(t);
  const { driver, updates } = await driverFor(t, [
    {
      id: 'sig',
      definition: def('modbus-vehicle-signal-3'),
      params: { host: '127.0.0.1', port, unitId: 1, channel: 1 },
    },
  ]);
  await until('first values', () => 'values' in (last(updates, 'sig') ?? {}));
  await driver.write('sig', 'aspect', 'red');
  t.true(io.state().heads[1]!.lamps.red, 'the coil is on at the module');
  t.like(await driver.read('sig'), { aspect: 'red', lampFault: 'ok' });
  t.true(((await driver.read('sig')).redMa as number) > 40);
  io.setLampOut(1, 'red', true);
  t.like(await driver.read('sig'), { aspect: 'red', redMa: 0, lampFault: 'lamp-out' });
});

test('modbus connection — pipelined requests (when allowed) are matched by transaction id, out of order; by default one at a time', async (t) => {
  const slow = new RegisterBank({ holding: 1 });
  const fast = new RegisterBank({ holding: 1 });
  slow.holding[0] = 111;
  fast.holding[0] = 222;
  const server = new ModbusServer(
    new Map([
      [1, slow],
      [2, fast],
    ]),
  );
  server.setFaults(1, { delayMs: 200 });
  const port = await server.listen(0);
  const orderOf = async (maxInFlight?: number): Promise<number[]> => {
    const conn = connectionUnderTest({
      host: '127.0.0.1',
      port,
      log: testLogger(),
      ...(maxInFlight ? { maxInFlight } : {}),
    });
    t.teardown(async () => conn.close());
    conn.open();
    await until('connected', () => conn.up);
    const order: number[] = [];
    const read = async (unit: number) => {
      const r = (await conn.request(unit, { fc: 0x03, address: 0, quantity: 1 }, 1000)) as number[];
      order.push(r[0]!);
    };
    await Promise.all([read(1), read(2)]);
    return order;
  };
  t.teardown(async () => server.close());
  t.deepEqual(await orderOf(8), [222, 111], 'the fast unit answered while the slow one was still pending');
  t.deepEqual(await orderOf(), [111, 222], 'by default the second request waits for the first answer');
});

test('modbus connection — reconnects back off exponentially against a server that hangs up', async (t) => {
  let accepted = 0;
  const server = createServer((s) => {
    accepted++;
    s.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const conn = connectionUnderTest({
    host: '127.0.0.1',
    port,
    log: testLogger(),
    backoffMs: { initial: 20, max: 10_000 },
  });
  const downs: string[] = [];
  conn.onState((up, err) => void (up ? undefined : downs.push(err ?? '')));
  t.teardown(async () => {
    await conn.close();
    await new Promise((r) => server.close(r));
  });
  conn.open();
  await new Promise((r) => setTimeout(r, 1000));
  // Delays 10–20, 20–40, 40–80, 80–160, 160–320, 320–640 ms: 5–7 connections in a second.
  // Without backoff (or with the attempt count reset by a bare accept) it would be dozens.
  t.true(accepted >= 3 && accepted <= 8, `${accepted} connections in 1 s`);
  t.regex(downs.at(-1)!, /connection lost: closed by the server/);
});

test('modbus connection — a link silent for several requests in a row is taken for half-open and replaced', async (t) => {
  const server = new ModbusServer(new Map([[1, new RegisterBank({ holding: 1 })]]));
  const port = await server.listen(0);
  const conn = connectionUnderTest({
    host: '127.0.0.1',
    port,
    log: testLogger(),
    backoffMs: { initial: 20, max: 100 },
    deadAfterTimeouts: 3,
  });
  const states: string[] = [];
  conn.onState((up, err) => void states.push(up ? 'up' : `down: ${err}`));
  t.teardown(async () => {
    await conn.close();
    await server.close();
  });
  conn.open();
  await until('connected', () => conn.up);
  const read = async () => conn.request(1, { fc: 0x03, address: 0, quantity: 1 }, 150);
  t.deepEqual(await read(), [0]);
  // A cable cut mid-path leaves the socket open with nobody behind it: only silence tells.
  server.setFaults(1, { mute: true });
  for (let i = 0; i < 2; i++) await t.throwsAsync(read(), { message: /no response within 150 ms/ });
  t.deepEqual(states, ['up'], 'two timeouts are not yet a dead link');
  await t.throwsAsync(read(), { message: /no response within 150 ms/ });
  await until('replaced', () => states.length >= 3 && conn.up);
  t.regex(states[1]!, /connection lost: no response to 3 requests in a row/);
  server.setFaults(1, { mute: false });
  t.deepEqual(await read(), [0]);
});

test('modbus connection — a late answer to a timed-out request is dropped; the next request gets its own', async (t) => {
  const bank = new RegisterBank({ holding: 1 });
  bank.holding[0] = 7;
  const server = new ModbusServer(new Map([[1, bank]]));
  const port = await server.listen(0);
  const conn = connectionUnderTest({ host: '127.0.0.1', port, log: testLogger() });
  t.teardown(async () => {
    await conn.close();
    await server.close();
  });
  conn.open();
  await until('connected', () => conn.up);
  const read = async (timeoutMs: number) => conn.request(1, { fc: 0x03, address: 0, quantity: 1 }, timeoutMs);
  // A busy gateway: the first answer comes at 300 ms, after its 150 ms timeout, while the second
  // request (answered at 150 + 200 ms) is on the wire.
  server.setFaults(1, { delayMs: 300 });
  await t.throwsAsync(read(150), { message: /no response within 150 ms/ });
  server.setFaults(1, { delayMs: 200 });
  t.deepEqual(await read(1000), [7]);
  t.true(conn.up);
});

test('modbus-tcp driver — a device is not reported unavailable while its connection’s first attempt is under way', async (t) => {
  const { port } = await equipment(t);
  // A first connect that takes 400 ms (a client library loading on a busy cabinet, a slow network).
  const slowToOpen: ModbusTransportFactory = (o) => {
    const conn = transportUnderTest()(o);
    const open = conn.open.bind(conn);
    let timer: NodeJS.Timeout | undefined;
    conn.open = () => void (timer = setTimeout(open, 400));
    t.teardown(() => clearTimeout(timer));
    return conn;
  };
  const driver = new ModbusTcpDriver({ log: testLogger(), transport: slowToOpen });
  const updates: DriverUpdate[] = [];
  driver.subscribe((u) => updates.push(u));
  t.teardown(async () => driver.stop());
  await driver.start([
    {
      id: 'lum',
      definition: def('modbus-led-luminaire'),
      params: { host: '127.0.0.1', port, unitId: 2, pollMs: 50 },
    },
  ]);
  await until('first values', () => updates.some((u) => 'values' in u));
  t.deepEqual(
    updates.filter((u) => 'error' in u),
    [],
  );
});
