// Lint rules: typescript-eslint's type-aware set, chosen for promise safety above all.
// A floating promise in a control loop is a silent failure in the street.
import js from '@eslint/js';
import { dirname, relative, resolve } from 'node:path';
import tseslint from 'typescript-eslint';

const ROOT = import.meta.dirname;

// The import law (issue 15, "one house"): what two parts share lives below both, in common/.
// Paths are resolved, not matched as text, so `../edge/` from cloud/ and `../../edge/` from
// cloud/x/ are the same thing. Each law names its exceptions file by file, with the reason: an
// exception is a decision, not a pattern that lets the next one in quietly.
const under = (dir) => (path) => path === dir || path.startsWith(`${dir}/`);
/** Test files and test support may use the simulators of hil-tests/. */
const isTestSupport = (path) => path.endsWith('.test.ts') || /(^|\/)(testing|test-support)\//.test(path);
const LAWS = [
  {
    // sim/ (SUMO through TraCI) runs the node's controller against a simulator; the node, the
    // coordinator and common/ never need it. Only `calle hil` (bin/) and the tests reach it.
    from: (path) =>
      (under('edge')(path) || under('cloud')(path) || under('common')(path)) && !isTestSupport(path),
    to: under('sim'),
    why: 'sim/ sits on top of the node: it drives the edge controller in a simulator, never the reverse',
  },
  {
    from: (path) => under('cloud')(path) || under('common')(path),
    to: under('edge'),
    why: 'the coordinator and common/ never depend on the node; move what both use to common/',
    except: [
      // Tests that run the edge's own code against the coordinator's: a contract is proven with
      // both sides. Listed by name so that a new one is a decision (a system-tests/ folder is the
      // next step once issue 16 has split cloud/store).
      'cloud/commands/command-audit.test.ts',
      'cloud/commands/edge-commands.test.ts',
      'cloud/enrolment/enrolment.test.ts',
      'cloud/grpc/grpc-tls.test.ts',
      'cloud/keys/signing-key.test.ts',
      'cloud/policies/policy-document.test.ts',
      'cloud/replication/replicated-enrolment.test.ts',
    ],
  },
  {
    from: under('common'),
    to: under('cloud'),
    why: 'common/ sits below the coordinator and imports only proto/ and itself',
  },
  {
    from: (path) => !under('hil-tests')(path) && !isTestSupport(path),
    to: under('hil-tests'),
    why: 'the product never imports the test harness (tests, testing/ and test-support/ may)',
    except: [
      // Benches measure the product against the equipment simulators and the recorded data sets;
      // they run from source (npm run bench:*) and are not part of what calle runs.
      'edge/bench/waste-bench.ts',
      'edge/bench/waste-datasets.ts',
      'wasm/bench/waste-predictor-eval.ts',
    ],
  },
];

const layers = {
  meta: {
    type: 'problem',
    docs: { description: 'the import law between edge/, cloud/, common/ and hil-tests/ (issue 15)' },
    schema: [],
    messages: { forbidden: '{{file}} may not import {{target}}: {{why}}' },
  },
  create(context) {
    const file = relative(ROOT, context.filename);
    const laws = LAWS.filter((law) => law.from(file) && !(law.except ?? []).includes(file));
    if (laws.length === 0) return {};
    const check = (node) => {
      const spec = node.source?.type === 'Literal' ? node.source.value : undefined;
      if (typeof spec !== 'string' || !spec.startsWith('.')) return;
      const target = relative(ROOT, resolve(dirname(context.filename), spec));
      for (const law of laws)
        if (law.to(target))
          context.report({ node, messageId: 'forbidden', data: { file, target, why: law.why } });
    };
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
    };
  },
};

export default tseslint.config(
  {
    ignores: ['node_modules/', 'dist/', 'proto/gen/', 'wasm/build/', 'wasm/assembly/', '**/*.js', '**/*.mjs'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { calle: { rules: { layers } } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/promise-function-async': 'error',
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'calle/layers': 'error',
      'no-console': 'off',
    },
  },
);
