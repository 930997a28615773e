// The coordinator's read side of telemetry, wired in one place: the NGSI-LD entities and their
// temporal history (cloud/ngsi), the data inventory, and the retention keeper whose policy the
// inventory states (cloud/store/retention*.ts). Returns what has to be stopped at shutdown.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { EntitySource } from '../ngsi/entity-source.js';
import { registerNgsiApi } from '../ngsi/ngsi-api.js';
import type { SiteInventory } from '../ngsi/site-inventory.js';
import { registerTemporalApi } from '../ngsi/temporal-api.js';
import type { CoordinatorStore } from '../store/coordinator-store.js';
import type { RetentionPolicy } from '../store/retention.js';
import { RetentionKeeper } from '../store/retention-keeper.js';
import { registerDataInventoryRoute } from './data-inventory-route.js';

export interface TelemetryApisOptions {
  readonly store: CoordinatorStore;
  readonly inventory: SiteInventory;
  readonly snapshotTtlMs: number | undefined;
  readonly retention: RetentionPolicy;
  readonly log: Logger;
}

export function registerTelemetryApis(
  http: FastifyInstance,
  o: TelemetryApisOptions,
): { stop(): Promise<void> } {
  const ngsi = new EntitySource({
    store: o.store,
    inventory: o.inventory,
    ...(o.snapshotTtlMs !== undefined ? { ttlMs: o.snapshotTtlMs } : {}),
  });
  registerNgsiApi(http, { entities: async () => ngsi.entities() });
  registerTemporalApi(http, { series: o.store.series, entities: async () => ngsi.entities() });
  registerDataInventoryRoute(http, o.retention);
  const keeper = new RetentionKeeper({ series: o.store.series, policy: o.retention, log: o.log });
  keeper.start();
  return { stop: async () => keeper.stop() };
}
