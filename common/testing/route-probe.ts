// Test helper for route-guard tests: every route a real fastify server registers, which route each
// probe request matched, and the spellings an attacker uses to reach a route by another name.
//
// Routes are collected from the servers exactly as the product code builds them: fastify announces
// each instance it creates on the `fastify.initialization` diagnostics channel (the hook APM agents
// use), before any route exists, so an `onRoute` hook added there sees every route — no hand list
// to forget one. An `onRequest` hook added at the same moment runs before the product's own hooks
// and records the route the router matched for each probe (by its x-calle-probe header), so a test
// can tell "refused by the guard" from "matched nothing".
import type { ExecutionContext } from 'ava';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { FastifyInstance, RouteOptions } from 'fastify';

export const PROBE_HEADER = 'x-calle-probe';

export interface RouteEntry {
  readonly method: string;
  /** The route's pattern as registered, prefix included ("/api/policies/:version"). */
  readonly url: string;
  readonly config: Readonly<Record<string, unknown>>;
}

export interface ProbedServer {
  readonly routes: RouteEntry[];
  /** Probe id → the pattern of the route it matched; null when it matched none (404 handler). */
  readonly matched: Map<string, string | null>;
}

/** Records every fastify instance created until the test ends. Use in serial tests only. */
export function probeFastify(t: ExecutionContext): ProbedServer[] {
  const servers: ProbedServer[] = [];
  const onInit = (message: unknown): void => {
    const app = (message as { fastify: FastifyInstance }).fastify;
    const server: ProbedServer = { routes: [], matched: new Map() };
    servers.push(server);
    app.addHook('onRoute', (route: RouteOptions) => {
      for (const method of [route.method].flat())
        server.routes.push({
          method,
          url: route.url,
          config: (route.config ?? {}) as Record<string, unknown>,
        });
    });
    app.addHook('onRequest', (request, _reply, done) => {
      const id = request.headers[PROBE_HEADER];
      if (typeof id === 'string') server.matched.set(id, request.routeOptions.url ?? null);
      done();
    });
  };
  subscribe('fastify.initialization', onInit);
  t.teardown(() => unsubscribe('fastify.initialization', onInit));
  return servers;
}

/** A concrete path for a route pattern: every parameter is "1", a wildcard "x". */
export function samplePath(pattern: string): string {
  return pattern.replace(/:[A-Za-z0-9_]+/g, '1').replace(/\*$/, 'x');
}

const hex = (c: string, upper: boolean): string => {
  const h = c.charCodeAt(0).toString(16).padStart(2, '0'); // "NaN" for no character: filtered out
  return `%${upper ? h.toUpperCase() : h}`;
};

/**
 * Request targets that name `path` (which starts with "/") in other ways, each with a label for the
 * failure message: percent-encoding (RFC 3986 §2.1: a router decodes it before matching), an
 * encoded slash, absolute-form targets (RFC 9112 §3.2.2: servers must accept them), duplicate
 * slashes, dot segments (§5.2.4 remove_dot_segments, raw and encoded), trailing dots and slashes,
 * case changes, path parameters after ";", a query and a fragment, backslashes, NUL and a malformed
 * escape.
 */
export function attackerSpellings(path: string, port: number): { label: string; target: string }[] {
  const segments = path.split('/').slice(1);
  const first = segments[0] ?? '';
  const rest = path.slice(first.length + 1); // "/edges…" after the first segment
  const last = segments.at(-1) ?? '';
  const head = path.slice(0, path.length - last.length);
  const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
  const spellings: [string, string][] = [
    ['as registered', path],
    ['first letter %-encoded', `/${hex(first.charAt(0), false)}${first.slice(1)}${rest}`],
    ['first segment %-encoded, upper hex', `/${[...first].map((c) => hex(c, true)).join('')}${rest}`],
    [
      'last segment %-encoded',
      `${head}${[...last].map((c) => (/[A-Za-z]/.test(c) ? hex(c, false) : c)).join('')}`,
    ],
    ['slash as %2F', `/${first}%2F${rest.slice(1)}`],
    ['slash as %2f', `/${first}%2f${rest.slice(1)}`],
    ['absolute-form, loopback host', `http://127.0.0.1:${port}${path}`],
    ['absolute-form, localhost', `http://localhost${path}`],
    ['absolute-form, other host', `http://calle.example${path}`],
    ['absolute-form, https, upper-case scheme', `HTTPS://127.0.0.1${path}`],
    ['leading double slash', `/${path}`],
    ['inner double slash', `/${first}/${rest}`],
    ['trailing double slash', `${path}//`],
    ['leading /./', `/.${path}`],
    ['inner /./', `/${first}/.${rest}`],
    ['encoded /%2e/', `/%2e${path}`],
    ['.. back into the path', `/x/..${path}`],
    ['inner .. back', `/${first}/x/..${rest}`],
    ['encoded %2e%2e back', `/x/%2e%2e${path}`],
    ['trailing dot', `${path}.`],
    ['trailing slash', `${path}/`],
    ['trailing /.', `${path}/.`],
    ['trailing %20', `${path}%20`],
    ['trailing %00', `${path}%00`],
    ['malformed escape', `${path}%zz`],
    ['upper case', path.toUpperCase()],
    ['capitalised first segment', `/${cap(first)}${rest}`],
    [';param on the first segment', `/${first};x=1${rest}`],
    [';param at the end', `${path};x=1`],
    ['query', `${path}?x=1`],
    ['fragment', `${path}#x`],
    ['backslashes', path.replaceAll('/', '\\')],
  ];
  // "/" has no first letter, one-segment paths no inner slash: drop what is empty or repeated.
  const seen = new Set<string>();
  return spellings
    .filter(([, target]) => !target.includes('%NaN') && !seen.has(target) && seen.add(target))
    .map(([label, target]) => ({ label, target }));
}
