// The console's access check, tried the way an attacker on the cabinet network would (issue 13):
// every route the real console registers, under every attacker spelling, as raw bytes over a real
// socket. A route that needs a session must refuse every spelling the router resolves to it
// without one (401), and a viewer's session every spelling of a route a viewer may not use (403).
// A spelling that matches nothing is a 404 that does not echo it.
import test from 'ava';
import { sendAll, type RawResponse } from '../../common/testing/raw-http.js';
import {
  attackerSpellings,
  PROBE_HEADER,
  probeFastify,
  samplePath,
  type RouteEntry,
} from '../../common/testing/route-probe.js';
import { can, type Permission } from '../../common/access/roles.js';
import { consoleFixture, signIn } from './testing/console-fixture.js';

/** Routes behind a session: every /api/ route not marked public, and any route naming a permission. */
const permissionOf = (route: RouteEntry): Permission | 'public' | undefined =>
  route.config.permission as Permission | 'public' | undefined;
const needsSession = (route: RouteEntry): boolean =>
  permissionOf(route) !== 'public' && (permissionOf(route) !== undefined || route.url.startsWith('/api/'));

test.serial(
  'route guard — every spelling of every console route that needs a session is refused without one',
  async (t) => {
    const servers = probeFastify(t);
    const { app, addUser } = consoleFixture(t);
    await addUser('vera', 'viewer');
    const viewer = await signIn(app, 'vera');
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const port = Number(new URL(url).port);
    t.is(servers.length, 1, 'the console builds one HTTP server');
    const { routes, matched } = servers[0]!;
    const byKey = new Map(routes.map((r) => [`${r.method} ${r.url}`, r]));
    t.true(routes.filter(needsSession).length >= 15, 'the session routes were collected');

    const probes: { route: RouteEntry; label: string; target: string; as: 'nobody' | 'viewer' }[] = [];
    for (const route of routes)
      for (const { label, target } of attackerSpellings(samplePath(route.url), port))
        for (const as of ['nobody', 'viewer'] as const)
          // A viewer's logout would end the session the other viewer probes use.
          if (as === 'nobody' || !route.url.endsWith('/logout')) probes.push({ route, label, target, as });
    const answers: RawResponse[] = await sendAll(
      probes.map((p, i) => ({
        host: '127.0.0.1',
        port,
        method: p.route.method,
        target: p.target,
        headers: {
          [PROBE_HEADER]: String(i),
          ...(p.as === 'viewer' ? { cookie: viewer.cookie, 'x-csrf-token': viewer.csrf } : {}),
        },
        ...(p.route.method === 'POST' ? { body: '{}' } : {}),
      })),
    );

    const wrong: string[] = [];
    let resolvedByAnotherName = 0;
    probes.forEach(({ route, label, target, as }, i) => {
      const res = answers[i]!;
      const hit = matched.get(String(i));
      const what = `${route.method} ${target} as ${as} (${label} of ${route.url}) → ${res.status} ${res.body.slice(0, 100)}`;
      if (res.status === 0 || res.status >= 500) wrong.push(`no clean answer: ${what}`);
      else if (hit === undefined || hit === null) {
        if (![400, 401, 403, 404].includes(res.status)) wrong.push(`unmatched but answered: ${what}`);
        if (res.body.includes(target)) wrong.push(`404 echoes the target: ${what}`);
      } else {
        const reached = byKey.get(`${route.method} ${hit}`);
        if (!reached || !needsSession(reached)) return;
        if (label !== 'as registered') resolvedByAnotherName++;
        const permission = permissionOf(reached);
        const viewerMay = permission !== undefined && permission !== 'public' && can('viewer', permission);
        if (as === 'nobody' && res.status !== 401) wrong.push(`answered without a session: ${what}`);
        if (as === 'viewer' && !viewerMay && res.status !== 403) wrong.push(`answered a viewer: ${what}`);
      }
    });
    t.log(
      `${probes.length} probes over ${routes.length} routes; ${resolvedByAnotherName} reached a guarded route by another spelling`,
    );
    t.deepEqual(wrong, [], `${wrong.length} of ${probes.length} probes`);
    t.true(resolvedByAnotherName > 0, 'some attacker spellings reached session routes');
  },
);
