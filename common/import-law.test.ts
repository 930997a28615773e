// The import law of eslint.config.js (issue 15), tried on code that breaks it: a rule that never
// fires would pass `npm run check` forever. The rule runs alone here (no type information), so
// this takes well under a second.
import test from 'ava';
import { ESLint, type Linter } from 'eslint';
import { fileURLToPath } from 'node:url';
import tseslint from 'typescript-eslint';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// Imported by URL: the config is plain JavaScript, which tsc does not type.
const CONFIG = new URL('../eslint.config.js', import.meta.url).href;
const { default: config } = (await import(CONFIG)) as { default: Linter.Config[] };
const calle = config.find((c) => c.plugins?.calle)?.plugins?.calle;

async function problems(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({
    cwd: ROOT,
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tseslint.parser },
        plugins: { calle: calle! },
        rules: { 'calle/layers': 'error' },
      },
    ],
  });
  const [result] = await eslint.lintText(code, { filePath: `${ROOT}${file}` });
  return (result?.messages ?? []).map((m) => m.message);
}

test('import law — cloud/ and common/ never import edge/, however the path is spelled', async (t) => {
  t.regex(
    (await problems('cloud/x/a.ts', "import { x } from '../../edge/site/edge-site.js';"))[0] ?? '',
    /cloud\/x\/a\.ts may not import edge\/site\/edge-site\.js: the coordinator and common\/ never depend on the node/,
  );
  t.is((await problems('cloud/a.ts', "export * from '../edge/x.js';")).length, 1);
  t.is((await problems('common/a/b.ts', "const m = await import('../../edge/x.js');")).length, 1);
  t.is((await problems('cloud/a.test.ts', "import type { X } from '../edge/x.js';")).length, 1, 'tests too');
  t.deepEqual(await problems('cloud/a.ts', "import { x } from '../common/signing/x.js';"), []);
  t.deepEqual(
    await problems('cloud/a.ts', "import { x } from './edge-admission.js';"),
    [],
    'a name, not a folder',
  );
  t.deepEqual(await problems('edge/a.ts', "import { x } from '../common/x.js';"), []);
  t.deepEqual(
    await problems(
      'cloud/enrolment/enrolment.test.ts',
      "import { x } from '../../edge/sync/coordinator-link.js';",
    ),
    [],
    'a listed edge-and-coordinator test',
  );
});

test('import law — common/ never imports cloud/', async (t) => {
  t.is((await problems('common/a/b.ts', "import { x } from '../../cloud/errors.js';")).length, 1);
  t.deepEqual(await problems('common/a/b.ts', "import { x } from '../../proto/index.js';"), []);
});

test('import law — only tests and test support import hil-tests/, and the two sumo files until sim/sumo', async (t) => {
  t.is(
    (await problems('edge/devices/x.ts', "import { x } from '../../hil-tests/equipment/io-module.js';"))
      .length,
    1,
  );
  t.is((await problems('cloud/x.ts', "import { x } from '../hil-tests/x.js';")).length, 1);
  for (const file of [
    'edge/devices/x.test.ts',
    'edge/testing/x.ts',
    'edge/test-support/x.ts',
    'hil-tests/a/b.ts',
  ])
    t.deepEqual(
      await problems(file, "import { x } from '../../hil-tests/equipment/io-module.js';"),
      [],
      file,
    );
  t.deepEqual(
    await problems(
      'edge/devices/drivers/traci/traci-driver.ts',
      "import { x } from '../../../../hil-tests/sumo/traci-client.js';",
    ),
    [],
  );
  t.deepEqual(
    await problems('bin/hil-command.ts', "import { x } from '../hil-tests/sumo/traffic-run.js';"),
    [],
  );
});
