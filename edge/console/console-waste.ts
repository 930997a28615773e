// The console's container routes: each container's fill and predicted full time with its
// interval (read from its fill sensor's live state), and the collection list — what a crew should
// empty, soonest predicted full first (EdgeSite.collectionList; the order is the site's).
import type { FastifyInstance } from 'fastify';
import type { ConsoleSource } from './console-server.js';

/** One entry of the collection list (EdgeSite.collectionList). */
export interface CollectionEntryView {
  containerId: string;
  sensorId: string;
  fillPct: number;
  fullAtMs?: number;
  fullLowMs?: number;
  fullHighMs?: number;
  reason: 'full' | 'above collect_at_fill' | 'due within horizon';
}

export interface ContainerView {
  id: string;
  sensorId: string;
  available: boolean;
  fillPct?: number;
  fullAtMs?: number;
  fullLowMs?: number;
  fullHighMs?: number;
  updatedMs: number;
}

const TIMES = {
  fullAtMs: { type: 'number', description: 'predicted time the fill reaches the full threshold (epoch ms)' },
  fullLowMs: { type: 'number', description: 'earliest of the prediction interval' },
  fullHighMs: { type: 'number', description: 'latest of the prediction interval' },
} as const;

const ENTRY_SCHEMA = {
  type: 'object',
  required: ['containerId', 'sensorId', 'fillPct', 'reason'],
  properties: {
    containerId: { type: 'string' },
    sensorId: { type: 'string' },
    fillPct: { type: 'number' },
    ...TIMES,
    reason: { type: 'string', enum: ['full', 'above collect_at_fill', 'due within horizon'] },
  },
} as const;

const CONTAINER_SCHEMA = {
  type: 'object',
  required: ['id', 'sensorId', 'available', 'updatedMs'],
  properties: {
    id: { type: 'string' },
    sensorId: { type: 'string' },
    available: { type: 'boolean' },
    fillPct: { type: 'number' },
    ...TIMES,
    updatedMs: { type: 'number' },
  },
} as const;

const HOUR_MS = 3_600_000;

export function registerWasteRoutes(
  app: FastifyInstance,
  deps: { source: ConsoleSource; collectionList?: (horizonMs?: number) => CollectionEntryView[] },
): void {
  app.get(
    '/api/containers',
    {
      config: { permission: 'view' },
      schema: {
        summary: 'Containers: fill and predicted full time with its interval',
        tags: ['waste'],
        response: { 200: { type: 'array', items: CONTAINER_SCHEMA } },
      },
    },
    async (_request, reply) => {
      const containers: ContainerView[] = deps.source
        .devices()
        .filter((d) => d.kind === 'fill-sensor')
        .map((d) => {
          const n = (k: string) => (typeof d.state[k] === 'number' ? { [k]: d.state[k] } : {});
          return {
            id: d.group ?? d.id,
            sensorId: d.id,
            available: d.available,
            ...(typeof d.state.fill === 'number' ? { fillPct: d.state.fill } : {}),
            ...n('fullAtMs'),
            ...n('fullLowMs'),
            ...n('fullHighMs'),
            updatedMs: d.updatedMs,
          };
        });
      return reply.header('cache-control', 'no-store').send(containers);
    },
  );

  app.get<{ Querystring: { horizonH?: number } }>(
    '/api/containers/collection',
    {
      config: { permission: 'view' },
      schema: {
        summary:
          'The collection list: full, above the policy’s collect_at_fill, or predicted full within the horizon; soonest predicted full first',
        tags: ['waste'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { horizonH: { type: 'number', minimum: 1, maximum: 168, default: 24 } },
        },
        response: { 200: { type: 'array', items: ENTRY_SCHEMA } },
      },
    },
    async (request, reply) =>
      reply
        .header('cache-control', 'no-store')
        .send(deps.collectionList?.((request.query.horizonH ?? 24) * HOUR_MS) ?? []),
  );
}
