// Headless Chromium for the console's and the dashboard's end-to-end tests: Debian's /usr/bin/chromium driven by
// playwright-core (no browser download), a fresh profile per test, closed in t.teardown.
// Screenshots go to CALLE_SCREENSHOTS when set (CI keeps them as artifacts), else to a temp dir
// that is left in place and named in the test log.
import type { ExecutionContext } from 'ava';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const PHONE = { width: 390, height: 844 } as const;
export const LAPTOP = { width: 1280, height: 900 } as const;

const CHROMIUM = process.env.CALLE_CHROMIUM ?? '/usr/bin/chromium';

let screenshotDir: string | undefined;
export function screenshotsDir(): string {
  if (!screenshotDir) {
    screenshotDir = process.env.CALLE_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), 'calle-screenshots-'));
    mkdirSync(screenshotDir, { recursive: true });
  }
  return screenshotDir;
}

export async function openPage(
  t: ExecutionContext,
  viewport: { width: number; height: number },
  locale = 'es-ES',
): Promise<{ page: Page; context: BrowserContext }> {
  const profile = mkdtempSync(join(tmpdir(), 'calle-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    viewport,
    locale,
    // Touch and a phone's pixel ratio on the small viewport, as a technician's phone would have.
    ...(viewport.width < 600 ? { hasTouch: true, isMobile: true, deviceScaleFactor: 2 } : {}),
  });
  t.teardown(async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  });
  const page = context.pages()[0] ?? (await context.newPage());
  // A page error (a CSP violation, a script bug) fails the test instead of passing silently.
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/401|403|Failed to load resource/.test(msg.text()))
      errors.push(msg.text());
  });
  t.teardown(() => {
    if (errors.length > 0) t.fail(`browser errors: ${errors.join(' | ')}`);
  });
  return { page, context };
}

export async function screenshot(t: ExecutionContext, page: Page, name: string): Promise<void> {
  const file = join(screenshotsDir(), `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  t.log(`screenshot: ${file}`);
}

export async function signInPage(page: Page, baseUrl: string, name: string, password: string): Promise<void> {
  await page.goto(baseUrl);
  await page.locator('#login-form input[name=name]').fill(name);
  await page.locator('#login-form input[name=password]').fill(password);
  await page.locator('#login-form button[type=submit]').click();
  await page.locator('#app').waitFor({ state: 'visible' });
}
