// GET /metrics on the coordinator's HTTP server. Like /healthz it carries no authentication: the
// figures name no user and change nothing, and the coordinator's HTTP port is meant for the
// operations network (the policy API on the same port warns when bound beyond loopback).
import type { FastifyInstance } from 'fastify';
import { EXPOSITION_CONTENT_TYPE, type Registry } from '../../common/metrics/prometheus-registry.js';

/** `refresh` reads what the collectors report (the coordinator's store) before each render. */
export function registerMetricsRoute(
  app: FastifyInstance,
  registry: Registry,
  refresh?: () => Promise<void>,
): void {
  app.get('/metrics', { exposeHeadRoute: false }, async (request, reply) => {
    try {
      await refresh?.();
    } catch (err) {
      // The figures of the last good read are rendered; process and gRPC metrics are unaffected.
      request.log.warn({ err }, 'metrics: the store could not be read');
    }
    return reply
      .header('content-type', EXPOSITION_CONTENT_TYPE)
      .header('cache-control', 'no-store')
      .send(registry.render((name, err) => request.log.warn({ err, name }, 'metrics: collector failed')));
  });
}
