// A realistic day of one Madrid cabinet's data written straight into a coordinator database, plus
// its site inventory: two lighting groups of four luminaires (one with an active lamp alarm), four
// loop detectors, three containers with five days of hourly fill (one emptied, one nearly full),
// and a second edge with detectors only and no inventory entry.
import type { ReadingRow } from '../../store/coordinator-store.js';
import { SqliteStore } from '../../store/sqlite/sqlite-store.js';
import { ingestEvent, ingestReadings } from '../../testing/store-helpers.js';
import { parseInventory, type SiteInventory } from '../site-inventory.js';

export const EDGE = 'centro-atocha-01';
export const BARE_EDGE = 'centro-sol-02';
const HOUR = 3_600_000;

export const INVENTORY_DOC = {
  [EDGE]: {
    location: [-3.6995, 40.4125],
    address: 'Calle de Atocha 45',
    lightingGroups: [
      {
        id: 'atocha-west',
        name: 'Calle de Atocha (even side)',
        luminaires: ['lum-01', 'lum-02', 'lum-03', 'lum-04'],
      },
      { id: 'magdalena', luminaires: ['lum-05', 'lum-06', 'lum-07', 'lum-08'], location: [-3.7001, 40.4121] },
    ],
    devices: { 'fill-01': [-3.6991, 40.4127] },
  },
};

export function streetInventory(): SiteInventory {
  return parseInventory(INVENTORY_DOC);
}

/** Writes the data set; `nowMs` is the time of the latest readings. */
export async function writeStreetData(dbPath: string, nowMs: number): Promise<void> {
  const db = new SqliteStore(dbPath);
  try {
    await db.registry.register({
      id: EDGE,
      district: 'centro',
      tags: ['atocha'],
      softwareVersion: '0.1.0',
      nowMs,
    });
    await db.registry.register({
      id: BARE_EDGE,
      district: 'centro',
      tags: [],
      softwareVersion: '0.1.0',
      nowMs,
    });
    const rows: ReadingRow[] = [];
    let seq = 0;
    const add = (deviceId: string, metric: string, value: number, timeMs: number): void =>
      void rows.push({ seq: ++seq, deviceId, metric, value, timeMs });
    // Containers: five days hourly. fill-01 emptied two days ago; fill-02 near full; fill-03 flat.
    for (let h = 120; h >= 0; h--) {
      const t = nowMs - h * HOUR;
      add('fill-01', 'fill.pct', h > 48 ? 20 + (120 - h) * 0.9 : 5 + (48 - h) * 0.5, t);
      add('fill-02', 'fill.pct', Math.min(100, 40 + (120 - h) * 0.45), t);
      add('fill-03', 'fill.pct', 12, t);
    }
    // Luminaires: two readings each; lum-08 is off; the west group dimmed at 60 %.
    for (const [i, t] of [nowMs - 60_000, nowMs].entries())
      for (let n = 1; n <= 8; n++) {
        const id = `lum-0${n}`;
        const level = n === 8 ? 0 : n <= 4 ? 60 : 100;
        add(id, 'level.pct', level, t);
        add(id, 'power.w', level * 0.42, t);
        if (i === 1) {
          add('atocha-west', 'power.w', 4 * 60 * 0.42, t);
          add('atocha-west', 'energy.wh', 12_345, t);
          add('magdalena', 'power.w', 3 * 100 * 0.42, t);
          add('magdalena', 'energy.wh', 23_456, t);
        }
      }
    // Detectors: cumulative counts one minute apart (det-s wraps past 2^32), occupancy.
    const counts: Record<string, [number, number]> = {
      'det-w': [1000, 1007],
      'det-e': [2000, 2004],
      'det-n': [10, 10],
      'det-s': [2 ** 32 - 2, 3],
    };
    for (const [det, [a, b]] of Object.entries(counts)) {
      add(det, 'count.veh', a, nowMs - 60_000);
      add(det, 'count.veh', b, nowMs);
      add(det, 'occupancy.pct', det === 'det-w' ? 35 : 8, nowMs);
    }
    await ingestReadings(db, EDGE, rows);
    await ingestEvent(db, {
      edgeId: EDGE,
      seq: ++seq,
      code: 'LAMP_FAULT',
      severity: 3,
      deviceId: 'lum-03',
      message: 'lum-03 lamp failed',
      timeMs: nowMs,
      active: true,
    });
    await ingestReadings(db, BARE_EDGE, [
      { seq: 1, deviceId: 'det-1', metric: 'count.veh', value: 50, timeMs: nowMs - 60_000 },
      { seq: 2, deviceId: 'det-1', metric: 'count.veh', value: 58, timeMs: nowMs },
      { seq: 3, deviceId: 'det-1', metric: 'occupancy.pct', value: 12.5, timeMs: nowMs },
    ]);
  } finally {
    db.closeNow();
  }
}
