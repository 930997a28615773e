// The console's page and assets. Only the files named below are served, each on its own exact
// route, so there is no path to resolve and nothing for `..` or `%2f` to escape from: any other
// URL falls through to the 404 handler. They are read once at start, which also fails fast when
// the build forgot to copy `public/` next to the compiled code.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';

/** Route → file in `public/` and its content type. Adding an asset means adding it here. */
export const ASSETS: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/i18n.js': { file: 'i18n.js', type: 'text/javascript; charset=utf-8' },
  '/dom.js': { file: 'dom.js', type: 'text/javascript; charset=utf-8' },
  '/views-street.js': { file: 'views-street.js', type: 'text/javascript; charset=utf-8' },
  '/views-records.js': { file: 'views-records.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
  '/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
};

export function registerStaticAssets(app: FastifyInstance, publicDir: URL): void {
  for (const [route, { file, type }] of Object.entries(ASSETS)) {
    const location = new URL(file, publicDir);
    let content: Buffer;
    try {
      content = readFileSync(location);
    } catch (err) {
      throw new Error(
        `console: asset ${file} not found in ${publicDir.pathname} (copy public/ into the build)`,
        {
          cause: err,
        },
      );
    }
    // Phones on a weak cabinet Wi-Fi revalidate instead of downloading again; 'no-cache' (not a max
    // age) so that a node upgrade is picked up on the next load.
    const etag = `"${createHash('sha256').update(content).digest('base64url').slice(0, 27)}"`;
    app.get(route, async (request, reply) => {
      void reply.header('cache-control', 'no-cache').header('etag', etag);
      if (request.headers['if-none-match'] === etag) return reply.code(304).send();
      return reply.type(type).send(content);
    });
  }
}
