// The SUMO scenarios the HIL tests, the traffic bench and the KPI report run (hil-tests/data/sumo).
import { join } from 'node:path';
import { SUMO_DATA } from '../data/data-dirs.js';

export { SUMO_DATA };

/** A scenario's directory under SUMO_DATA, for example `x1`. */
export const sumoScenarioDir = (name: string): string => join(SUMO_DATA, name);
