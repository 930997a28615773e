// The operator routes under /api/ (policies, rollouts, commands, the fleet overview) have no
// authentication of their own: they are for `calle policy` and `calle command` on the coordinator
// host. They answer only clients on the loopback interface, whatever address HTTP is bound to, so
// the coordinator can listen on 0.0.0.0 for the dashboard (/dashboard/, with users and roles),
// NGSI-LD and /metrics without opening the unauthenticated routes to the network. In a container,
// `kubectl port-forward` / `docker exec` reach them from inside the pod, as loopback.
// (Issue #5: "nothing listens unauthenticated beyond localhost by default".)
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

export function restrictApiToLoopback(
  app: FastifyInstance,
  allow: readonly string[] = [],
  prefix = '/api/',
): void {
  const allowed = allow.map(ipv4Cidr);
  app.addHook('onRequest', async (request, reply) => {
    const client = request.socket.remoteAddress;
    if (!request.url.startsWith(prefix) || isLoopbackAddress(client) || allowed.some((ok) => ok(client)))
      return;
    await reply.code(403).send({
      error: LOOPBACK_ONLY,
      message: `${prefix}: answers only on the coordinator host (loopback); use the dashboard at /dashboard/, or run calle on the host (kubectl port-forward, docker exec)`,
    });
  });
}
