// One snapshot of every entity, rebuilt at most every `ttlMs`: a context broker polling several
// entity types a second must not turn into several reads of the whole fleet's latest values a
// second (live-readings.ts). The snapshot is as fresh as the ingest plus ttlMs.
import type { CoordinatorStore } from '../store/coordinator-store.js';
import { buildEntities, type Entity } from './entity-builder.js';
import { activeAlarms, deviceReadings, fillHistory } from './live-readings.js';
import type { SiteInventory } from './site-inventory.js';

/** How far back fill history is read for emptying detection and the full-time prediction. */
const FILL_HISTORY_MS = 30 * 86_400_000;
export const DEFAULT_SNAPSHOT_TTL_MS = 5_000;

export interface EntitySourceOptions {
  readonly store: CoordinatorStore;
  readonly inventory: SiteInventory;
  readonly ttlMs?: number;
  readonly now?: () => number;
}

export class EntitySource {
  readonly #o: EntitySourceOptions;
  #snapshot: { atMs: number; entities: readonly Entity[] } | undefined;

  constructor(options: EntitySourceOptions) {
    this.#o = options;
  }

  async entities(): Promise<readonly Entity[]> {
    const now = (this.#o.now ?? Date.now)();
    const ttl = this.#o.ttlMs ?? DEFAULT_SNAPSHOT_TTL_MS;
    if (this.#snapshot && now - this.#snapshot.atMs < ttl) return this.#snapshot.entities;
    const entities = buildEntities({
      edges: await this.#o.store.registry.listStatus(),
      devices: await deviceReadings(this.#o.store),
      fill: await fillHistory(this.#o.store, now - FILL_HISTORY_MS, now),
      alarms: await activeAlarms(this.#o.store),
      inventory: this.#o.inventory,
    });
    this.#snapshot = { atMs: now, entities };
    return entities;
  }
}
