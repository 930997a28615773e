// Compiles the edge's sources to plain JavaScript for the budget benchmark's child, so that it
// measures what runs in the cabinet (`node dist/…`), not the tsx loader: under `--import tsx`
// the loader's own thread and transpiler add about 50 MB of RSS and start-up CPU that a deployed
// node never has. Type-free transpilation (ts.transpileModule) of edge/, wasm/ and proto/, written
// inside node_modules/.cache (edge/, common/, wasm/ and proto/) so that bare imports resolve to the project's node_modules.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ts from 'typescript';

const SOURCE_DIRS = ['edge', 'common', 'wasm', 'proto'];
/** Generated or built files the sources load at run time, copied as they are. */
const ASSET = /\.(wasm|js|json)$/;

/** Writes the compiled tree under `<root>/node_modules/.cache/calle-bench-edge` and returns that folder. */
export function compileForNode(root: string): string {
  const out = join(root, 'node_modules', '.cache', 'calle-bench-edge');
  rmSync(out, { recursive: true, force: true });
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    // ES modules, not NodeNext: transpileModule cannot see package.json, and would emit CommonJS.
    module: ts.ModuleKind.ES2022,
    esModuleInterop: true,
  };
  for (const dir of SOURCE_DIRS) {
    for (const rel of readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })) {
      const file = join(dir, rel);
      if (file.includes('node_modules') || file.includes(`${dir}/console/public`)) continue;
      const src = join(root, file);
      if (file.endsWith('.ts') && !file.endsWith('.d.ts') && !file.endsWith('.test.ts')) {
        const { outputText } = ts.transpileModule(readFileSync(src, 'utf8'), {
          compilerOptions: options,
          fileName: src,
        });
        const dest = join(out, file.replace(/\.ts$/, '.js'));
        mkdirSync(dirname(dest), { recursive: true });
        writeFileSync(dest, outputText);
      } else if (ASSET.test(file)) {
        const dest = join(out, file);
        mkdirSync(dirname(dest), { recursive: true });
        copyFileSync(src, dest);
      }
    }
  }
  // The compiled files are ES modules: say so for the folder, as the project's package.json does.
  writeFileSync(join(out, 'package.json'), '{ "type": "module" }\n');
  return out;
}
