// The coordinator's HTTP guard, tried the way an attacker on the network would (issue 13, finding
// 1): every route the real coordinator registers, each under every attacker spelling, sent as raw
// bytes from a non-loopback address in a network namespace. The unauthenticated operator routes
// (/api/) must answer 403 CALLE_ERR_LOOPBACK_ONLY to every spelling the router resolves to them;
// the dashboard's API must want a session; a spelling that matches nothing gets a 404 that does not
// echo it. From loopback the operator routes still work.
import test from 'ava';
import { join } from 'node:path';
import { netnsClient } from '../../common/testing/netns-client.js';
import { sendAll, type RawRequest, type RawResponse } from '../../common/testing/raw-http.js';
import {
  attackerSpellings,
  PROBE_HEADER,
  probeFastify,
  samplePath,
  type RouteEntry,
} from '../../common/testing/route-probe.js';
import { startCoordinator } from '../coordinator.js';
import { tempDir, testLogger } from '../testing/harness.js';
import { LOOPBACK_ONLY } from './loopback-only.js';

const isOperatorRoute = (url: string): boolean => url.startsWith('/api/');
/** Dashboard routes that need a session: any API route not marked public (fail closed). */
const needsDashboardSession = (route: RouteEntry | undefined): boolean =>
  route !== undefined &&
  route.url.startsWith('/dashboard/') &&
  route.config.fleetPermission !== 'public' &&
  (route.config.fleetPermission !== undefined || route.url.startsWith('/dashboard/api/'));

const errorOf = (res: RawResponse): unknown => {
  try {
    return (JSON.parse(res.body) as { error?: unknown; code?: unknown }).error;
  } catch {
    return undefined;
  }
};

test.serial(
  'route guard — from another address, every spelling of every /api/ route is refused; loopback still works',
  async (t) => {
    const servers = probeFastify(t);
    const outside = await netnsClient(t);
    const coordinator = await startCoordinator({
      dbPath: join(tempDir(t), 'coordinator.db'),
      natsServers: ['nats://127.0.0.1:1'], // never reached: HTTP is what is under test
      grpcHost: '127.0.0.1',
      grpcPort: 0,
      // Every address, as the Dockerfile and the Kubernetes manifest run it.
      httpHost: '0.0.0.0',
      httpPort: 0,
      log: testLogger(t).log,
    });
    t.teardown(async () => coordinator.close());
    const port = Number(new URL(coordinator.httpUrl).port);
    t.is(servers.length, 1, 'the coordinator builds one HTTP server');
    const { routes, matched } = servers[0]!;
    t.true(routes.filter((r) => isOperatorRoute(r.url)).length >= 10, 'the operator routes were collected');

    const probes: { route: RouteEntry; label: string; request: RawRequest }[] = [];
    for (const route of routes)
      for (const { label, target } of attackerSpellings(samplePath(route.url), port))
        probes.push({
          route,
          label,
          request: {
            host: outside.hostAddress,
            port,
            method: route.method,
            target,
            headers: { [PROBE_HEADER]: String(probes.length) },
            ...(route.method === 'POST' ? { body: '{}' } : {}),
          },
        });
    const answers = await outside.send(probes.map((p) => p.request));

    const byUrl = new Map(routes.map((r) => [`${r.method} ${r.url}`, r]));
    const wrong: string[] = [];
    let resolvedByAnotherName = 0;
    probes.forEach(({ route, label, request }, i) => {
      const res = answers[i]!;
      const hit = matched.get(String(i));
      const what = `${request.method} ${request.target} (${label} of ${route.url}) → ${res.status} ${res.body.slice(0, 120)}`;
      if (res.status === 0 || res.status >= 500) wrong.push(`no clean answer: ${what}`);
      else if (hit === undefined || hit === null) {
        // Matched nothing (or refused by the HTTP parser, or by the dashboard's session check, which
        // also guards its 404s): a refusal that does not reflect the target.
        if (![400, 401, 403, 404].includes(res.status)) wrong.push(`unmatched but answered: ${what}`);
        if (res.body.includes(request.target)) wrong.push(`404 echoes the target: ${what}`);
      } else if (isOperatorRoute(hit)) {
        if (label !== 'as registered') resolvedByAnotherName++;
        if (res.status !== 403 || (request.method !== 'HEAD' && errorOf(res) !== LOOPBACK_ONLY))
          wrong.push(`operator route ${hit} answered a stranger: ${what}`);
      } else if (needsDashboardSession(byUrl.get(`${request.method} ${hit}`))) {
        if (res.status !== 401 && res.status !== 403)
          wrong.push(`dashboard route ${hit} answered without a session: ${what}`);
      }
    });
    t.log(
      `${probes.length} probes over ${routes.length} routes; ${resolvedByAnotherName} reached a guarded route by another spelling`,
    );
    t.deepEqual(wrong, [], `${wrong.length} of ${probes.length} probes`);
    // The router does resolve other spellings to operator routes (percent-decoding, absolute-form):
    // the probes above did test the guard on them, not only on 404s.
    t.true(resolvedByAnotherName > 0, 'some attacker spellings reached operator routes');

    // From loopback every operator route is reached (and answers as its handler decides).
    const local = routes.filter((r) => isOperatorRoute(r.url));
    const localAnswers = await sendAll(
      local.map((r, i) => ({
        host: '127.0.0.1',
        port,
        method: r.method,
        target: samplePath(r.url),
        headers: { [PROBE_HEADER]: `local-${i}` },
        ...(r.method === 'POST' ? { body: '{}' } : {}),
      })),
    );
    local.forEach((r, i) => {
      const res = localAnswers[i]!;
      t.is(matched.get(`local-${i}`), r.url, `${r.method} ${r.url} from loopback`);
      t.true(res.status > 0 && res.status !== 403 && res.status < 500, `${r.method} ${r.url}: ${res.status}`);
    });
  },
);
