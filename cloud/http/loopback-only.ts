// The operator routes under /api/ (policies, rollouts, commands, the fleet overview) have no
// authentication of their own: they are for `calle policy` and `calle command` on the coordinator
// host. They answer only clients on the loopback interface, whatever address HTTP is bound to, so
// the coordinator can listen on 0.0.0.0 for the dashboard (/dashboard/, with users and roles),
// NGSI-LD and /metrics without opening the unauthenticated routes to the network. In a container,
// `kubectl port-forward` / `docker exec` reach them from inside the pod, as loopback.
// (Issue #5: "nothing listens unauthenticated beyond localhost by default".)
//
// The decision is made on the route the router matched (its registered pattern), never on the
// URL the client sent. The router reaches a route by many spellings: it percent-decodes the path
// ("/%61pi/edges" is /api/edges) and strips the scheme and host of an absolute-form target
// ("GET http://127.0.0.1/api/edges", RFC 9112 §3.2.2), while the raw URL keeps them; a guard on
// the raw URL let all of those through from anywhere (issue 13, finding 1). Spellings the router
// does not resolve (case, "//", "/./", "..", ";", trailing "/" or ".": fastify's defaults keep
// caseSensitive, no ignoreTrailingSlash, no ignoreDuplicateSlashes, no ";" delimiter) match no
// route and get the 404 answer, which does not echo the path. cloud/http/route-guard.test.ts sends
// every route under every such spelling from another address to keep it that way.
import type { FastifyInstance } from 'fastify';

/** True for a loopback client address, including IPv4-mapped IPv6 ("::ffff:127.0.0.1"). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  return a === '::1' || /^127\.\d+\.\d+\.\d+$/.test(a);
}

export const LOOPBACK_ONLY = 'CALLE_ERR_LOOPBACK_ONLY';

/**
 * An IPv4 CIDR ("172.16.0.0/12") as a predicate on client addresses. For a published container
 * port, whose clients arrive from the bridge's gateway: `calle cloud --api-allow 172.16.0.0/12`.
 * Throws naming the value when it is not an IPv4 CIDR.
 */
export function ipv4Cidr(cidr: string): (address: string | undefined) => boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const bits = m ? Number(m[5]) : -1;
  if (!m || octets.some((o) => o > 255) || bits > 32)
    throw new Error(`--api-allow ${cidr}: not an IPv4 CIDR like 172.16.0.0/12`);
  const toInt = (o: number[]): number => ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  const net = (toInt(octets) & mask) >>> 0;
  return (address) => {
    const a = address?.startsWith('::ffff:') ? address.slice(7) : address;
    const o = a && /^\d{1,3}(\.\d{1,3}){3}$/.test(a) ? a.split('.').map(Number) : undefined;
    return o !== undefined && (toInt(o) & mask) >>> 0 === net;
  };
}

/** Where the operator routes live: any route whose registered pattern starts here is guarded. */
export const OPERATOR_PREFIX = '/api/';

/**
 * Refuses, with 403 CALLE_ERR_LOOPBACK_ONLY, every request that matched an operator route and
 * comes from neither loopback nor an `allow` CIDR. A root hook, so it covers operator routes
 * registered in any plugin, before their body is read.
 */
export function restrictApiToLoopback(app: FastifyInstance, allow: readonly string[] = []): void {
  const allowed = allow.map(ipv4Cidr);
  app.addHook('onRequest', async (request, reply) => {
    // The matched route's pattern ("/api/policies/:version"); undefined when nothing matched.
    const route = request.routeOptions.url;
    if (route === undefined || !route.startsWith(OPERATOR_PREFIX)) return;
    const client = request.socket.remoteAddress;
    if (isLoopbackAddress(client) || allowed.some((ok) => ok(client))) return;
    await reply.code(403).send({
      error: LOOPBACK_ONLY,
      message: `${OPERATOR_PREFIX}: answers only on the coordinator host (loopback); use the dashboard at /dashboard/, or run calle on the host (kubectl port-forward, docker exec)`,
    });
  });
}
