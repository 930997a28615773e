// End-to-end: the console in headless Chromium against a real server, real users and a fake
// street the test drives. Serial: one browser at a time on a small CI machine.
import test, { type ExecutionContext } from 'ava';
import { consoleFixture, PASSWORD } from '../testing/console-fixture.js';
import { LAPTOP, openPage, PHONE, screenshot, signInPage } from '../../../common/testing/browser.js';
import { englishOf, part, refusal as refused } from '../../../common/reasons/reason.js';

const VIEWS = [
  'overview',
  'lighting',
  'intersections',
  'containers',
  'policies',
  'audit',
  'devices',
] as const;

async function serve(t: ExecutionContext, now?: () => number) {
  const fixture = consoleFixture(t, now);
  fixture.audit.append({
    actor: 'coordinator',
    action: 'policy.refused',
    target: 'policy:9',
    // As the pipeline stores a refusal: its English and the codes it was rendered from.
    after: refused(
      part('policy.outside', { field: 'lighting.steps[1].level_pct', value: '120', range: '0..100' }),
    ),
  });
  // Version 8 applied, its signal timing waiting for int-sol's cycle end.
  fixture.source.staged = { version: 8, waitingFor: ['int-sol'] };
  const url = await fixture.app.listen({ host: '127.0.0.1', port: 0 });
  return { ...fixture, url };
}

for (const [label, viewport] of [
  ['laptop', LAPTOP],
  ['phone', PHONE],
] as const) {
  test.serial(
    `console e2e — ${label}: sign in, see the devices, a live update arrives; every view`,
    async (t) => {
      const { url, addUser, source } = await serve(t);
      await addUser('eva', 'engineer');
      const { page } = await openPage(t, viewport);
      await page.goto(url);
      await page.locator('#login').waitFor({ state: 'visible' });
      await screenshot(t, page, `${label}-login`);
      await signInPage(page, url, 'eva', PASSWORD);

      await page.goto(`${url}/#devices`);
      const row = page.locator('tr[data-device="lum-001"]');
      await row.waitFor();
      t.regex(await row.innerText(), /60 %/);
      // The rule that decided the level, in Spanish from its code (the API keeps the English).
      t.regex(await row.innerText(), /horario: ocaso\+0 → 60 %/);
      t.regex(
        await page.locator('tr[data-device="fill-017"]').innerText(),
        /timeout after 3 s/,
        'last error shown',
      );

      // A new reason arrives coded, as the site makes it, and is shown in Spanish from its code.
      const presence = [
        part('light.presence', { detector: 'det-n', hold: 60, level: 85 }),
        part('light.step', { rule: 'schedule', at: 'sunset', offset: '+0', level: 60 }),
      ];
      source.change({
        ...source.views.get('lum-001')!,
        state: { level: 85, power: 51 },
        reason: englishOf(presence),
        reasonCode: presence,
      });
      await page.locator('tr[data-device="lum-001"]', { hasText: '85 %' }).waitFor({ timeout: 3000 });
      t.regex(
        await page.locator('tr[data-device="lum-001"]').innerText(),
        /presencia: det-n \(mantiene 60 s\) → 85 %; horario: ocaso\+0 → 60 %/,
      );

      for (const view of VIEWS) {
        await page.goto(`${url}/#${view}`);
        await page.locator(`#view[data-view="${view}"]`).waitFor();
        if (view === 'audit') {
          t.regex(await page.locator('.chain').innerText(), /Cadena íntegra: 3 registros/);
          t.regex(await page.locator('table.records').innerText(), /login\.ok/);
        }
        if (view === 'policies') {
          t.regex(
            await page.locator('.refusal').innerText(),
            /lighting\.steps\[1\]\.level_pct: 120 fuera de 0\.\.100/,
          );
          t.regex(await page.locator('.staged').innerText(), /v8 aplicada.*int-sol/s);
        }
        if (view === 'intersections') {
          t.is(await page.locator('figure.head').count(), 4, 'the heads of both intersections drawn');
          const sol = page.locator('section[data-intersection="int-sol"]');
          await sol.locator('p.muted', { hasText: 'tiempos fijos' }).waitFor();
          t.regex(await sol.innerText(), /plan: fase 1\/2 verde \(veh-ew, walk-ew\)/);
          t.regex(await sol.innerText(), /política 8: se aplica al final del ciclo/);
        }
        if (view === 'containers') {
          const first = page.locator('.collection-list li').first();
          await first.waitFor();
          t.is(await first.getAttribute('data-container'), 'cont-018', 'soonest predicted full first');
          t.regex(await first.innerText(), /Lleno hacia .*entre .* y /);
          t.is(await page.locator('.collection-list li').count(), 2);
        }
        await screenshot(t, page, `${label}-${view}`);
      }
    },
  );
}

test.serial(
  'console e2e — a viewer sees the latch but cannot clear it, in the page or through the API',
  async (t) => {
    const { url, addUser, source } = await serve(t);
    await addUser('vic', 'viewer');
    const { page } = await openPage(t, PHONE);
    await signInPage(page, url, 'vic', PASSWORD);
    await page.goto(`${url}/#intersections`);
    const button = page.locator('button[data-clear="int-atocha"]');
    await button.waitFor();
    t.true(await button.isDisabled());
    const status = await page.evaluate(async () => {
      const me = (await (await fetch('/api/session')).json()) as { csrf: string };
      const res = await fetch('/api/intersections/int-atocha/clear-latch', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrf },
        body: JSON.stringify({ confirm: 'int-atocha' }),
      });
      return res.status;
    });
    t.is(status, 403);
    t.deepEqual(source.clears, []);
  },
);

test.serial(
  'console e2e — an engineer clears a latch after typing its id; the diagram goes live',
  async (t) => {
    const { url, addUser, source, audit } = await serve(t);
    await addUser('eva', 'engineer');
    const { page } = await openPage(t, LAPTOP);
    await signInPage(page, url, 'eva', PASSWORD);
    await page.goto(`${url}/#intersections`);
    t.is(await page.locator('figure[data-device="sh-atocha-1"]').getAttribute('data-aspect'), 'flash');
    await page.locator('button[data-clear="int-atocha"]').click();
    const dialog = page.locator('dialog#confirm');
    await dialog.waitFor({ state: 'visible' });
    await page.locator('#confirm-input').fill('int-sol');
    await page.locator('#confirm-form button[type=submit]').click();
    t.deepEqual(source.clears, [], 'a wrong id clears nothing');
    await screenshot(t, page, 'laptop-intersections-confirm');
    await page.locator('#confirm-input').fill('int-atocha');
    await page.locator('#confirm-form button[type=submit]').click();
    await page.locator('#toast', { hasText: 'int-atocha' }).waitFor();
    await page.locator('figure[data-device="sh-atocha-1"][data-aspect="red"]').waitFor({ timeout: 3000 });
    t.deepEqual(source.clears, ['int-atocha:local']);
    t.like(audit.recent(1)[0], { actor: 'eva', action: 'signal.latch_cleared' });
  },
);

test.serial(
  'console e2e — an engineer flashes an intersection and restores it, each after typing its id; a technician may not',
  async (t) => {
    const { url, addUser, source, audit } = await serve(t);
    await addUser('eva', 'engineer');
    await addUser('tom', 'technician');
    const { page } = await openPage(t, LAPTOP, 'en-GB');
    await signInPage(page, url, 'eva', PASSWORD);
    await page.goto(`${url}/#intersections`);
    const sol = page.locator('section[data-intersection="int-sol"]');
    const dialog = page.locator('dialog#confirm');

    await sol.locator('button[data-flash="int-sol"]').click();
    await dialog.waitFor({ state: 'visible' });
    t.regex(await dialog.innerText(), /minimum green, yellow and all red/);
    await page.locator('#confirm-input').fill('int-atocha');
    await page.locator('#confirm-submit').click();
    await page.locator('#confirm-error', { hasText: 'Type exactly “int-sol”' }).waitFor();
    t.deepEqual(source.flashes, [], 'another id flashes nothing');
    await page.locator('#confirm-input').fill('int-sol');
    await page.locator('#confirm-submit').click();
    await page.locator('#toast', { hasText: 'int-sol: entering flash.' }).waitFor();
    // Live: first the stage drains (yellow), then every head flashes.
    await page
      .locator('section[data-intersection="int-sol"][data-operation="entering-flash"]')
      .waitFor({ timeout: 3000 });
    await page.locator('figure[data-device="sh-sol-1"][data-aspect="flash"]').waitFor({ timeout: 3000 });
    await page.locator('section[data-intersection="int-sol"][data-operation="manual-flash"]').waitFor();
    t.regex(await sol.innerText(), /In manual flash\s*· asked by eva/);
    t.like(audit.recent(1)[0], { actor: 'eva', action: 'signal.flash', target: 'intersection:int-sol' });
    await screenshot(t, page, 'laptop-intersections-manual-flash');

    await sol.locator('button[data-restore="int-sol"]').click();
    await dialog.waitFor({ state: 'visible' });
    await page.locator('#confirm-input').fill('int-sol');
    await page.locator('#confirm-submit').click();
    await page.locator('#toast', { hasText: 'int-sol: plan restored.' }).waitFor();
    await page.locator('figure[data-device="sh-sol-1"][data-aspect="red"]').waitFor({ timeout: 3000 });
    await page.locator('section[data-intersection="int-sol"][data-operation="plan"]').waitFor();
    t.deepEqual(source.flashes, ['flash:int-sol:eva', 'restore:int-sol:eva']);
    t.like(audit.recent(1)[0], { actor: 'eva', action: 'signal.restore' });

    // The technician sees the button but may not use it, in the page or through the API.
    await page.locator('#logout').click();
    await page.locator('#login').waitFor({ state: 'visible' });
    await signInPage(page, url, 'tom', PASSWORD);
    await page.goto(`${url}/#intersections`);
    const button = page.locator('button[data-flash="int-sol"]');
    await button.waitFor();
    t.true(await button.isDisabled());
    const status = await page.evaluate(async () => {
      const me = (await (await fetch('/api/session')).json()) as { csrf: string };
      const res = await fetch('/api/intersections/int-sol/flash', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrf },
        body: JSON.stringify({ confirm: 'int-sol' }),
      });
      return res.status;
    });
    t.is(status, 403);
    t.is(source.flashes.length, 2, 'nothing more flashed');
    t.like(audit.recent(1)[0], { actor: 'tom', action: 'access.denied' });
  },
);

test.serial(
  'console e2e — Spanish by default for an es browser, English on the switch, remembered',
  async (t) => {
    const { url, addUser } = await serve(t);
    await addUser('eva', 'engineer');
    const { page } = await openPage(t, PHONE, 'es-ES');
    await signInPage(page, url, 'eva', PASSWORD);
    const nav = page.locator('#nav a[data-view="lighting"]');
    t.is(await nav.innerText(), 'Alumbrado');
    await page.locator('header .lang-switch').click();
    t.is(await nav.innerText(), 'Lighting');
    t.is(await page.locator('html').getAttribute('lang'), 'en');
    await page.reload();
    await page.locator('#app').waitFor({ state: 'visible' });
    t.is(await page.locator('#nav a[data-view="lighting"]').innerText(), 'Lighting');
  },
);

test.serial(
  'console e2e — five wrong passwords lock the user; an idle session returns to sign-in',
  async (t) => {
    let clock = Date.now();
    const { url, addUser } = await serve(t, () => clock);
    await addUser('eva', 'engineer');
    const { page } = await openPage(t, LAPTOP, 'en-GB');
    await page.goto(url);
    const name = page.locator('#login-form input[name=name]');
    const password = page.locator('#login-form input[name=password]');
    for (let i = 0; i < 5; i++) {
      await name.fill('eva');
      await password.fill(`wrong password ${i}`);
      const answered = page.waitForResponse((r) => r.url().endsWith('/api/login'));
      await page.locator('#login-form button[type=submit]').click();
      t.is((await answered).status(), 401);
      await page.locator('#login-error', { hasText: 'Wrong user name or password' }).waitFor();
    }
    await name.fill('eva');
    await password.fill(PASSWORD);
    await page.locator('#login-form button[type=submit]').click();
    await page.locator('#login-error', { hasText: 'locked' }).waitFor();
    await screenshot(t, page, 'laptop-login-locked');

    clock += 16 * 60_000;
    await signInPage(page, url, 'eva', PASSWORD);
    clock += 16 * 60_000;
    await page.goto(`${url}/#audit`);
    await page.locator('#login-error', { hasText: 'inactivity' }).waitFor();
    t.true(await page.locator('#app').isHidden());
  },
);

test.serial(
  'console e2e — a page left open locks: its own refreshes are marked as polls and do not count as activity',
  async (t) => {
    let clock = Date.now();
    const { url, addUser, source } = await serve(t, () => clock);
    await addUser('eva', 'engineer');
    const { page } = await openPage(t, LAPTOP, 'en-GB');
    const background: string[] = [];
    page.on('request', (r) => {
      const path = new URL(r.url()).pathname;
      // The session (boot, user activity) and the stream (EventSource, passive on the server)
      // are the page's only unmarked GETs.
      if (
        r.method() === 'GET' &&
        path.startsWith('/api/') &&
        path !== '/api/session' &&
        path !== '/api/events'
      )
        if (r.headers()['x-calle-poll'] !== '1') background.push(path);
    });
    await page.goto(url);
    await signInPage(page, url, 'eva', PASSWORD);
    await page.goto(`${url}/#lighting`);
    await page.locator('#view[data-view=lighting]').waitFor();

    // Nobody touches the page; a luminaire changes, so the page reloads the lighting groups.
    clock += 10 * 60_000;
    const answered = page.waitForResponse((r) => r.url().endsWith('/api/lighting'));
    source.change({ ...source.views.get('lum-001')!, state: { level: 40, power: 30 } });
    t.is((await answered).status(), 200, 'ten idle minutes in, the session still lives');
    // 16 minutes after sign-in, 6 after that refresh: the next refresh, or the stream's session
    // check, finds the session locked and the page returns to sign-in.
    clock += 6 * 60_000;
    await page.locator('#login-error', { hasText: 'inactivity' }).waitFor({ timeout: 20_000 });
    t.true(await page.locator('#app').isHidden());
    t.deepEqual(background, [], 'every background GET is marked as a poll');
  },
);

test.serial(
  'console e2e — a technician overrides a lighting group; when the lease expires the schedule is back',
  async (t) => {
    const { url, addUser, source, audit } = await serve(t);
    await addUser('tom', 'technician');
    const { page } = await openPage(t, PHONE, 'en-GB');
    await signInPage(page, url, 'tom', PASSWORD);
    await page.goto(`${url}/#lighting`);
    const group = page.locator('section[data-group="calle-mayor"]');
    await group.locator('form.override').waitFor();
    await group.locator('input[name=level]').fill('90');
    await group.locator('select[name=duration]').selectOption(String(15 * 60));
    await group.locator('form.override button[type=submit]').click();
    await page.locator('#toast', { hasText: 'calle-mayor held at 90 %' }).waitFor();
    await group
      .locator('p.reason', { hasText: /override by tom until \d\d:\d\d → 90 %/ })
      .waitFor({ timeout: 3000 });
    t.like(source.overrides.get('calle-mayor'), { levelPct: 90, actor: 'tom' });
    const lease = source.overrides.get('calle-mayor')!;
    t.true(Math.abs(lease.expiresMs - (Date.now() + 15 * 60_000)) < 10_000, 'a 15-minute lease');
    t.like(audit.recent(1)[0], { actor: 'tom', action: 'override.set' });
    await screenshot(t, page, 'phone-lighting-override');

    source.expireOverride('calle-mayor');
    await group.locator('p.reason', { hasText: 'schedule: sunset+0' }).waitFor({ timeout: 3000 });
    t.is(await group.locator('text=End override').count(), 0, 'nothing left to end');
  },
);

test.serial(
  'console e2e — an expired policy: the overview shows POLICY_STALE and the policies view the expiry, in Spanish',
  async (t) => {
    const { url, addUser, source } = await serve(t);
    const base = source.status();
    const expiresMs = Date.parse('2026-03-01T09:00:00Z');
    // What edge-node reports once the running policy's signature expired (policy-freshness.ts).
    source.status = () => ({ ...base, policyVersion: 8, policyExpiresMs: expiresMs, policyStale: true });
    await addUser('vic', 'viewer');
    const { page } = await openPage(t, PHONE);
    await signInPage(page, url, 'vic', PASSWORD);
    await page.goto(`${url}/#overview`);
    const alarm = page.locator('.alarm-list li', { hasText: 'v8' });
    await alarm.waitFor();
    t.regex(await alarm.innerText(), /La política v8 caducó el .*: sigue aplicándose/);
    t.is(await alarm.getAttribute('class'), 'alarm alarm-warning');
    await page.goto(`${url}/#policies`);
    const expiry = page.locator('.policy-expiry');
    await expiry.waitFor();
    t.regex(await expiry.innerText(), /^Caducada el .*: sigue aplicándose \(POLICY_STALE\)$/);
    await screenshot(t, page, 'phone-policy-stale');
  },
);
