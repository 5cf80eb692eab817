// A three-node kubecdn cluster on loopback, as users run it: the built program (dist/node/src/main.js), one process
// per node, default settings except what a cluster needs, logs at the default level into files in the run dir.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { homes } from '../node/src/cluster/placement.js';
import { everyNodeSees } from '../test/helpers/cluster.js';
import { spawnNode, type ChildNode } from '../test/helpers/nodeProcess.js';
import { logsIn } from './proc.js';
import { startRedisServer, type RedisServer } from './servers.js';

/** A node process (its pid, log file, stop) with its id. */
export interface BenchNode extends ChildNode {
  readonly id: string;
}

export interface BenchCluster {
  readonly name: string;
  readonly nodes: readonly BenchNode[];
  readonly token: string;
  readonly replication: number;
  readonly redis: RedisServer;
  node(id: string): BenchNode;
  /** the R home nodes of a blob, by the node's own placement function */
  homesOf(sha256: string): BenchNode[];
  /** a node that is not a home: a read there is a cold miss fetched from a peer */
  nonHomeOf(sha256: string): BenchNode;
  /** kill -9 one node, then start it again on the same port and data dir (extra env on top); resolves when it answers */
  restart(id: string, env?: Readonly<Record<string, string>>): Promise<BenchNode>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  readonly size?: number;
  readonly replication?: number;
  /** extra environment for every node (LOCK_MODE...) */
  readonly env?: Readonly<Record<string, string>>;
  /** runs once Redis is up, before any node starts (the scale section seeds Redis there) */
  readonly beforeNodes?: (redis: RedisServer) => Promise<void>;
}

/** Starts a fresh redis-server and `size` nodes on it; resolves once every node sees every member. */
export async function startCluster(runDir: string, name: string, opts: ClusterOptions = {}): Promise<BenchCluster> {
  const size = opts.size ?? 3;
  const replication = opts.replication ?? 2;
  const dir = path.join(runDir, name);
  const redis = await startRedisServer(runDir, `${name}-redis`);
  const token = randomBytes(12).toString('hex');
  const env = {
    LOG_LEVEL: 'info', // the node's default, as users run it
    MALLOC_ARENA_MAX: '2', // as the image runs it (Dockerfile ENV)
    WRITE_TOKEN: token,
    CLUSTER_SECRET: randomBytes(12).toString('hex'),
    REPLICATION_FACTOR: String(replication),
    ...opts.env,
  };
  const nodes: BenchNode[] = [];
  try {
    await opts.beforeNodes?.(redis);
    const ids = Array.from({ length: size }, (_, i) => `node-${String.fromCharCode(97 + i)}`);
    nodes.push(...(await Promise.all(ids.map((id) => startNode(redis.redisUrl, dir, id, env)))));
    await everyNodeSees(nodes.map((n) => n.url), size, 20_000);
  } catch (err) {
    await Promise.all([...nodes.map((n) => n.stop()), redis.child.stop()]);
    throw err;
  }
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const ids = nodes.map((n) => n.id);
  const homesOf = (sha: string): BenchNode[] => homes(sha, ids, replication).map((id) => byId.get(id) as BenchNode);
  return {
    name,
    nodes,
    token,
    replication,
    redis,
    node: (id) => byId.get(id) as BenchNode,
    homesOf,
    nonHomeOf(sha) {
      const h = new Set(homesOf(sha).map((n) => n.id));
      const other = nodes.find((n) => !h.has(n.id));
      if (!other) throw new Error(`every node is a home of ${sha} (R >= cluster size)`);
      return other;
    },
    async restart(id, extra = {}) {
      const i = nodes.findIndex((n) => n.id === id);
      const old = nodes[i] as BenchNode;
      await old.stop('SIGKILL');
      const port = new URL(old.url).port;
      const fresh = await startNode(redis.redisUrl, dir, id, { ...env, ...extra, PORT: port });
      nodes[i] = fresh;
      byId.set(id, fresh);
      return fresh;
    },
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
      await redis.child.stop();
    },
  };
}

/** One node, its data and log in the cluster's dir. */
async function startNode(redisUrl: string, dir: string, id: string, env: Record<string, string>): Promise<BenchNode> {
  const dataDir = path.join(dir, id);
  await fs.mkdir(dataDir, { recursive: true });
  return { ...(await spawnNode(redisUrl, { ...env, NODE_ID: id, DATA_DIR: dataDir }, logsIn(dir))), id };
}
