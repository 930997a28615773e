// The coordinator's data inventory (issue 16, data minimisation you can show): what it collects,
// why, for how long, and who may read it, generated from the retention policy in force, so the
// document and the enforcement can never disagree. Served as JSON at GET /data-inventory.
import { DAY_MS } from './bucket-tables.js';
import type { RetentionPolicy } from './retention.js';

export interface DataClass {
  readonly class: string;
  readonly what: string;
  readonly why: string;
  /** Days kept; null: kept while the thing it describes exists. */
  readonly keptDays: number | null;
  readonly readers: string;
}

export interface DataInventory {
  readonly controller: string;
  readonly personalData: string;
  readonly classes: readonly DataClass[];
}

const days = (ms: number): number => Math.round(ms / DAY_MS);

export function dataInventory(policy: RetentionPolicy): DataInventory {
  return {
    controller: 'the city operating the coordinator',
    personalData:
      'none from the street: edges send equipment readings and vehicle counts only; presence is never sent, ' +
      'lamps use it at the cabinet. Operators’ user names are in the dashboard’s users and audit log.',
    classes: [
      {
        class: 'raw',
        what: 'every reading an edge sent: device, metric, value, time (level, power, energy, fill, vehicle counts, occupancy)',
        why: 'incident reviews: what happened at one cabinet, reading by reading',
        keptDays: days(policy.rawMs),
        readers: 'operators with access to the coordinator host (no API serves raw readings)',
      },
      {
        class: 'rollup15m',
        what: 'per device and metric, 15-minute count, sum, minimum, maximum, first, last and counter increase',
        why: 'the dashboard KPIs and the NGSI-LD temporal API',
        keptDays: days(policy.rollup15mMs),
        readers: 'dashboard users (viewer and above); NGSI-LD clients on the coordinator network',
      },
      {
        class: 'rollup1h',
        what: 'the same per hour',
        why: 'year-on-year energy and traffic comparisons',
        keptDays: days(policy.rollup1hMs),
        readers: 'dashboard users (viewer and above); NGSI-LD clients on the coordinator network',
      },
      {
        class: 'events',
        what: 'alarms and events an edge raised: code, severity, device, message, time',
        why: 'maintenance and the rollout health gate',
        keptDays: days(policy.eventsMs),
        readers: 'dashboard users (viewer and above)',
      },
      {
        class: 'registry',
        what: 'each edge: id, district, tags, software version, last seen, delivery counters, policy verdicts',
        why: 'running the fleet',
        keptDays: null,
        readers: 'dashboard users; /api/edges on loopback',
      },
      {
        class: 'audit',
        what: 'every operator change and refused change: who, what, before and after (hash-chained)',
        why: 'accountability for changes to street equipment',
        keptDays: null,
        readers: 'dashboard users with audit.read',
      },
    ],
  };
}
