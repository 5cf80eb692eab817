// Runs once before all tests: the real binaries must be there (scripts/test.sh installs and builds them).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { MAIN } from './node.js';

export default function setup(): void {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('redis-server is not installed: run `npm test` (it installs it) or `apt-get install redis-server`');
  }
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test does it)`);
}
