// The calle version this node runs, read once from package.json (reported at registration).
import { readFileSync } from 'node:fs';

function findVersion(): string {
  // Works from source (edge/version.ts) and from the build (dist/edge/version.js).
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'calle' && pkg.version) return pkg.version;
    } catch {
      // not this one; try the next
    }
  }
  return '0.0.0-unknown';
}

export const SOFTWARE_VERSION = findVersion();
