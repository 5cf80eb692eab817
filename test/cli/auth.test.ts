// Writes against a node that requires a token: exit 4 with a message saying what to do, from flag or environment.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { cli, nodeAt, requireBuiltCli, type FixedNode } from './harness.js';

const TOKEN = 'secret-token-1';
let redis: TestRedis;
let node: FixedNode;
let work: string;
let small: string;
let large: string;

beforeAll(async () => {
  requireBuiltCli();
  redis = await startRedis();
  node = await nodeAt(redis.url, { env: { WRITE_TOKEN: TOKEN } });
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'kubecdn-cli-auth-'));
  small = path.join(work, 'small.txt');
  await fs.writeFile(small, 'needs a token');
  // Large enough that the node answers before the body is sent: the refusal must still come through as exit 4.
  large = path.join(work, 'large.bin');
  await fs.writeFile(large, randomBytes(12 * 1024 * 1024));
});

afterAll(async () => {
  await node?.stop();
  await redis?.stop();
  if (work) await fs.rm(work, { recursive: true, force: true });
  if (node) await fs.rm(node.dataDir, { recursive: true, force: true });
});

describe('write token', () => {
  it('without a token, writes exit 4 and say how to pass one', async () => {
    const env = { KUBECDN_URL: node.url };
    for (const args of [
      ['put', 'auth/a.txt', small],
      ['put', 'auth/large.bin', large],
      ['put', 'auth/stdin.txt', '-'],
      ['rm', 'auth/a.txt'],
      ['revert', 'auth/a.txt', '1'],
      ['lock', 'auth/a.txt'],
      ['unlock', 'auth/a.txt', 'some-token'],
    ]) {
      const res = await cli(args, { env, stdin: 'piped' });
      expect(res.code, args.join(' ')).toBe(4);
      expect(res.stderr, args.join(' ')).toMatch(/needs a write token.*KUBECDN_TOKEN/);
    }
  });

  it('a wrong token exits 4, also for a large upload and stdin', async () => {
    const env = { KUBECDN_URL: node.url, KUBECDN_TOKEN: 'wrong-token-99' };
    for (const args of [
      ['put', 'auth/a.txt', small],
      ['put', 'auth/large.bin', large],
      ['put', 'auth/stdin.bin', '-'],
    ]) {
      const res = await cli(args, { env, stdin: randomBytes(4 * 1024 * 1024) });
      expect(res.code, args.join(' ')).toBe(4);
      expect(res.stderr, args.join(' ')).toMatch(/refused the write token/);
    }
    const json = await cli(['put', 'auth/a.txt', small, '--json'], { env });
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'forbidden', exitCode: 4 } });
  });

  it('accepts the token from KUBECDN_TOKEN or --token; reads need none', async () => {
    const fromEnv = await cli(['put', 'auth/a.txt', small], { env: { KUBECDN_URL: node.url, KUBECDN_TOKEN: TOKEN } });
    expect(fromEnv.code).toBe(0);
    const fromFlag = await cli(['--token', TOKEN, 'put', 'auth/large.bin', large], { env: { KUBECDN_URL: node.url } });
    expect(fromFlag.code).toBe(0);
    // The flag wins over the environment.
    const both = await cli(['rm', 'auth/large.bin', '--token', TOKEN], { env: { KUBECDN_URL: node.url, KUBECDN_TOKEN: 'wrong-token-99' } });
    expect(both.code).toBe(0);
    const read = await cli(['get', 'auth/a.txt'], { env: { KUBECDN_URL: node.url } });
    expect(read).toMatchObject({ code: 0, stdout: 'needs a token' });
  });
});
