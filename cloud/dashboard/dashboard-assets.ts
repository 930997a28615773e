// The dashboard's page and assets, served as the console serves its own (edge/console/static-
// assets.ts): only the files named here, each on its own exact route, so nothing can walk out of
// `public/`; read once at start, which also fails fast when the build forgot to copy `public/`.
// Everything ships with calle: the coordinator's operators may have no internet either.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';

const JS = 'text/javascript; charset=utf-8';

/** Route (under the dashboard's prefix) → file in `public/` and its content type. */
export const DASHBOARD_ASSETS: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: JS },
  '/i18n.js': { file: 'i18n.js', type: JS },
  '/dom.js': { file: 'dom.js', type: JS },
  '/views-fleet.js': { file: 'views-fleet.js', type: JS },
  '/views-rollouts.js': { file: 'views-rollouts.js', type: JS },
  '/views-policy.js': { file: 'views-policy.js', type: JS },
  '/views-enrolment.js': { file: 'views-enrolment.js', type: JS },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
  '/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
};

export function registerDashboardAssets(scope: FastifyInstance, publicDir: URL): void {
  for (const [route, { file, type }] of Object.entries(DASHBOARD_ASSETS)) {
    let content: Buffer;
    try {
      content = readFileSync(new URL(file, publicDir));
    } catch (err) {
      throw new Error(
        `dashboard: asset ${file} not found in ${publicDir.pathname} (copy public/ into the build)`,
        {
          cause: err,
        },
      );
    }
    const etag = `"${createHash('sha256').update(content).digest('base64url').slice(0, 27)}"`;
    scope.get(route, { config: { fleetPermission: 'public' } }, async (request, reply) => {
      void reply.header('cache-control', 'no-cache').header('etag', etag);
      if (request.headers['if-none-match'] === etag) return reply.code(304).send();
      return reply.type(type).send(content);
    });
  }
}
