// The CLI's version for --version: the "version" of the package.json it ships in. Found by walking up from this
// file, because the compiled file sits at dist/cli/src/ in a clone and in the standalone package alike, but at
// cli/src/ when tests import the source.
import { readFileSync } from 'node:fs';

const NAMES = new Set(['kubecdn', 'kubecdn-cli']);

export function cliVersion(): string {
  for (let url = new URL('./package.json', import.meta.url), i = 0; i < 6; i++, url = new URL('../package.json', url)) {
    let pkg: { name?: unknown; version?: unknown };
    try {
      pkg = JSON.parse(readFileSync(url, 'utf8')) as typeof pkg;
    } catch {
      continue;
    }
    if (typeof pkg.name === 'string' && NAMES.has(pkg.name) && typeof pkg.version === 'string') return pkg.version;
  }
  return 'unknown';
}
