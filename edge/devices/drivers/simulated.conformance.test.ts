// The simulated driver against the shared conformance suite: its "peer" is the simulation, made
// to fail and recover through fail()/recover().
import { BUILT_IN_TYPES } from '../catalogue.js';
import type { DriverDevice } from '../driver.js';
import { SimulatedDriver } from '../simulated-driver.js';
import { driverConformance } from './conformance.js';

const def = (name: string) => BUILT_IN_TYPES.find((d) => d.name === name)!;
let clockMs = 0;

driverConformance<undefined, SimulatedDriver>({
  name: 'simulated',
  startPeer: () => undefined,
  stopPeer: () => undefined,
  create: (_peer, log) => ({
    driver: new SimulatedDriver({ log, seed: 3 }),
    devices: <DriverDevice[]>[
      { id: 'lum', definition: def('dali-led-luminaire'), params: {} },
      { id: 'sig', definition: def('vehicle-signal-3'), params: {} },
      { id: 'det', definition: def('inductive-loop'), params: { ratePerHour: 3600 } },
      { id: 'fill', definition: def('ultrasonic-fill'), params: { depthCm: 150 } },
    ],
  }),
  disappear: (_peer, { driver, devices }) => {
    for (const d of devices) driver.fail(d.id, 'simulated fault: no response');
  },
  reappear: (_peer, { driver, devices }) => {
    for (const d of devices) driver.recover(d.id);
  },
  advance: ({ driver }) => driver.sample((clockMs += 1000)),
});
