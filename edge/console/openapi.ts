// /api/openapi.json: an OpenAPI 3.1 document built from the schemas the routes already declare,
// collected by an onRoute hook, so the document cannot drift from what the server validates and
// serialises. OpenAPI 3.1 schemas are JSON Schema 2020-12, a superset of the draft-07 that fastify's
// Ajv validates, so the route schemas are copied as they are. No package (@fastify/swagger) needed.
import type { FastifyInstance, RouteOptions } from 'fastify';
import { PERMISSIONS } from '../../common/access/roles.js';
import { SOFTWARE_VERSION } from '../version.js';

declare module 'fastify' {
  interface FastifySchema {
    /** One line for the OpenAPI operation; fastify itself ignores it. */
    summary?: string;
    tags?: string[];
  }
}

interface RouteSchema {
  summary?: string;
  tags?: string[];
  params?: { properties?: Record<string, unknown>; required?: string[] };
  querystring?: { properties?: Record<string, unknown>; required?: string[] };
  body?: unknown;
  response?: Record<string, unknown>;
}

/** Call before any route is registered; returns the document, complete once the app is ready. */
export function collectOpenApi(app: FastifyInstance): () => Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  app.addHook('onRoute', (route: RouteOptions) => {
    if (!route.url.startsWith('/api/')) return;
    const schema = (route.schema ?? {}) as RouteSchema;
    const permission = (route.config as { permission?: string } | undefined)?.permission;
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m !== 'HEAD');
    for (const method of methods) {
      const parameters = [
        ...Object.entries(schema.params?.properties ?? {}).map(([name, s]) => ({
          name,
          in: 'path',
          required: true,
          schema: s,
        })),
        ...Object.entries(schema.querystring?.properties ?? {}).map(([name, s]) => ({
          name,
          in: 'query',
          required: schema.querystring?.required?.includes(name) ?? false,
          schema: s,
        })),
      ];
      const responses: Record<string, unknown> = {};
      for (const [status, s] of Object.entries(schema.response ?? { 200: {} })) {
        responses[status] =
          status === '204'
            ? { description: 'No content' }
            : { description: `HTTP ${status}`, content: { 'application/json': { schema: s } } };
      }
      if (permission !== 'public') {
        responses['401'] ??= { description: 'not signed in, or the session locked' };
        responses['403'] ??= { description: 'the role lacks the permission, or the CSRF check failed' };
      }
      (paths[path] ??= {})[method.toLowerCase()] = {
        ...(schema.summary ? { summary: schema.summary } : {}),
        ...(schema.tags ? { tags: schema.tags } : {}),
        'x-calle-permission': permission ?? 'none',
        ...(permission && permission !== 'public'
          ? {
              security: [{ session: [] }],
              description: `Needs the ${permission} permission (role ${PERMISSIONS[permission as keyof typeof PERMISSIONS] ?? '?'} or above).${method === 'GET' ? '' : ' Send the session CSRF token in x-csrf-token.'}`,
            }
          : { security: [] }),
        ...(parameters.length > 0 ? { parameters } : {}),
        ...(schema.body
          ? { requestBody: { required: true, content: { 'application/json': { schema: schema.body } } } }
          : {}),
        responses,
      };
    }
  });
  return () => ({
    openapi: '3.1.0',
    info: {
      title: 'calle edge console API',
      version: SOFTWARE_VERSION,
      description: 'The JSON API behind the technician console. Sign in with POST /api/login.',
    },
    components: { securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'calle_session' } } },
    paths,
  });
}
