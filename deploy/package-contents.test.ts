// What `npm pack` ships is what a cabinet installs (deploy/install-edge.sh): the runtime assets
// that the TypeScript compiler does not emit must be in it, or the node fails at its first start.
import test from 'ava';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

test('package — npm pack carries the CLI, the generated codecs, the WASM core, the console assets and the units', async (t) => {
  const json = await new Promise<string>((resolve, reject) =>
    execFile(
      'npm',
      ['pack', '--dry-run', '--ignore-scripts', '--json'],
      { cwd: ROOT, timeout: 60_000 },
      (err, stdout) => (err ? reject(new Error(`npm pack failed: ${err.message}`)) : resolve(stdout)),
    ),
  );
  const files = new Set(
    (JSON.parse(json) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path),
  );
  for (const path of [
    'dist/bin/calle.js',
    'dist/proto/gen/calle.js',
    'dist/wasm/build/core.wasm',
    'dist/edge/console/public/index.html',
    'dist/edge/console/public/app.js',
    'dist/edge/examples/madrid-street.json',
    'deploy/systemd/calle-edge.service',
    'package.json',
  ])
    t.true(files.has(path), `${path} is in the package`);
  t.false([...files].some((f) => f.startsWith('node_modules/')));
});
