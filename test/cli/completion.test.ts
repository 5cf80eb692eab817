// kubecdn completion bash|zsh: the generated script loaded into a real bash, completions asked the way bash asks
// them (COMP_WORDS / COMP_CWORD, then the function fills COMPREPLY).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, requireBuiltCli } from './harness.js';

let dir: string;
let script: string;

beforeAll(async () => {
  requireBuiltCli();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kubecdn-completion-'));
  const res = await cli(['completion', 'bash']);
  expect(res.code, res.stderr).toBe(0);
  script = path.join(dir, 'kubecdn.bash');
  await fs.writeFile(script, res.stdout);
  await fs.writeFile(path.join(dir, 'local-file.txt'), 'x');
});

afterAll(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

/** What bash would offer for the words typed so far (the last one is being completed). */
function complete(...words: string[]): string[] {
  const quoted = words.map((w) => `'${w.replace(/'/g, "'\\''")}'`).join(' ');
  const res = spawnSync('bash', ['--norc', '--noprofile', '-c', `source '${script}'; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _kubecdn; printf '%s\\n' "\${COMPREPLY[@]}"`], {
    cwd: dir,
    encoding: 'utf8',
  });
  expect(res.status, res.stderr).toBe(0);
  return res.stdout.split('\n').filter((l) => l !== '');
}

describe('bash completion', () => {
  it('completes commands, subcommands and the arguments with fixed choices', () => {
    expect(complete('kubecdn', 'sy')).toEqual(['sync']);
    expect(complete('kubecdn', '')).toEqual(expect.arrayContaining(['get', 'put', 'sync', 'alias', 'completion', 'lock']));
    expect(complete('kubecdn', 'alias', '')).toEqual(['set', 'ls', 'rm']);
    expect(complete('kubecdn', '-s', 'http://x:1', '--json', 'alias', 'r')).toEqual(['rm']); // global flags and their values skipped
    expect(complete('kubecdn', 'completion', '')).toEqual(['bash', 'zsh']);
  });

  it("completes a command's flags (its own and the global ones), and the values of a flag with choices", () => {
    expect(complete('kubecdn', 'sync', '--del')).toEqual(['--delete']);
    expect(complete('kubecdn', 'sync', '--on-duplicate', '')).toEqual(['link', 'skip']);
    expect(complete('kubecdn', 'get', '--ver')).toEqual(['--version']);
    expect(complete('kubecdn', 'get', '--')).toEqual(expect.arrayContaining(['--output', '--recursive', '--json', '--server', '--alias']));
    expect(complete('kubecdn', 'get', '--')).not.toContain('--delete');
    expect(complete('kubecdn', '--ver')).toEqual(['--version']);
  });

  it('falls back to file names for arguments and flag values', () => {
    expect(complete('kubecdn', 'put', 'a/b.txt', 'loc')).toEqual(['local-file.txt']);
    expect(complete('kubecdn', 'get', 'a', '-o', 'loc')).toEqual(['local-file.txt']);
  });
});

describe('zsh completion', () => {
  const hasZsh = spawnSync('zsh', ['--version'], { stdio: 'ignore' }).status === 0;

  it('is the bash function run through bashcompinit', async () => {
    const res = await cli(['completion', 'zsh']);
    expect(res.code).toBe(0);
    expect(res.stdout.split('\n')[0]).toBe('#compdef kubecdn');
    expect(res.stdout).toContain('bashcompinit');
    expect(res.stdout).toContain(await fs.readFile(script, 'utf8'));
  });

  it.skipIf(!hasZsh)('loads in zsh', async () => {
    const zsh = path.join(dir, 'kubecdn.zsh');
    await fs.writeFile(zsh, (await cli(['completion', 'zsh'])).stdout);
    const res = spawnSync('zsh', ['-f', '-c', `source '${zsh}' && whence -w _kubecdn`], { encoding: 'utf8' });
    expect(res.stdout).toContain('_kubecdn: function');
  });

  it('refuses other shells', async () => {
    expect((await cli(['completion', 'fish'])).code).toBe(1);
  });
});
