// The behaviours every driver owes the node, as one ava suite that each driver's test file runs
// against its own peer (undici's "one shared suite against every store" and node-serialport's
// "same suite, real hardware by environment" patterns). The peer is real where the driver has
// one: an equipment simulator process over TCP, a mosquitto broker; fakes only at the wire.
import test, { type ExecutionContext } from 'ava';
import type { Logger } from 'pino';
import { testLogger } from '../../../common/testing/temp-dir.js';
import { pointValueProblem, type PointDefinition } from '../definition.js';
import type { PointValue } from '../device-view.js';
import type { DeviceDriver, DriverDevice, DriverUpdate } from '../driver.js';

/** A driver under test and the devices it serves. */
export interface DriverUnderTest<D extends DeviceDriver = DeviceDriver> {
  readonly driver: D;
  readonly devices: readonly DriverDevice[];
}

export interface ConformanceTarget<P, D extends DeviceDriver = DeviceDriver> {
  /** The driver's name, as devices[].driver spells it. */
  readonly name: string;
  /** Starts the peer once for the suite (equipment process, broker). */
  startPeer(): P | Promise<P>;
  stopPeer(peer: P): void | Promise<void>;
  /** A fresh driver, not started, and the devices to start it with. */
  create(peer: P, log: Logger): DriverUnderTest<D>;
  /** The peer vanishes without a goodbye (process killed, device fails). */
  disappear(peer: P, under: DriverUnderTest<D>): void | Promise<void>;
  /** The peer comes back, at the same address. */
  reappear(peer: P, under: DriverUnderTest<D>): void | Promise<void>;
  /** Drivers with no I/O of their own: advance them (the node calls sample() every tick). */
  advance?(under: DriverUnderTest<D>): void;
  /** Longest wait for an update, a failure or a recovery; default 5000 ms. */
  readonly patienceMs?: number;
}

/** Registers the conformance tests for one driver. Serial: the handle count is process-wide. */
export function driverConformance<P, D extends DeviceDriver>(target: ConformanceTarget<P, D>): void {
  let peer: P | undefined;
  const patience = target.patienceMs ?? 5000;
  const title = (what: string): string => `${target.name} driver conformance — ${what}`;

  test.before(async () => {
    peer = await target.startPeer();
  });
  test.after.always(async () => {
    if (peer !== undefined) await target.stopPeer(peer);
  });

  /** A started driver recording its updates; stopped when the test ends. */
  async function started(t: ExecutionContext): Promise<DriverUnderTest<D> & { updates: DriverUpdate[] }> {
    const under = target.create(peer!, testLogger());
    const updates: DriverUpdate[] = [];
    under.driver.subscribe((u) => updates.push(u));
    t.teardown(async () => under.driver.stop());
    await under.driver.start(under.devices);
    return { ...under, updates };
  }

  /** Polls `check` (advancing drivers that need it) until it returns true or patience runs out. */
  async function until(under: DriverUnderTest<D>, what: string, check: () => boolean): Promise<void> {
    const deadline = Date.now() + patience;
    while (!check()) {
      if (Date.now() > deadline)
        throw new Error(`${target.name}: timed out after ${patience} ms waiting for ${what}`);
      target.advance?.(under);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  const latest = (updates: readonly DriverUpdate[], id: string): DriverUpdate | undefined =>
    updates.findLast((u) => u.deviceId === id);
  const allFresh = (updates: readonly DriverUpdate[], devices: readonly DriverDevice[], since = 0): boolean =>
    devices.every((d) => {
      const u = latest(updates.slice(since), d.id);
      return u !== undefined && 'values' in u;
    });
  const readable = (d: DriverDevice): PointDefinition[] => d.definition.points.filter((p) => !p.derived);

  test.serial(title('start and stop are idempotent'), async (t) => {
    const under = await started(t);
    await under.driver.start(under.devices);
    await until(under, 'values from every device', () => allFresh(under.updates, under.devices));
    await under.driver.stop();
    await under.driver.stop();
    t.pass();
  });

  test.serial(title('read returns typed values within each point’s range'), async (t) => {
    const under = await started(t);
    await until(under, 'values from every device', () => allFresh(under.updates, under.devices));
    for (const dev of under.devices) {
      const values = await under.driver.read(dev.id);
      for (const p of readable(dev)) {
        t.true(p.name in values, `${dev.id}.${p.name} is read`);
        t.is(
          pointValueProblem(p, values[p.name]),
          undefined,
          `${dev.id}.${p.name} = ${String(values[p.name])}`,
        );
      }
      for (const name of Object.keys(values))
        t.truthy(
          dev.definition.points.find((p) => p.name === name && !p.derived),
          `${dev.id}: no stray point ${name}`,
        );
    }
  });

  test.serial(title('writes round-trip; read-only points and out-of-range values are refused'), async (t) => {
    const under = await started(t);
    await until(under, 'values from every device', () => allFresh(under.updates, under.devices));
    let writes = 0;
    for (const dev of under.devices) {
      const before = await under.driver.read(dev.id);
      for (const p of dev.definition.points.filter((q) => q.access === 'write')) {
        const value = otherValue(p, before[p.name]);
        await under.driver.write(dev.id, p.name, value);
        t.is((await under.driver.read(dev.id))[p.name], value, `${dev.id}.${p.name} reads back`);
        writes++;
        if (p.type === 'number')
          await t.throwsAsync(under.driver.write(dev.id, p.name, p.range![1] + 1), { message: /outside/ });
        else await t.throwsAsync(under.driver.write(dev.id, p.name, 'no-such-value'), { message: /one of/ });
      }
      const ro = dev.definition.points.find((q) => q.access === 'read' && !q.derived);
      if (ro) await t.throwsAsync(under.driver.write(dev.id, ro.name, 1), { message: /not writable/ });
    }
    t.log(`${writes} writable point(s) round-tripped`);
  });

  test.serial(title('subscribe delivers updates until unsubscribed'), async (t) => {
    const under = await started(t);
    const mine: DriverUpdate[] = [];
    const off = under.driver.subscribe((u) => mine.push(u));
    await until(under, 'values from every device', () => allFresh(mine, under.devices));
    for (const u of mine) t.true(Number.isFinite(u.timeMs), 'updates carry a time');
    off();
    const seen = mine.length;
    const othersBefore = under.updates.length;
    await until(
      under,
      'more updates to the other listener',
      () => under.updates.length > othersBefore + under.devices.length,
    );
    t.is(mine.length, seen, 'nothing after unsubscribe');
  });

  test.serial(
    title('peer gone → unavailable with the reason; peer back → available, no restart'),
    async (t) => {
      const under = await started(t);
      await until(under, 'values from every device', () => allFresh(under.updates, under.devices));
      const mark = under.updates.length;
      await target.disappear(peer!, under);
      await until(under, 'an error update from every device', () =>
        under.devices.every((d) => {
          const u = latest(under.updates.slice(mark), d.id);
          return u !== undefined && 'error' in u;
        }),
      );
      for (const dev of under.devices) {
        const u = latest(under.updates, dev.id)!;
        t.true('error' in u && u.error.length > 0, `${dev.id} has a lastError`);
        await t.throwsAsync(under.driver.read(dev.id), undefined, `${dev.id} read fails while gone`);
      }
      const back = under.updates.length;
      await target.reappear(peer!, under);
      await until(under, 'values from every device again', () =>
        allFresh(under.updates, under.devices, back),
      );
      for (const dev of under.devices)
        await t.notThrowsAsync(under.driver.read(dev.id), `${dev.id} readable again`);
    },
  );

  test.serial(title('stop releases every socket and timer'), async (t) => {
    const before = resourceCounts();
    const under = target.create(peer!, testLogger());
    const updates: DriverUpdate[] = [];
    under.driver.subscribe((u) => updates.push(u));
    await under.driver.start(under.devices);
    await until(under, 'values from every device', () => allFresh(updates, under.devices));
    const during = resourceCounts();
    await under.driver.stop();
    await new Promise((r) => setImmediate(r));
    const after = resourceCounts();
    t.log(`handles before ${fmt(before)} · running ${fmt(during)} · after stop ${fmt(after)}`);
    for (const [type, n] of Object.entries(after))
      t.true(n <= (before[type] ?? 0), `${type}: ${before[type] ?? 0} → ${n}`);
  });
}

/** A valid value different from `current`, exactly representable by the usual scalings. */
function otherValue(p: PointDefinition, current: PointValue | undefined): PointValue {
  if (p.type === 'enum') return (p.values ?? []).find((v) => v !== current) ?? p.values![0]!;
  const [min, max] = p.range!;
  const mid = Math.round((min + max) / 2);
  return mid === current ? Math.round((min + mid) / 2) : mid;
}

function resourceCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}

const fmt = (c: Record<string, number>): string =>
  Object.entries(c)
    .map(([k, v]) => `${k}×${v}`)
    .join(' ');
