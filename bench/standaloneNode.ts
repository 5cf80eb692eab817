// One standalone kubecdn node (no CLUSTER_SECRET: no peers) on its own redis-server, started as the benchmark's
// clusters start theirs (the built program, LOG_LEVEL=info into a log file in `dir`), with a fresh write token.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { spawnNode } from '../test/helpers/nodeProcess.js';
import { logsIn } from './proc.js';
import { startRedisServer } from './servers.js';

export interface StandaloneNode {
  readonly url: string;
  readonly token: string;
  readonly pid: number;
  readonly redisPid: number;
  readonly stop: () => Promise<void>;
}

/** persist: Redis with appendonly yes + appendfsync always; env: settings beside the defaults. */
export async function startStandaloneNode(dir: string, nodeId: string, env: Record<string, string>, opts: { persist?: boolean } = {}): Promise<StandaloneNode> {
  const dataDir = path.join(dir, nodeId);
  await fs.mkdir(dataDir, { recursive: true });
  const redis = await startRedisServer(dir, 'redis', opts);
  const token = randomBytes(12).toString('hex');
  const all = { LOG_LEVEL: 'info', MALLOC_ARENA_MAX: '2', WRITE_TOKEN: token, NODE_ID: nodeId, DATA_DIR: dataDir, ...env };
  const node = await spawnNode(redis.redisUrl, all, logsIn(dir)).catch(async (err: unknown) => {
    await redis.child.stop();
    throw err;
  });
  return {
    url: node.url,
    token,
    pid: node.pid,
    redisPid: redis.child.pid,
    stop: async () => {
      await node.stop();
      await redis.child.stop();
    },
  };
}
