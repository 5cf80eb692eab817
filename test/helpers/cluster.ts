// Three (or n) real node processes on one Redis, as a cluster.
import fs from 'node:fs/promises';
import path from 'node:path';
import { spawnNode, tempDir, type ChildNode } from './nodeProcess.js';
import { waitFor } from './redis.js';

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
    nodes.push({ id, port: 0, dataDir: await tempDir(), node: undefined, get url() { return `http://127.0.0.1:${this.port}`; } });
  }
  await Promise.all(nodes.map((c) => startMember(redisUrl, c, env)));
  await waitForMembers(nodes, n);
  return nodes;
}

/** Starts a member: the first time on a free port, again (a restart) on the same port and data. */
export async function startMember(redisUrl: string, c: ClusterNode, env: Record<string, string> = {}): Promise<void> {
  const port: Record<string, string> = c.port === 0 ? {} : { PORT: String(c.port) };
  c.node = await spawnNode(redisUrl, { ...FAST, ...env, NODE_ID: c.id, ...port, DATA_DIR: c.dataDir });
  c.port = Number(new URL(c.node.url).port);
}

/** Until every running member lists `count` members. */
export async function waitForMembers(nodes: ClusterNode[], count: number): Promise<void> {
  await everyNodeSees(nodes.filter((x) => x.node).map((x) => x.url), count);
}

/** Until every one of these nodes lists `count` members (the benchmark's clusters too). */
export async function everyNodeSees(urls: readonly string[], count: number, timeoutMs = 15_000): Promise<void> {
  await waitFor(
    async () => {
      for (const url of urls) {
        const info = (await (await fetch(`${url}/cluster`)).json()) as { members?: unknown[] };
        if (info.members?.length !== count) return false;
      }
      return true;
    },
    timeoutMs,
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

export { metric } from './metrics.js';
