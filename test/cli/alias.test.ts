// kubecdn alias: profiles in the config file under XDG_CONFIG_HOME (a temp dir here), chosen with --alias or
// KUBECDN_ALIAS, against a real node that requires a write token.
import { statSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFile, loadCliConfig } from '../../cli/src/config.js';
import { freePort } from '../helpers/redis.js';
import { cli, startWorld, type CliWorld } from './harness.js';

const TOKEN = 'alias-test-token-123';

describe('config precedence (pure)', () => {
  it('flags, then the alias, then the environment, then defaults; the file under XDG_CONFIG_HOME', () => {
    const env = { KUBECDN_URL: 'http://env:1', KUBECDN_TOKEN: 'envtok' };
    const profile = { url: 'http://alias:2', token: 'aliastok' };
    expect(loadCliConfig({}, env, profile)).toMatchObject({ server: 'http://alias:2', token: 'aliastok' });
    expect(loadCliConfig({ server: 'http://flag:3', token: 'flagtok' }, env, profile)).toMatchObject({ server: 'http://flag:3', token: 'flagtok' });
    expect(loadCliConfig({}, env, { url: 'http://alias:2' })).toMatchObject({ server: 'http://alias:2', token: 'envtok' });
    expect(configFile({ XDG_CONFIG_HOME: '/x' }, '/home/u')).toBe('/x/kubecdn/config.json');
    expect(configFile({}, '/home/u')).toBe('/home/u/.config/kubecdn/config.json');
    expect(configFile({ KUBECDN_CONFIG: '/c.json', XDG_CONFIG_HOME: '/x' }, '/home/u')).toBe('/c.json');
  });
});

describe('kubecdn alias against a node with a write token', () => {
  let world: CliWorld;
  let env: Record<string, string>;
  let file: string;

  beforeAll(async () => {
    world = await startWorld({ WRITE_TOKEN: TOKEN });
    env = { XDG_CONFIG_HOME: path.join(world.work, 'xdg') };
    file = path.join(world.work, 'xdg', 'kubecdn', 'config.json');
  });
  afterAll(async () => world?.stop());

  it('set stores URL and token (mode 0600), ls never shows the token, --alias and KUBECDN_ALIAS use it, rm removes it', async () => {
    expect((await cli(['alias', 'set', 'prod', world.node.url, TOKEN], { env })).code).toBe(0);
    expect((await cli(['alias', 'set', 'ro', world.node.url], { env })).code).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);

    const ls = await cli(['alias', 'ls'], { env });
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/^prod\s+set\s+http:\/\/127\.0\.0\.1:\d+$/m);
    expect(ls.stdout).toMatch(/^ro\s+-\s+http/m);
    expect(ls.stdout).not.toContain(TOKEN);

    // without a token the write is refused; the alias brings server and token
    expect((await cli(['put', 'a/x.txt', '-', '--alias', 'ro'], { env, stdin: 'x\n' })).code).toBe(4);
    expect((await cli(['put', 'a/x.txt', '-', '-a', 'prod'], { env, stdin: 'x\n' })).code).toBe(0);
    const viaEnv = await cli(['put', 'a/y.txt', '-', '--json'], { env: { ...env, KUBECDN_ALIAS: 'prod' }, stdin: 'y\n' });
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    expect(JSON.parse(viaEnv.stdout)).toMatchObject({ name: 'a/y.txt', version: 1 });
    // --server wins over the alias's URL
    const dead = `http://127.0.0.1:${await freePort()}`;
    expect((await cli(['ls', '-a', 'prod', '--server', dead], { env })).code).toBe(5);

    const unknown = await cli(['ls', '-a', 'nope'], { env });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No alias "nope"');
    expect((await cli(['alias', 'set', 'bad name', world.node.url], { env })).code).toBe(1);
    expect((await cli(['alias', 'set', 'x', 'ftp://host'], { env })).code).toBe(1);

    expect((await cli(['alias', 'rm', 'prod'], { env })).code).toBe(0);
    expect((await cli(['alias', 'rm', 'prod'], { env })).code).toBe(2);
    expect(JSON.parse(await fs.readFile(file, 'utf8'))).toEqual({ aliases: { ro: { url: world.node.url } } });
  });

  it('sync without the token fails once, before any upload, and writes nothing', async () => {
    const dir = path.join(world.work, 'tree');
    for (let i = 0; i < 20; i++) {
      await fs.mkdir(path.join(dir, `d${i % 3}`), { recursive: true });
      await fs.writeFile(path.join(dir, `d${i % 3}`, `f${i}.txt`), `f${i}\n`);
    }
    const res = await cli(['sync', dir, 'denied/'], { env: { KUBECDN_URL: world.node.url } });
    expect(res.code).toBe(4);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect((await cli(['ls', 'denied/', '--json'], { env: { KUBECDN_URL: world.node.url } })).stdout).toBe('{"files":[]}\n');
    expect((await cli(['sync', dir, 'denied/', '--json', '--token', TOKEN], { env: { KUBECDN_URL: world.node.url } })).code).toBe(0);
  });

  it('a token can come from stdin, so it never appears in ps', async () => {
    expect((await cli(['alias', 'set', 'piped', world.node.url, '-'], { env, stdin: `${TOKEN}\n` })).code).toBe(0);
    expect((await cli(['put', 'a/z.txt', '-', '-a', 'piped'], { env, stdin: 'z\n' })).code).toBe(0);
  });
});
