// GET /data-inventory: what the coordinator keeps, why, for how long and who may read it
// (cloud/store/data-inventory.ts). No login, like /healthz: it names no user and changes nothing,
// and a resident or an auditor should be able to read it.
import type { FastifyInstance } from 'fastify';
import { dataInventory } from '../store/data-inventory.js';
import type { RetentionPolicy } from '../store/retention.js';

export function registerDataInventoryRoute(app: FastifyInstance, policy: RetentionPolicy): void {
  const body = dataInventory(policy);
  app.get('/data-inventory', async (_request, reply) =>
    reply.header('cache-control', 'max-age=300').send(body),
  );
}
