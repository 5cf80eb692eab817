// Three (or n) real node processes on one Redis, as a cluster.
import fs from 'node:fs/promises';
import path from 'node:path';
import { spawnNode, tempDir, type ChildNode } from './node.js';
import { freePort, waitFor } from './redis.js';

export const SECRET = 'test-cluster-secret';

export interface ClusterNode {
  id: string;
  port: number;
  dataDir: string;
  node: ChildNode | undefined;
  readonly url: string;
}

export const FAST = {
  CLUSTER_SECRET: SECRET,
  HEARTBEAT_MS: '200',
  MEMBER_TTL_MS: '1000',
  HEAD_LEASE_MS: '600',
  INVALIDATION_DEADLINE_MS: '300',
  REPAIR_INTERVAL_MS: '1000',
  PEER_TIMEOUT_MS: '2000',
  HANDOFF_DEADLINE_MS: '20000',
  SHUTDOWN_GRACE_MS: '2000',
};

export async function startCluster(redisUrl: string, n: number, env: Record<string, string> = {}): Promise<ClusterNode[]> {
  const nodes: ClusterNode[] = [];
  for (let i = 0; i < n; i++) {
    const id = `node-${String.fromCharCode(97 + i)}`;
    nodes.push({ id, port: await freePort(), dataDir: await tempDir(), node: undefined, get url() { return `http://127.0.0.1:${this.port}`; } });
  }
  await Promise.all(nodes.map((c) => startMember(redisUrl, c, env, true)));
  await waitForMembers(nodes, n);
  return nodes;
}

/** Starts (or restarts, on the same port and data) a member; a first start may move to a new port if its was taken. */
export async function startMember(redisUrl: string, c: ClusterNode, env: Record<string, string> = {}, first = false): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      c.node = await spawnNode(redisUrl, { ...FAST, ...env, NODE_ID: c.id, PORT: String(c.port), DATA_DIR: c.dataDir });
      return;
    } catch (err) {
      if (!first || attempt >= 3) throw err;
      c.port = await freePort();
    }
  }
}

export async function waitForMembers(nodes: ClusterNode[], count: number): Promise<void> {
  await waitFor(
    async () => {
      for (const c of nodes.filter((x) => x.node)) {
        const info = (await (await fetch(`${c.url}/cluster`)).json()) as { members: unknown[] };
        if (info.members.length !== count) return false;
      }
      return true;
    },
    15_000,
    `${count} members`,
  );
}

export async function stopCluster(nodes: ClusterNode[]): Promise<void> {
  await Promise.all(nodes.map((c) => c.node?.stop('SIGKILL') ?? Promise.resolve()));
  await Promise.all(nodes.map((c) => fs.rm(c.dataDir, { recursive: true, force: true })));
}

export async function hasBlob(c: ClusterNode, sha: string): Promise<boolean> {
  return fs
    .access(path.join(c.dataDir, 'blobs', sha.slice(0, 2), sha.slice(2, 4), sha))
    .then(() => true)
    .catch(() => false);
}

export async function copies(nodes: ClusterNode[], sha: string): Promise<string[]> {
  const out: string[] = [];
  for (const c of nodes) if (await hasBlob(c, sha)) out.push(c.id);
  return out;
}

export async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return line ? Number(line.split(' ').at(-1)) : 0;
}
