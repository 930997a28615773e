// The calle command as an operator meets it: a bad site file stops `calle edge` at start with a
// message naming the file, the field and the reason, and no stack trace.
import test from 'ava';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../common/testing/temp-dir.js';
import { DEMO_SITE } from './demo.js';

const CALLE = fileURLToPath(new URL('./calle.ts', import.meta.url));

async function runCalle(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import=tsx', CALLE, ...args], { timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}

/** The example site with one change made by `edit`, written to a temp file. */
function brokenSite(t: Parameters<typeof tempDir>[0], edit: (site: Record<string, unknown>) => void): string {
  const site = JSON.parse(readFileSync(DEMO_SITE, 'utf8')) as Record<string, unknown>;
  edit(site);
  const file = join(tempDir(t), 'site.json');
  writeFileSync(file, JSON.stringify(site));
  return file;
}

const devices = (site: Record<string, unknown>) => site.devices as Array<Record<string, unknown>>;

for (const [name, edit, field, reason] of [
  [
    'an unknown device type',
    (s: Record<string, unknown>) => (devices(s)[0]!.type = 'flux-capacitor'),
    'devices[0].type',
    /unknown device type/,
  ],
  [
    'a missing field',
    (s: Record<string, unknown>) => delete devices(s)[1]!.id,
    'devices[1].id',
    /required|missing/,
  ],
  [
    'a wrong type',
    (s: Record<string, unknown>) => ((s.edge as Record<string, unknown>).latitude = 'north'),
    'edge.latitude',
    /number/,
  ],
] as const) {
  test(`calle edge — ${name} stops it at start, naming the file, the field and the reason`, async (t) => {
    const file = brokenSite(t, edit);
    const { code, stderr } = await runCalle([
      'edge',
      '--config',
      file,
      '--store',
      join(tempDir(t), 'edge.db'),
    ]);
    t.is(code, 2);
    const line = stderr.split('\n').find((l) => l.includes(field));
    t.truthy(line, stderr);
    t.true(line!.startsWith(`${file}: ${field}: `), line);
    t.regex(line!, reason);
    t.notRegex(stderr, /\n\s+at /, 'no stack trace');
  });
}

test('calle — an unknown command is a usage error', async (t) => {
  const { code, stderr } = await runCalle(['teleport']);
  t.is(code, 2);
  t.regex(stderr, /unknown command 'teleport'/);
});

test('calle edge --identity — creates the node key once beside the store and prints the same key id after', async (t) => {
  const dir = tempDir(t);
  const args = ['edge', '--config', DEMO_SITE, '--store', join(dir, 'edge.db'), '--identity'];
  const first = await runCalle(args);
  t.is(first.code, 0, first.stderr);
  t.regex(first.stdout, /identity key id [0-9a-f]{32} \(created now\): .*edge-identity\.key/);
  const second = await runCalle(args);
  t.is(second.stdout.replace(' (created now)', ''), first.stdout.replace(' (created now)', ''));
});

test('calle cloud — a bad --outage-budget or --fleet-cabinets is a usage error naming the flag and reason', async (t) => {
  const db = join(tempDir(t), 'cloud.db');
  const hours = await runCalle(['cloud', '--db', db, '--outage-budget', '3 days']);
  t.is(hours.code, 2);
  t.regex(
    hours.stderr,
    /--outage-budget\/--fleet-cabinets: .*"3 days" is not a duration like 90m, 72h or 3d/,
  );
  const cabinets = await runCalle(['cloud', '--db', db, '--fleet-cabinets', 'many']);
  t.is(cabinets.code, 2);
  t.regex(cabinets.stderr, /--fleet-cabinets 'many': expected a whole number of cabinets/);
});
