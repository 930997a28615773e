// End-to-end: the console in headless Chromium against a real server, real users and a fake
// street the test drives. Serial: one browser at a time on a small CI machine.
import test, { type ExecutionContext } from 'ava';
import { consoleFixture, PASSWORD } from '../testing/console-fixture.js';
import { LAPTOP, openPage, PHONE, screenshot, signInPage } from './browser.js';

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
    target: 'policy:8',
    after: { reason: 'lighting: step 2 out of order' },
  });
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
      t.regex(
        await page.locator('tr[data-device="fill-017"]').innerText(),
        /timeout after 3 s/,
        'last error shown',
      );

      source.change({
        ...source.views.get('lum-001')!,
        state: { level: 85, power: 51 },
        reason: 'presence: 85 %',
      });
      await page.locator('tr[data-device="lum-001"]', { hasText: '85 %' }).waitFor({ timeout: 3000 });
      t.regex(await page.locator('tr[data-device="lum-001"]').innerText(), /presence: 85 %/);

      for (const view of VIEWS) {
        await page.goto(`${url}/#${view}`);
        await page.locator(`#view[data-view="${view}"]`).waitFor();
        if (view === 'audit') {
          t.regex(await page.locator('.chain').innerText(), /Cadena íntegra: 3 registros/);
          t.regex(await page.locator('table.records').innerText(), /login\.ok/);
        }
        if (view === 'policies') t.regex(await page.locator('.refusal').innerText(), /step 2 out of order/);
        if (view === 'intersections')
          t.is(await page.locator('figure.head').count(), 2, 'both heads of the latched intersection drawn');
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
    await group.locator('p.reason', { hasText: 'override by tom: 90 %' }).waitFor({ timeout: 3000 });
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
