// Turns a TypeScript test script into something `node` starts quickly. Tests that start a child
// hundreds of times (the power-cut test) cannot afford tsx's start-up: measured here, a child that
// opens the edge database reaches its first write ~400 ms after spawn under `node --import=tsx`,
// ~130 ms as one plain JS file bundled by esbuild (the bundle itself takes ~150 ms, once).
//
// esbuild is not a dependency of calle: it is tsx's, so it is installed wherever tsx is. If it
// cannot be loaded, the script runs through tsx instead: slower, same behaviour.
import { createRequire } from 'node:module';
import { join } from 'node:path';

export interface NodeScript {
  /** Arguments for `process.execPath` before the script's own arguments. */
  readonly nodeArgs: readonly string[];
  /** How it runs, for the test log. */
  readonly how: 'esbuild bundle' | 'tsx';
}

const require = createRequire(import.meta.url);

/** Bundles `entry` (a .ts file) into `outDir`; native addons stay outside the bundle. */
export async function plainNodeScript(entry: string, outDir: string): Promise<NodeScript> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    return { nodeArgs: ['--import=tsx', entry], how: 'tsx' };
  }
  const outfile = join(outDir, 'script.mjs');
  await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
    // protobufjs and friends call require() for optional modules; an ES module has none.
    banner: {
      js: "import { createRequire as __calleCreateRequire } from 'node:module'; const require = __calleCreateRequire(import.meta.url);",
    },
    plugins: [
      {
        // better-sqlite3 loads a native .node file relative to itself: import it from where it is
        // installed, by absolute path, since the bundle lives in a temp folder without node_modules.
        name: 'native-addons-in-place',
        setup(build) {
          build.onResolve({ filter: /^better-sqlite3$/ }, (args) => ({
            path: require.resolve(args.path),
            external: true,
          }));
        },
      },
    ],
  });
  return { nodeArgs: [outfile], how: 'esbuild bundle' };
}
