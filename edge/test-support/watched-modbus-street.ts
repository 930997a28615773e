// Test helper: a small street on real Modbus TCP (two luminaires behind one lighting-controller
// gateway, hil-tests/equipment), reached through a TCP relay that records every connection and
// every write request on it. "Never wrote a device" is then a fact read off the wire, whichever
// process wrote: tests of the one-controller lock spawn several `calle edge` on one store.
import type { ExecutionContext } from 'ava';
import { writeFileSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { LightingController } from '../../hil-tests/equipment/lighting-controller.js';
import { ModbusServer } from '../../hil-tests/equipment/modbus-server.js';

/** Modbus function codes that write (Application Protocol V1.1b3 §6: 05, 06, 15, 16, 23). */
const WRITE_CODES = new Set([0x05, 0x06, 0x0f, 0x10, 0x17]);

export interface RelayedConnection {
  readonly openedMs: number;
  writes: number;
  closed: boolean;
}

export interface WatchedStreet {
  /** The site file to pass to `calle edge --config`. */
  readonly siteFile: string;
  readonly connections: readonly RelayedConnection[];
  /** Write requests seen on connections opened at or after `sinceMs`. */
  writesSince(sinceMs: number): number;
  readonly equipment: ModbusServer;
}

export async function watchedModbusStreet(t: ExecutionContext, dir: string): Promise<WatchedStreet> {
  const units = new Map(
    [2, 3].map((unit) => [unit, new LightingController({ ratedW: 60, seed: unit }).bank]),
  );
  const equipment = new ModbusServer(units);
  const equipmentPort = await equipment.listen(0);
  t.teardown(async () => equipment.close());

  const connections: RelayedConnection[] = [];
  const sockets = new Set<Socket>();
  const relay = createServer((client) => {
    const seen: RelayedConnection = { openedMs: Date.now(), writes: 0, closed: false };
    connections.push(seen);
    const upstream = createConnection({ host: '127.0.0.1', port: equipmentPort });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => s.destroy());
      s.on('close', () => {
        seen.closed = true;
        client.destroy();
        upstream.destroy();
        sockets.delete(s);
      });
    }
    // Count write requests by MBAP frame (7-byte header, then the function code).
    let buf = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 8 && buf.length >= 6 + buf.readUInt16BE(4)) {
        if (WRITE_CODES.has(buf.readUInt8(7))) seen.writes++;
        buf = buf.subarray(6 + buf.readUInt16BE(4));
      }
    });
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const relayPort = await new Promise<number>((resolve) =>
    relay.listen(0, '127.0.0.1', () => resolve((relay.address() as { port: number }).port)),
  );
  t.teardown(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => relay.close(() => resolve()));
  });

  const siteFile = join(dir, 'site.json');
  const luminaire = (id: string, unitId: number) => ({
    id,
    type: 'modbus-led-luminaire',
    driver: 'modbus-tcp',
    params: { host: '127.0.0.1', port: relayPort, unitId, pollMs: 200 },
  });
  writeFileSync(
    siteFile,
    JSON.stringify({
      edge: { id: 'lock-test-01', district: 'centro', tags: ['test'], latitude: 40.4125, longitude: -3.6995 },
      telemetry: { intervalS: 1 },
      devices: [luminaire('lum-1', 2), luminaire('lum-2', 3)],
      lightingGroups: [
        { id: 'g1', name: 'test street', luminaires: ['lum-1', 'lum-2'], lightingClass: 'M3' },
      ],
      intersections: [],
      containers: [],
    }),
  );
  return {
    siteFile,
    connections,
    writesSince: (sinceMs) =>
      connections.filter((c) => c.openedMs >= sinceMs).reduce((n, c) => n + c.writes, 0),
    equipment,
  };
}
