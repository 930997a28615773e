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

test('import law — only tests and test support import hil-tests/; sim/ is product and may not', async (t) => {
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
  t.is(
    (await problems('sim/sumo/traci-driver.ts', "import { x } from '../../hil-tests/sumo/scenario-data.js';"))
      .length,
    1,
    'sim/ is part of the product',
  );
  t.deepEqual(await problems('bin/hil-command.ts', "import { x } from '../sim/sumo/traffic-run.js';"), []);
});

test('import law — the node, the coordinator and common/ never import sim/', async (t) => {
  t.regex(
    (await problems('edge/control/x.ts', "import { x } from '../../sim/sumo/sumo-net-model.js';"))[0] ?? '',
    /sim\/ sits on top of the node/,
  );
  t.is((await problems('cloud/x.ts', "import { x } from '../sim/sumo/x.js';")).length, 1);
  t.is((await problems('common/x/y.ts', "import { x } from '../../sim/sumo/x.js';")).length, 1);
  t.deepEqual(
    await problems('edge/control/x.test.ts', "import { x } from '../../sim/sumo/sumo-net-model.js';"),
    [],
    'tests may',
  );
  t.deepEqual(await problems('sim/sumo/x.ts', "import { x } from '../../edge/control/x.js';"), []);
});
