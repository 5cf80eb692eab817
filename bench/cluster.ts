// A three-node kubecdn cluster on loopback, as users run it: the built program (dist/node/src/main.js), one process
// per node, default settings except what a cluster needs, logs at the default level into files in the run dir.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { homes } from '../node/src/cluster/placement.js';
import { freePort, waitFor } from '../test/helpers/redis.js';
import { start, type Child } from './proc.js';
import { startRedisServer, type RedisServer } from './servers.js';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../node/src/main.js');

export interface BenchNode {
  readonly id: string;
  readonly url: string;
  readonly dataDir: string;
  readonly child: Child;
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
  stop(): Promise<void>;
}

export interface ClusterOptions {
  readonly size?: number;
  readonly replication?: number;
  /** extra environment for every node (LOCK_MODE...) */
  readonly env?: Readonly<Record<string, string>>;
}

/** Starts a fresh redis-server and `size` nodes on it; resolves once every node sees every member. */
export async function startCluster(runDir: string, name: string, opts: ClusterOptions = {}): Promise<BenchCluster> {
  const size = opts.size ?? 3;
  const replication = opts.replication ?? 2;
  const dir = path.join(runDir, name);
  const redis = await startRedisServer(runDir, `${name}-redis`);
  const token = randomBytes(12).toString('hex');
  const env = {
    HOST: '127.0.0.1',
    REDIS_URL: redis.redisUrl,
    WRITE_TOKEN: token,
    CLUSTER_SECRET: randomBytes(12).toString('hex'),
    REPLICATION_FACTOR: String(replication),
    ...opts.env,
  };
  const nodes: BenchNode[] = [];
  try {
    const ids = Array.from({ length: size }, (_, i) => `node-${String.fromCharCode(97 + i)}`);
    nodes.push(...(await Promise.all(ids.map((id) => startNode(dir, id, env)))));
    await waitFor(async () => (await Promise.all(nodes.map(memberCount))).every((n) => n === size), 20_000, `${size} members`);
  } catch (err) {
    await Promise.all([...nodes.map((n) => n.child.stop()), redis.child.stop()]);
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
    async stop() {
      await Promise.all(nodes.map((n) => n.child.stop()));
      await redis.child.stop();
    },
  };
}

async function memberCount(n: BenchNode): Promise<number> {
  const info = (await (await fetch(`${n.url}/cluster`)).json()) as { members?: unknown[] };
  return info.members?.length ?? 0;
}

/** One node; a port found free can be taken before the node binds it, so a failed start retries on a new one. */
async function startNode(dir: string, id: string, env: Record<string, string>): Promise<BenchNode> {
  const dataDir = path.join(dir, id);
  await fs.mkdir(dataDir, { recursive: true });
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child = start(id, process.execPath, [MAIN], {
      env: { PATH: process.env.PATH, ...env, NODE_ID: id, PORT: String(port), DATA_DIR: dataDir },
      logFile: path.join(dir, `${id}.log`),
    });
    const url = `http://127.0.0.1:${port}`;
    try {
      // Ready means it answers with its own id: on a lost port race another process would answer (or nobody).
      await waitFor(async () => child.exited() || ((await (await fetch(`${url}/healthz`)).json()) as { node?: string }).node === id, 15_000, `${id} on ${url}`);
      if (child.exited()) throw new Error(`${id} exited with ${child.proc.exitCode}`);
      return { id, url, dataDir, child };
    } catch (err) {
      await child.stop(500);
      if (attempt >= 3) {
        const log = await fs.readFile(child.logFile, 'utf8').catch(() => '');
        throw new Error(`${(err as Error).message}\n${log.slice(-2000)}`, { cause: err });
      }
    }
  }
}
