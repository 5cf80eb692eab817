// A standalone kubecdn node with the hot cache's large tier off (HOT_LARGE_MAX_BYTES=0), for the hits section's big
// sizes: what kubecdn serves from disk when a blob is not (or not yet) in memory, beside the node:http disk control.
// The cluster measured as "kubecdn" keeps default settings, so its hot big blobs are answered from memory.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { spawnNode } from '../test/helpers/nodeProcess.js';
import { say } from './context.js';
import { logsIn } from './proc.js';
import { startRedisServer } from './servers.js';

export interface KubecdnDisk {
  readonly url: string;
  readonly token: string;
  readonly pid: number;
  stop(): Promise<void>;
}

export async function startKubecdnDisk(runDir: string): Promise<KubecdnDisk> {
  const dir = path.join(runDir, 'kubecdn-disk');
  const dataDir = path.join(dir, 'node');
  await fs.mkdir(dataDir, { recursive: true });
  const redis = await startRedisServer(dir, 'redis');
  const token = randomBytes(12).toString('hex');
  const env = { LOG_LEVEL: 'info', MALLOC_ARENA_MAX: '2', WRITE_TOKEN: token, NODE_ID: 'disk', DATA_DIR: dataDir, HOT_LARGE_MAX_BYTES: '0' };
  const node = await spawnNode(redis.redisUrl, env, logsIn(dir)).catch(async (err: unknown) => {
    await redis.child.stop();
    throw err;
  });
  say(`kubecdn-disk: standalone node pid ${node.pid} on ${node.url} (HOT_LARGE_MAX_BYTES=0)`);
  return {
    url: node.url,
    token,
    pid: node.pid,
    stop: async () => {
      await node.stop();
      await redis.child.stop();
    },
  };
}
