// The README's run command: the demo starts Redis and a node, publishes a file and reads it back.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/node.js';

describe('quick start', () => {
  it('npm run demo serves a file', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(ROOT, 'dist/scripts/demo.js'), '--check'], {
      env: { ...process.env, PORT: '0' },
      timeout: 60_000,
    });
    expect(stdout).toMatch(/Published hello\/world\.txt on http:\S+ as version 1/);
    expect(stdout).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/files\/hello\/world\.txt -> 200/);
    expect(stdout).toContain('a three-node cluster');
    expect(stdout).toContain('Hello from kubecdn!');
  });
});
