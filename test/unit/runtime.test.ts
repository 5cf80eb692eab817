// One Node.js everywhere: the pin in .node-version is what the image ships (Dockerfile), what package.json accepts,
// the types the code is checked against, and what this very test runs on (scripts/lib.sh puts it first on PATH).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/nodeProcess.js';

const read = (f: string): string => fs.readFileSync(path.join(ROOT, f), 'utf8');
const pin = read('.node-version').trim();
const major = pin.split('.')[0];
const pkg = JSON.parse(read('package.json')) as { engines: { node: string }; devDependencies: Record<string, string> };

describe('the Node.js runtime', () => {
  it('is pinned to an exact LTS version (even major)', () => {
    expect(pin).toMatch(/^\d+\.\d+\.\d+$/);
    expect(Number(major) % 2).toBe(0);
  });

  it('the image ships the pinned version', () => {
    expect(read('Dockerfile')).toMatch(new RegExp(`^ARG NODE_IMAGE=node:${pin.replaceAll('.', '\\.')}-`, 'm'));
  });

  it('package.json accepts that major only, and types the code for it', () => {
    expect(pkg.engines.node).toMatch(new RegExp(`^\\^${major}\\.`));
    expect(pkg.devDependencies['@types/node']).toMatch(new RegExp(`^\\^${major}\\.`));
  });

  it('the tests run on it (npm test goes through scripts/lib.sh need_node; a bare npx vitest on another Node fails here)', () => {
    expect(process.versions.node).toBe(pin);
  });
});
