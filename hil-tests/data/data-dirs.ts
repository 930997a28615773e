// Where the repository's test data lives (hil-tests/data, sources and licences in its README):
// the one place tests, benchmarks and the KPI report take these paths from, so a clone alone
// runs them. CALLE_SUMO_DATA / CALLE_WASTE_DATA point elsewhere (a city's own scenarios).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DATA = fileURLToPath(new URL('./', import.meta.url));

/** SUMO networks, demand and configurations, one folder per scenario. */
export const SUMO_DATA = process.env.CALLE_SUMO_DATA ?? join(DATA, 'sumo');

/** Real container fill and collection series (Edinburgh, Wyndham). */
export const WASTE_DATA = process.env.CALLE_WASTE_DATA ?? join(DATA, 'waste');
