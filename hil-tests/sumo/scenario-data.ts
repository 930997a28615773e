// Where the shared SUMO scenarios live: CALLE_SUMO_DATA, or `../shared/data/sumo` next to the
// repository (the team's layout; issue 7 runs "everything in ../shared/data/sumo/").
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

export const SUMO_DATA = process.env.CALLE_SUMO_DATA ?? join(REPO, '..', 'shared', 'data', 'sumo');

/** A scenario's directory under SUMO_DATA, for example `x1`. */
export const sumoScenarioDir = (name: string): string => join(SUMO_DATA, name);
