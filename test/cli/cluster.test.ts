// `kubecdn cluster` and transfers across a real three-node cluster (test/helpers/cluster.ts).
import { randomBytes, createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, stopCluster, type ClusterNode } from '../helpers/cluster.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { cli, requireBuiltCli } from './harness.js';

interface Report {
  askedNode: string;
  standalone: boolean;
  replicationFactor: number;
  members: Array<{ id: string; url: string; reachable: boolean; cache?: { bytes: number; maxBytes: number; entries: number }; underReplicated?: number }>;
}

let redis: TestRedis;
let nodes: ClusterNode[];
let work: string;

beforeAll(async () => {
  requireBuiltCli();
  redis = await startRedis();
  nodes = await startCluster(redis.url, 3);
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'kubecdn-cli-cluster-'));
});

afterAll(async () => {
  if (nodes) await stopCluster(nodes);
  await redis?.stop();
  if (work) await fs.rm(work, { recursive: true, force: true });
});

const at = (i: number): Record<string, string> => ({ KUBECDN_URL: nodes[i]?.url ?? '' });

describe('kubecdn cluster', () => {
  it('lists every member with its own cache stats and under-replicated count', async () => {
    const res = await cli(['cluster', '--json'], { env: at(1) });
    expect(res.code).toBe(0);
    const report = JSON.parse(res.stdout) as Report;
    expect(report.askedNode).toBe('node-b');
    expect(report.standalone).toBe(false);
    expect(report.members.map((m) => m.id).sort()).toEqual(['node-a', 'node-b', 'node-c']);
    for (const m of report.members) {
      expect(m.reachable, m.id).toBe(true);
      expect([m.cache?.bytes, m.cache?.maxBytes, m.cache?.entries].map((v) => typeof v), m.id).toEqual(['number', 'number', 'number']);
      expect(typeof m.underReplicated, m.id).toBe('number');
    }
    const human = await cli(['cluster'], { env: at(0) });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^Cluster seen from node-a at .*: 3 members, replication factor \d+$/m);
    expect(human.stdout).toMatch(/^node-a\*\s/m);
    expect(human.stdout).toMatch(/^node-b\s/m);
    expect(human.stdout).toMatch(/^node-c\s/m);
  });

  it('a file put through one node comes back intact through another', async () => {
    const content = randomBytes(3 * 1024 * 1024);
    const file = path.join(work, 'spread.bin');
    await fs.writeFile(file, content);
    expect((await cli(['put', 'cluster/spread.bin', file], { env: at(0) })).code).toBe(0);
    const out = path.join(work, 'spread.out');
    const get = await cli(['get', 'cluster/spread.bin', '-o', out], { env: at(2) });
    expect(get.code).toBe(0);
    const digest = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
    expect(digest(await fs.readFile(out))).toBe(digest(content));
  });
});
