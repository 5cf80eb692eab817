// --version, durations with units, where `get` writes on a terminal, and the one progress bar of a tree transfer:
// the pure decisions, then the real CLI against a real node (a pseudo-terminal through util-linux `script`).
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outputFor } from '../../cli/src/commands/get.js';
import { formatDuration } from '../../cli/src/options.js';
import { rootVersionAsked } from '../../cli/src/program.js';
import { ROOT } from '../helpers/node.js';
import { BIN, cli, hasScript, onTerminal, startWorld, type CliWorld } from './harness.js';

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('pure decisions', () => {
  it('--version counts only before the command (get NAME --version N is a file version)', () => {
    expect(rootVersionAsked(['--version'])).toBe(true);
    expect(rootVersionAsked(['-s', 'http://x', '-V'])).toBe(true);
    expect(rootVersionAsked(['--json', '--version'])).toBe(true);
    expect(rootVersionAsked(['get', 'a', '--version', '2'])).toBe(false);
    expect(rootVersionAsked(['--server', '--version', 'ls'])).toBe(false); // the URL, oddly spelled
  });

  it('durations show in help with their unit', () => {
    expect([30_000, 60_000, 90_000, 3_600_000, 1500].map(formatDuration)).toEqual(['30s', '1m', '90s', '1h', '1500ms']);
  });

  it('get writes to stdout when piped, to a file named after the name on a terminal, and where -o says', () => {
    expect(outputFor(undefined, 'site/css/main.css', false)).toBe('-');
    expect(outputFor(undefined, 'site/css/main.css', true)).toBe('main.css');
    expect(outputFor('-', 'site/a', true)).toBe('-');
    expect(outputFor('x.bin', 'site/a', false)).toBe('x.bin');
  });
});

describe('against a node', () => {
  let world: CliWorld;
  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(async () => world?.stop());

  it('--version prints the package version; get NAME --version N still reads a file version', async () => {
    expect(await cli(['--version'])).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
    expect(await cli(['-V'])).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
    expect((await cli(['--help'])).stdout).toMatch(/-V, --version\s+print the CLI's version/);
    expect((await cli(['put', 'v/a.txt', '-'], { env: world.env, stdin: 'one\n' })).code).toBe(0);
    expect((await cli(['put', 'v/a.txt', '-'], { env: world.env, stdin: 'two\n' })).code).toBe(0);
    expect(await cli(['get', 'v/a.txt', '--version', '1'], { env: world.env })).toMatchObject({ code: 0, stdout: 'one\n' });
  });

  it('--ttl takes units, a bare number is seconds, and help shows the default as 30s', async () => {
    const help = (await cli(['lock', '--help'])).stdout;
    expect(help).toContain('(default: 30s)');
    expect(help).not.toContain('30000');
    for (const [ttl, seconds] of [['90', 90], ['2m', 120]] as const) {
      const res = await cli(['lock', `ttl/${ttl}`, '--ttl', ttl, '--json'], { env: world.env });
      expect(res.code, res.stderr).toBe(0);
      const left = (Date.parse((JSON.parse(res.stdout) as { expiresAt: string }).expiresAt) - Date.now()) / 1000;
      // the lease's length, seen from outside: well over what a misread unit (ms) would give, never over the TTL
      expect(left).toBeGreaterThan(seconds - 30);
      expect(left).toBeLessThanOrEqual(seconds + 1);
    }
  });

  it.skipIf(!hasScript)('get NAME on a terminal writes ./BASENAME; -o - puts the bytes on the terminal', async () => {
    const bytes = randomBytes(2000);
    const src = path.join(world.work, 'logo.src');
    await fs.writeFile(src, bytes);
    expect((await cli(['put', 'site/img/logo.png', src], { env: world.env })).code).toBe(0);
    const cwd = await fs.mkdtemp(path.join(world.work, 'cwd-'));
    const res = await onTerminal(`'${process.execPath}' '${BIN}' get site/img/logo.png`, world.env, cwd);
    expect(res.code).toBe(0);
    expect(res.output).toContain('Wrote site/img/logo.png version 1');
    expect(sha256(await fs.readFile(path.join(cwd, 'logo.png')))).toBe(sha256(bytes));

    expect((await cli(['put', 'docs/readme.txt', '-'], { env: world.env, stdin: 'plain text here\n' })).code).toBe(0);
    const shown = await onTerminal(`'${process.execPath}' '${BIN}' get docs/readme.txt -o -`, world.env, cwd);
    expect(shown.code).toBe(0);
    expect(shown.output).toContain('plain text here');
    expect(await fs.readdir(cwd)).toEqual(['logo.png']);
  });

  it.skipIf(!hasScript)('sync on a terminal draws one bar over every file', async () => {
    const dir = path.join(world.work, 'bar');
    for (let i = 0; i < 5; i++) {
      await fs.mkdir(path.join(dir, `d${i}`), { recursive: true });
      await fs.writeFile(path.join(dir, `d${i}`, 'blob.bin'), randomBytes(1024 * 1024 + i));
    }
    const res = await onTerminal(`'${process.execPath}' '${BIN}' sync '${dir}' bar/ --parallel 3`, world.env);
    expect(res.code, res.output).toBe(0);
    expect(res.output).toMatch(/upload .*100% \| 5\/5 files \| 5\.0 MiB of 5\.0 MiB/);
    expect(res.output).toContain('5 uploaded (5.0 MiB), 0 unchanged');
  });
});
