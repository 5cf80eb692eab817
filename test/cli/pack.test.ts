// The standalone CLI package (npm run pack:cli): packed, installed with `npm install -g --prefix` from the tarball
// (its dependencies come from the registry or npm's cache), then run against a real node. It must carry none of
// the server's dependencies.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageOf } from '../../scripts/pack-cli.js';
import { ROOT } from '../helpers/node.js';
import { startWorld, type CliWorld } from './harness.js';

const run = promisify(execFile);
// npm and the installed `kubecdn` shebang must find this Node (24), not whatever `node` is first on the PATH
const PATH = `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`;

let world: CliWorld;
let prefix: string;
let kubecdn: string;

beforeAll(async () => {
  world = await startWorld();
  const out = path.join(world.work, 'pack');
  const packed = await run(process.execPath, [path.join(ROOT, 'dist/scripts/pack-cli.js'), out], { env: { ...process.env, PATH } });
  const tarball = packed.stdout.trim();
  expect(path.basename(tarball)).toMatch(/^kubecdn-cli-\d+\.\d+\.\d+\.tgz$/);
  prefix = path.join(world.work, 'prefix');
  await run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball], {
    env: { ...process.env, PATH },
    timeout: 240_000,
  });
  kubecdn = path.join(prefix, 'bin', 'kubecdn');
}, 300_000);

afterAll(async () => world?.stop());

describe('the standalone CLI package', () => {
  it('names packages by their specifiers', () => {
    expect(['commander', '@scope/pkg/sub', 'node:fs', './x.js', 'zod/v4'].map(packageOf)).toEqual(['commander', '@scope/pkg', undefined, undefined, 'zod']);
  });

  it('installs on its own without the server dependencies', async () => {
    const installed = path.join(prefix, 'lib', 'node_modules', 'kubecdn-cli');
    const manifest = JSON.parse(await fs.readFile(path.join(installed, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(manifest.dependencies).sort()).toEqual(['cli-progress', 'commander', 'p-limit', 'picomatch', 'zod']);
    for (const pkg of ['express', 'ioredis', 'pino', 'prom-client', '@kubernetes/client-node']) {
      expect(existsSync(path.join(installed, 'node_modules', pkg)), pkg).toBe(false);
      expect(existsSync(path.join(prefix, 'lib', 'node_modules', pkg)), pkg).toBe(false);
    }
    expect(existsSync(path.join(installed, 'dist', 'node'))).toBe(false);
  });

  it('runs: --version, a write and a read against a real node, and says what watch --redis lacks', async () => {
    const rootVersion = (JSON.parse(await fs.readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const env = { PATH, KUBECDN_URL: world.node.url };
    expect((await run(kubecdn, ['--version'], { env })).stdout).toBe(`${rootVersion}\n`);
    const file = path.join(world.work, 'standalone.txt');
    await fs.writeFile(file, 'from the standalone CLI\n');
    await run(kubecdn, ['put', 'standalone/a.txt', file], { env });
    expect((await run(kubecdn, ['get', 'standalone/a.txt'], { env })).stdout).toBe('from the standalone CLI\n');
    const watch = await run(kubecdn, ['watch', '--redis', world.redis.url], { env }).catch((err: { code: number; stderr: string }) => err);
    expect('code' in watch ? watch.code : 0).toBe(1);
    expect('stderr' in watch ? watch.stderr : '').toContain('needs the ioredis package');
  });
});
